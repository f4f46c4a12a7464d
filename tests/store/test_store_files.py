"""What the store leaves on disk and what it says: a SQLite file only its owner can read, with journals no
more open than it; a password taken from a file or the environment, never printed."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import insert

from store import schema
from store.repository import (
    PASSWORD_FILE_VARIABLE,
    PASSWORD_VARIABLE,
    StoreError,
    list_scans,
    open_store,
    password_from_environment,
    shown_url,
)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """Nothing masked: a mode the store does not choose itself shows as world-readable."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def test_a_new_sqlite_store_is_readable_by_its_owner_alone(tmp_path: Path, open_umask: None) -> None:
    path = tmp_path / "lineage.db"
    open_store(f"sqlite:///{path}")
    assert mode(path) == 0o600
    bare = tmp_path / "bare.db"
    open_store(str(bare))  # a bare path is a SQLite file too
    assert mode(bare) == 0o600


def test_an_existing_store_keeps_the_mode_its_owner_gave_it(tmp_path: Path, open_umask: None) -> None:
    path = tmp_path / "shared.db"
    open_store(f"sqlite:///{path}").dispose()
    path.chmod(0o640)  # shared with a group on purpose
    assert list_scans(open_store(f"sqlite:///{path}")) == []
    assert mode(path) == 0o640


def test_the_journal_of_a_write_is_no_more_open_than_the_store(tmp_path: Path, open_umask: None) -> None:
    path = tmp_path / "lineage.db"
    engine = open_store(f"sqlite:///{path}")
    journal = Path(f"{path}-journal")
    with engine.begin() as connection:
        connection.execute(insert(schema.scan_locks).values(target="t", owner="o", acquired_at="now"))
        assert journal.exists()  # the write is under way: SQLite's rollback journal holds the old pages
        assert mode(journal) & ~mode(path) == 0


def test_the_wal_files_are_no_more_open_than_the_store(tmp_path: Path, open_umask: None) -> None:
    path = tmp_path / "lineage.db"
    open_store(f"sqlite:///{path}").dispose()
    connection = sqlite3.connect(path)
    try:
        assert connection.execute("PRAGMA journal_mode=WAL").fetchone() == ("wal",)
        connection.execute("INSERT INTO scan_locks (target, owner, acquired_at) VALUES ('t', 'o', 'now')")
        connection.commit()
        for suffix in ("-wal", "-shm"):
            assert mode(Path(f"{path}{suffix}")) & ~mode(path) == 0, suffix
    finally:
        connection.close()


def test_databases_that_are_not_a_path_create_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    open_store("sqlite://")
    open_store("sqlite:///:memory:")
    with pytest.raises(StoreError, match="cannot open database"):
        open_store(f"sqlite:///file:{tmp_path / 'missing.db'}?mode=ro&uri=true")  # a URI names, never creates
    assert list(tmp_path.iterdir()) == []


def test_a_store_in_a_folder_that_is_not_there_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"^cannot open database sqlite:///.*/missing/x.db: No such file or "
                                         r"directory$"):
        open_store(f"sqlite:///{tmp_path}/missing/x.db")


# --- the password ---------------------------------------------------------------------------------


def test_the_password_file_wins_over_the_variable_and_loses_its_trailing_newline(tmp_path: Path) -> None:
    secret = tmp_path / "db-password"
    secret.write_text("from-the-file\n")
    assert password_from_environment({PASSWORD_FILE_VARIABLE: str(secret), PASSWORD_VARIABLE: "other"}) == \
        "from-the-file"
    assert password_from_environment({PASSWORD_VARIABLE: "from-the-variable"}) == "from-the-variable"
    assert password_from_environment({PASSWORD_FILE_VARIABLE: "", PASSWORD_VARIABLE: ""}) is None
    assert password_from_environment({}) is None


