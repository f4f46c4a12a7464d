"""Save, load, list and prune scans.

A scan is recorded `running` when it starts and written whole, in one transaction, when it ends: a
scan that dies half-way leaves only its `running` record, which is turned `failed` once its process
is known to be gone. Earlier scans are never touched by a later one.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, RowMapping, Table, create_engine, delete, event, func, insert, select, update
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import (
    ArgumentError,
    IntegrityError,
    NoSuchModuleError,
    OperationalError,
    ProgrammingError,
    SQLAlchemyError,
)

from lineage.model import CoverageGap, Edge, Finding, Node, Scan, ScanStatus
from store import migrate, schema

# A lock or a running scan held this long by a process the store cannot check is taken to be dead.
STALE_AFTER = timedelta(hours=12)

DEFAULT_URL = "sqlite:///lineage.db"
# The password of a store URL that has none: a file (a compose or Docker secret) wins over the variable,
# so that it need never stand on a command line, in a healthcheck, or in `ps`.
PASSWORD_FILE_VARIABLE = "LINEAGE_DB_PASSWORD_FILE"
PASSWORD_VARIABLE = "LINEAGE_DB_PASSWORD"
HIDDEN = "***"


class StoreError(Exception):
    """A database that cannot be opened or written, or a scan that is not there: said in one line."""


class ScanExists(StoreError):
    """A scan written as new under an id the store already has."""


def describe(error: BaseException) -> str:
    """The first line of what the database driver said."""
    detail = str(getattr(error, "orig", None) or error).strip().splitlines()
    return detail[0] if detail else type(error).__name__


@dataclass(frozen=True, slots=True)
class ScanSummary:
    id: str
    started_at: str
    finished_at: str
    status: str
    target: str
    nodes: int
    edges: int
    findings: int
    gaps: int
    error: str

    def to_dict(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def database_url(value: str) -> str:
    """A SQLAlchemy URL as given; a bare path is a SQLite file."""
    return value if "://" in value else f"sqlite:///{value}"


def _unescaped_at_in_password(value: str) -> bool:
    """`user:p@ss@host`: SQLAlchemy reads the password up to its first `@` and the rest as the host."""
    return value.partition("://")[2].count("@") > 1


def shown_url(value: str) -> str:
    """A store URL as it may be printed: without its password, wherever it stood.

    A URL SQLAlchemy cannot parse loses everything from `://` to its last `@` (a password may hold `/` or
    `:`, so nothing short of that is safe) and its query, where libpq accepts a password too.
    """
    if "://" not in value:
        return value  # a path to a SQLite file
    try:
        if _unescaped_at_in_password(value):
            raise ValueError("SQLAlchemy would read part of the password as the host")
        url = make_url(value)
    except (ArgumentError, ValueError):
        scheme, _, rest = value.partition("://")
        where = rest.rpartition("@")[2].partition("?")[0]
        return f"{scheme}://{HIDDEN}@{where}" if "@" in rest else f"{scheme}://{where}"
    if "password" in url.query:
        url = url.update_query_dict({"password": HIDDEN})
    # The query is percent-encoded on rendering; the mark that replaced the password reads better plain.
    return url.render_as_string(hide_password=True).replace("%2A%2A%2A", HIDDEN)


def password_from_environment(environ: Mapping[str, str] = os.environ) -> str | None:
    """The store password that `LINEAGE_DB_PASSWORD_FILE` (first) or `LINEAGE_DB_PASSWORD` holds, if any.

    The file's trailing newline is not part of the password (`openssl rand -hex 24 > file` writes one).
    """
    path = environ.get(PASSWORD_FILE_VARIABLE, "")
    if path:
        try:
            password = Path(path).read_text(encoding="utf-8").rstrip("\r\n")
        except (OSError, UnicodeDecodeError) as error:
            why = getattr(error, "strerror", None) or "not UTF-8 text"
            raise StoreError(f"cannot read the database password from {PASSWORD_FILE_VARIABLE}={path}: {why}") from None
        if not password:
            raise StoreError(f"the database password file {PASSWORD_FILE_VARIABLE}={path} is empty")
        return password
    return environ.get(PASSWORD_VARIABLE) or None


def _with_environment_password(url: URL) -> URL:
    """A URL that names its own password keeps it; SQLite has none to take."""
    if url.password is not None or url.get_backend_name() == "sqlite":
        return url
    password = password_from_environment()
    return url if password is None else url.set(password=password)


def _without_secrets(text: str, raw: str, url: URL | None) -> str:
    """A driver's or SQLAlchemy's message, with the URL as given and the password in use taken out of it."""
    text = text.replace(raw, shown_url(raw))
    password = url.password if url is not None else None
    return text.replace(password, HIDDEN) if password else text


def _create_private_sqlite_file(url: URL, shown: str) -> None:
    """Create a new SQLite file readable by its owner alone, before SQLite would create it 0644: a scan
    describes the estate. SQLite gives its journal and WAL files the mode of the database file, so they
    follow. A file that exists keeps the mode its owner gave it; an in-memory or URI database is not a
    path to create."""
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:") or url.query.get("uri") in ("true", "1"):
        return
    if os.path.islink(database):  # SQLite would follow it, and create or write the file it points to
        raise StoreError(f"{shown} is a symbolic link; not writing through it (name the file itself)")
    try:
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        return
    except OSError as error:
        raise StoreError(f"cannot open database {shown}: {error.strerror}") from None


def open_store(url: str = DEFAULT_URL, upgrade: bool = False) -> Engine:
    """An engine on a database at the newest schema revision.

    A database without the tracker's tables is created; one at an older revision is upgraded only
    when asked (`lineage db upgrade`), since other processes may still be using it. Every message names
    the database without its password.
    """
    shown = shown_url(url)
    target: URL | None = None
    if _unescaped_at_in_password(url):  # the driver's message would print the rest of the password as a host
        raise StoreError(f"cannot use database URL {shown}: an `@` in the password must be written %40")
    try:
        target = _with_environment_password(make_url(database_url(url)))
        engine = create_engine(target, **_engine_options(database_url(url)))
    except (ArgumentError, NoSuchModuleError, ValueError) as error:
        raise StoreError(f"cannot use database URL {shown}: {_without_secrets(str(error), url, target)}") from None
    if engine.dialect.name == "sqlite":
        _create_private_sqlite_file(engine.url, shown)
        event.listen(engine, "connect", _sqlite_foreign_keys)
    try:
        revision = migrate.current_revision(engine)
        head = migrate.head_revision()
        if revision is None or (upgrade and revision != head):
            migrate.upgrade(engine)
        elif revision != head:
            if revision not in migrate.known_revisions():
                raise StoreError(f"database {shown} is at schema revision {revision}, newer than this version of "
                                 f"lineage knows ({head}): upgrade lineage")
            raise StoreError(f"database {shown} is at schema revision {revision}; this version needs {head}: "
                             f"run `lineage db upgrade --db {shown}`")
        _recover_abandoned(engine)
    except SQLAlchemyError as error:
        raise StoreError(f"cannot open database {shown}: {_without_secrets(describe(error), url, target)}") from None
    return engine


def _engine_options(url: str) -> dict[str, object]:
    if url.startswith("sqlite"):
        # Writers queue on SQLite's single lock instead of failing after the driver's 5 s default.
        return {"connect_args": {"timeout": 60}}
    return {"pool_pre_ping": True}


def _sqlite_foreign_keys(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def begin_scan(engine: Engine, scan_id: str, started_at: str, target: str = "", owner: str | None = None) -> None:
    """Record a scan as `running` before it reads anything, so that a crash leaves a trace."""
    with engine.begin() as connection:
        connection.execute(insert(schema.scans).values(
            id=scan_id, started_at=started_at, finished_at="", status=ScanStatus.RUNNING.value, accounts=[],
            regions=[], api_calls={}, target=target, owner=owner or this_process(), error="",
        ))


def _header(scan: Scan, error: str) -> dict[str, Any]:
    return {"started_at": scan.started_at, "finished_at": scan.finished_at, "status": scan.status.value,
            "accounts": list(scan.accounts), "regions": list(scan.regions), "api_calls": dict(scan.api_calls),
            "error": error[:2000], "caller": scan.caller}


def save_scan(engine: Engine, scan: Scan, target: str = "", error: str = "") -> None:
    """Write a whole scan in one transaction, completing its `running` record if there is one."""
    header = _header(scan, error)
    with engine.begin() as connection:
        updated = connection.execute(
            update(schema.scans).where(schema.scans.c.id == scan.id, schema.scans.c.status == ScanStatus.RUNNING.value)
            .values(**header)
        ).rowcount
        if not updated:
            connection.execute(insert(schema.scans).values(id=scan.id, target=target, owner=this_process(), **header))
        _insert_contents(connection, scan)


def save_new_scan(engine: Engine, scan: Scan, target: str = "") -> None:
    """Write a whole scan that did not run here (an import) in one transaction, beside the scans already
    stored: `ScanExists` when one has its id. Unlike `save_scan` it never completes a `running` record of
    that id, which belongs to a scan still under way."""
    with engine.begin() as connection:
        try:
            connection.execute(insert(schema.scans).values(id=scan.id, target=target, owner=this_process(),
                                                           **_header(scan, "")))
        except IntegrityError:  # the id is the table's only key that can clash
            raise ScanExists(f"a scan with id {scan.id!r} is already stored") from None
        _insert_contents(connection, scan)


def _insert_contents(connection: Connection, scan: Scan) -> None:
    if scan.nodes:
        connection.execute(insert(schema.nodes), [{"scan_id": scan.id, **n.to_dict()} for n in scan.nodes])
    if scan.edges:
        connection.execute(insert(schema.edges), [{"scan_id": scan.id, **e.to_dict()} for e in scan.edges])
    if scan.findings:
        connection.execute(insert(schema.findings), [{"scan_id": scan.id, **f.to_dict()} for f in scan.findings])
    if scan.coverage_gaps:
        connection.execute(insert(schema.coverage_gaps), [
            {"scan_id": scan.id, "position": i, **g.to_dict()} for i, g in enumerate(scan.coverage_gaps)
        ])


def fail_scan(engine: Engine, scan_id: str, error: str) -> None:
    """Mark a scan failed, with why; its partial data, if any was written, is not kept."""
    with engine.begin() as connection:
        _delete_contents(connection, [scan_id])
        connection.execute(update(schema.scans).where(schema.scans.c.id == scan_id).values(
            status=ScanStatus.FAILED.value, finished_at=_now().isoformat(), error=error[:2000]))


def _owner_is_gone(owner: str, since: str) -> bool:
    host, _, pid = owner.rpartition(":")
    if host == socket.gethostname() and pid.isdigit():
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False
    try:
        return _now() - datetime.fromisoformat(since) > STALE_AFTER
    except ValueError:
        return True


def _recover_abandoned(engine: Engine) -> None:
    """A `running` scan whose process has ended was killed half-way: it becomes `failed`. A database this
    process may only read (a copy, a read-only role) is left as it is: reading it must still work."""
    with engine.connect() as connection:
        running = connection.execute(select(schema.scans.c.id, schema.scans.c.owner, schema.scans.c.started_at)
                                     .where(schema.scans.c.status == ScanStatus.RUNNING.value)).all()
    for scan_id, owner, started in running:
        if _owner_is_gone(owner, started):
            try:
                fail_scan(engine, scan_id, f"abandoned: {owner or 'its process'} ended before the scan was written")
            except (OperationalError, ProgrammingError):  # no right to write here: the next writer recovers it
                return


def acquire_lock(engine: Engine, target: str, owner: str | None = None) -> str | None:
    """Take the lock of a target; None when taken, else the owner who holds it. A database that cannot be
    written at all is a `StoreError`, not a lock someone else holds."""
    owner = owner or this_process()
    for _ in range(2):
        try:
            with engine.begin() as connection:
                connection.execute(insert(schema.scan_locks).values(target=target, owner=owner,
                                                                    acquired_at=_now().isoformat()))
            return None
        except OperationalError as error:
            if "locked" not in str(error).lower():  # SQLite's own lock is held: a writer is busy, not gone
                raise StoreError(f"cannot write to the database: {describe(error)}") from None
            return "another process writing the database"
        except IntegrityError:
            with engine.connect() as connection:
                row = connection.execute(select(schema.scan_locks).where(schema.scan_locks.c.target == target)
                                         ).mappings().first()
            if row is None:
                continue
            if not _owner_is_gone(row["owner"], row["acquired_at"]):
                return row["owner"]
            release_lock(engine, target, row["owner"])
    return "another process"


def release_lock(engine: Engine, target: str, owner: str | None = None) -> None:
    with engine.begin() as connection:
        connection.execute(delete(schema.scan_locks).where(schema.scan_locks.c.target == target,
                                                           schema.scan_locks.c.owner == (owner or this_process())))


_WITH_GRAPH = (ScanStatus.COMPLETE.value, ScanStatus.PARTIAL.value)


def latest_scan_ids(engine: Engine, count: int = 1, target: str | None = None) -> list[str]:
    """The newest scans that hold a graph (complete or partial), newest first."""
    query = select(schema.scans.c.id).where(schema.scans.c.status.in_(_WITH_GRAPH))
    if target is not None:
        query = query.where(schema.scans.c.target == target)
    with engine.connect() as connection:
        return list(connection.execute(
            query.order_by(schema.scans.c.started_at.desc(), schema.scans.c.id.desc()).limit(count)).scalars())


def latest_scan_id(engine: Engine) -> str | None:
    found = latest_scan_ids(engine, 1)
    return found[0] if found else None


def load_scan(engine: Engine, scan_id: str | None = None) -> Scan:
    """A scan by id, or the latest; `StoreError` when there is none."""
    scan_id = scan_id or latest_scan_id(engine)
    if scan_id is None:
        raise StoreError("no completed scan in this database yet: run `lineage scan` first")
    with engine.connect() as connection:
        row = connection.execute(select(schema.scans).where(schema.scans.c.id == scan_id)).mappings().first()
        if row is None:
            raise StoreError(f"no scan with id {scan_id!r} (see `lineage scans`)")

        def rows(table: Table) -> Sequence[RowMapping]:
            return connection.execute(select(table).where(table.c.scan_id == scan_id)).mappings().all()

        nodes = tuple(sorted((Node.from_dict(r) for r in rows(schema.nodes)), key=lambda n: n.id))
        edges = tuple(sorted((Edge.from_dict(r) for r in rows(schema.edges)),
                             key=lambda e: (e.source, e.target, e.kind.value)))
        findings = tuple(sorted((Finding.from_dict(r) for r in rows(schema.findings)),
                                key=lambda f: (-f.severity.rank, f.rule, f.node)))
        gaps = tuple(CoverageGap.from_dict(r) for r in sorted(rows(schema.coverage_gaps), key=lambda r: r["position"]))
    return Scan(
        id=row["id"], started_at=row["started_at"], finished_at=row["finished_at"], status=ScanStatus(row["status"]),
        accounts=tuple(row["accounts"]), regions=tuple(row["regions"]), nodes=nodes, edges=edges,
        findings=findings, coverage_gaps=gaps, api_calls=dict(row["api_calls"]), caller=row["caller"] or "",
    )


def list_scans(engine: Engine) -> list[ScanSummary]:
    def counts(table: Table) -> dict[str, int]:
        with engine.connect() as connection:
            return dict(connection.execute(
                select(table.c.scan_id, func.count()).group_by(table.c.scan_id)
            ).all())

    node_counts, edge_counts = counts(schema.nodes), counts(schema.edges)
    finding_counts, gap_counts = counts(schema.findings), counts(schema.coverage_gaps)
    with engine.connect() as connection:
        rows = connection.execute(select(schema.scans).order_by(schema.scans.c.started_at.desc(),
                                                                schema.scans.c.id.desc())).mappings().all()
    return [ScanSummary(r["id"], r["started_at"], r["finished_at"], r["status"], r["target"],
                        node_counts.get(r["id"], 0), edge_counts.get(r["id"], 0), finding_counts.get(r["id"], 0),
                        gap_counts.get(r["id"], 0), r["error"])
            for r in rows]


def prune(engine: Engine, keep: int | None = None, older_than: timedelta | None = None) -> list[str]:
    """Remove scans beyond the newest `keep`, or started more than `older_than` ago; their ids.

    A scan still running is never removed, and neither is the newest scan with a graph, so that
    `findings`, `show` and `diff` always have something to read.
    """
    summaries = list_scans(engine)
    newest_with_graph = next((s.id for s in summaries if s.status in _WITH_GRAPH), None)
    doomed: list[str] = []
    for index, summary in enumerate(summaries):
        if summary.status == ScanStatus.RUNNING.value or summary.id == newest_with_graph:
            continue
        too_many = keep is not None and index >= keep
        too_old = older_than is not None and _started_before(summary.started_at, _now() - older_than)
        if too_many or too_old:
            doomed.append(summary.id)
    delete_scans(engine, doomed)
    return doomed


def _started_before(started_at: str, moment: datetime) -> bool:
    try:
        return datetime.fromisoformat(started_at) < moment
    except ValueError:
        return False


def _delete_contents(connection: Connection, scan_ids: list[str]) -> None:
    """Everything a scan found: deleted here, not left to ON DELETE CASCADE, which SQLite applies
    only on connections that turn foreign keys on."""
    for table in (schema.nodes, schema.edges, schema.findings, schema.coverage_gaps):
        connection.execute(delete(table).where(table.c.scan_id.in_(scan_ids)))


def delete_scans(engine: Engine, scan_ids: list[str]) -> None:
    with engine.begin() as connection:
        _delete_contents(connection, scan_ids)
        connection.execute(delete(schema.scans).where(schema.scans.c.id.in_(scan_ids)))
