"""Save, load and list scans. A scan is written in one transaction: all of it, or nothing."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, create_engine, delete, event, func, insert, select
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from lineage.model import CoverageGap, Edge, Finding, Node, Scan, ScanStatus
from store import schema

DEFAULT_URL = "sqlite:///lineage.db"


class StoreError(Exception):
    """A database that cannot be opened, or a scan that is not there: said in one line."""


@dataclass(frozen=True, slots=True)
class ScanSummary:
    id: str
    started_at: str
    finished_at: str
    status: str
    nodes: int
    edges: int
    findings: int
    gaps: int


def database_url(value: str) -> str:
    """A SQLAlchemy URL as given; a bare path is a SQLite file."""
    return value if "://" in value else f"sqlite:///{value}"


def open_store(url: str = DEFAULT_URL) -> Engine:
    try:
        engine = create_engine(database_url(url))
    except (ArgumentError, NoSuchModuleError, ValueError) as error:
        raise StoreError(f"cannot use database URL {url!r}: {error}") from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_foreign_keys)
    try:
        schema.metadata.create_all(engine)
    except SQLAlchemyError as error:
        raise StoreError(f"cannot open database {engine.url.render_as_string(hide_password=True)}: "
                         f"{str(error.orig if hasattr(error, 'orig') else error).splitlines()[0]}") from None
    return engine


def _sqlite_foreign_keys(connection, _record) -> None:  # noqa: ANN001 - DBAPI objects
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def save_scan(engine: Engine, scan: Scan) -> None:
    with engine.begin() as connection:
        connection.execute(insert(schema.scans).values(
            id=scan.id, started_at=scan.started_at, finished_at=scan.finished_at, status=scan.status.value,
            accounts=list(scan.accounts), regions=list(scan.regions), api_calls=dict(scan.api_calls),
        ))
        if scan.nodes:
            connection.execute(insert(schema.nodes), [
                {"scan_id": scan.id, **{k: v for k, v in n.to_dict().items()}} for n in scan.nodes
            ])
        if scan.edges:
            connection.execute(insert(schema.edges), [{"scan_id": scan.id, **e.to_dict()} for e in scan.edges])
        if scan.findings:
            connection.execute(insert(schema.findings), [{"scan_id": scan.id, **f.to_dict()} for f in scan.findings])
        if scan.coverage_gaps:
            connection.execute(insert(schema.coverage_gaps), [
                {"scan_id": scan.id, "position": i, **g.to_dict()} for i, g in enumerate(scan.coverage_gaps)
            ])


def latest_scan_id(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return connection.execute(
            select(schema.scans.c.id).order_by(schema.scans.c.started_at.desc(), schema.scans.c.id.desc()).limit(1)
        ).scalar()


def load_scan(engine: Engine, scan_id: str | None = None) -> Scan:
    """A scan by id, or the latest; `StoreError` when there is none."""
    scan_id = scan_id or latest_scan_id(engine)
    if scan_id is None:
        raise StoreError("no scan in this database yet: run `lineage scan` first")
    with engine.connect() as connection:
        row = connection.execute(select(schema.scans).where(schema.scans.c.id == scan_id)).mappings().first()
        if row is None:
            raise StoreError(f"no scan with id {scan_id!r} (see `lineage scans`)")

        def rows(table):  # noqa: ANN001, ANN202
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
        findings=findings, coverage_gaps=gaps, api_calls=dict(row["api_calls"]),
    )


def list_scans(engine: Engine) -> list[ScanSummary]:
    def counts(table) -> dict[str, int]:  # noqa: ANN001
        with engine.connect() as connection:
            return dict(connection.execute(
                select(table.c.scan_id, func.count()).group_by(table.c.scan_id)
            ).all())

    node_counts, edge_counts = counts(schema.nodes), counts(schema.edges)
    finding_counts, gap_counts = counts(schema.findings), counts(schema.coverage_gaps)
    with engine.connect() as connection:
        rows = connection.execute(select(schema.scans).order_by(schema.scans.c.started_at.desc())).mappings().all()
    return [ScanSummary(r["id"], r["started_at"], r["finished_at"], r["status"], node_counts.get(r["id"], 0),
                        edge_counts.get(r["id"], 0), finding_counts.get(r["id"], 0), gap_counts.get(r["id"], 0))
            for r in rows]


def delete_scan(engine: Engine, scan_id: str) -> None:
    with engine.begin() as connection:
        for table in (schema.nodes, schema.edges, schema.findings, schema.coverage_gaps):
            connection.execute(delete(table).where(table.c.scan_id == scan_id))
        connection.execute(delete(schema.scans).where(schema.scans.c.id == scan_id))