@pytest.mark.parametrize(("content", "message"), [
    (None, "cannot read the database password from LINEAGE_DB_PASSWORD_FILE=.*: No such file or directory"),
    ("\n", "the database password file LINEAGE_DB_PASSWORD_FILE=.* is empty"),
])
def test_a_password_file_that_cannot_be_used_is_a_store_error(tmp_path: Path, content: str | None,
                                                              message: str) -> None:
    secret = tmp_path / "db-password"
    if content is not None:
        secret.write_text(content)
    with pytest.raises(StoreError, match=message):
        password_from_environment({PASSWORD_FILE_VARIABLE: str(secret)})


@pytest.mark.parametrize(("given", "shown"), [
    ("postgresql+psycopg://u:s3cretPW@db:5432/x", "postgresql+psycopg://u:***@db:5432/x"),
    ("postgresql+psycopg://u@db/x?password=s3cretPW&sslmode=require",
     "postgresql+psycopg://u@db/x?password=***&sslmode=require"),
    ("postgresql+psycopg://u:s3cretPW@db:notaport/x", "postgresql+psycopg://***@db:notaport/x"),
    ("postgresql+psycopg://u:s3c/ret@PW@db:notaport/x?password=s3cretPW", "postgresql+psycopg://***@db:notaport/x"),
    ("postgresql+psycopg://u:p@ss123@127.0.0.1:1/x", "postgresql+psycopg://***@127.0.0.1:1/x"),
    ("postgresql://u@db/x", "postgresql://u@db/x"),
    ("sqlite:////srv/lineage.db", "sqlite:////srv/lineage.db"),
    ("lineage.db", "lineage.db"),
])
def test_a_url_is_shown_without_its_password(given: str, shown: str) -> None:
    assert shown_url(given) == shown


def test_a_password_holding_an_at_sign_is_refused_whole(tmp_path: Path) -> None:
    expected = r"postgresql\+psycopg://\*\*\*@127.0.0.1:1/x: an `@` in the password"
    with pytest.raises(StoreError, match=expected) as raised:
        open_store("postgresql+psycopg://u:p@ss123@127.0.0.1:1/x")
    assert "ss123" not in str(raised.value)


def test_a_store_that_is_a_symbolic_link_is_refused_and_nothing_is_written_through_it(tmp_path: Path) -> None:
    (tmp_path / "other").mkdir()
    planted = tmp_path / "other" / "planted.db"
    link = tmp_path / "lineage.db"
    link.symlink_to(planted)  # dangling: SQLite would create the file it points to
    with pytest.raises(StoreError, match="is a symbolic link"):
        open_store(f"sqlite:///{link}")
    assert not planted.exists()
    planted.write_bytes(b"")
    with pytest.raises(StoreError, match="is a symbolic link"):
        open_store(str(link))
    assert planted.read_bytes() == b""


def test_postgresql_is_given_the_password_from_the_file(postgres_url: str, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    secret = tmp_path / "db-password"
    secret.write_text("from-the-file\n")
    monkeypatch.setenv(PASSWORD_FILE_VARIABLE, str(secret))
    monkeypatch.setenv(PASSWORD_VARIABLE, "from-the-variable")
    engine = open_store(postgres_url)
    with engine.connect() as connection:
        assert connection.connection.driver_connection.info.password == "from-the-file"
    # a URL that names its own password keeps it
    named = postgres_url.replace("postgres@", "postgres:in-the-url@")
    with open_store(named).connect() as connection:
        assert connection.connection.driver_connection.info.password == "in-the-url"


def test_sqlite_takes_no_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_FILE_VARIABLE, str(tmp_path / "not-there"))
    assert open_store(f"sqlite:///{tmp_path / 'x.db'}").url.password is None  # nor reads the file


def test_an_unreachable_postgresql_is_named_without_its_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_VARIABLE, "from-the-variable")
    for url in ("postgresql+psycopg://u:s3cretPW@127.0.0.1:1/x", "postgresql+psycopg://u@127.0.0.1:1/x"):
        with pytest.raises(StoreError) as raised:
            open_store(url)
        message = str(raised.value)
        assert message.startswith("cannot open database postgresql+psycopg://u")
        assert "s3cretPW" not in message and "from-the-variable" not in message
