from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from lineage import moto_support

ROOT = Path(__file__).resolve().parent.parent
# Beside the project; `LINEAGE_CORPUS` names it when the tests run from a copy (mutation testing).
CORPUS = Path(os.environ.get("LINEAGE_CORPUS") or ROOT.parent / "shared" / "corpus")


def pytest_configure(config: pytest.Config) -> None:
    """moto learns the few operations a scan makes that it does not serve (`lineage/moto_support/`)."""
    moto_support.install()


@pytest.fixture(autouse=True)
def _no_real_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Fake credentials and no config files: nothing a test does can reach a real account."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))


@pytest.fixture
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    return CORPUS


def corpus_files(folder: str) -> list[Path]:
    path = CORPUS / folder
    return sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else []




# Store tests run on SQLite and on a real PostgreSQL server (a fresh database each).
POSTGRES_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@contextlib.contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """A new database on the local PostgreSQL, dropped afterwards; its URL names no password. Skipped
    where no server answers, except in CI, where that is a failure."""
    admin = create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"lineage_test_{secrets.token_hex(4)}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {name}"))
    except Exception as error:  # noqa: BLE001 - any failure to reach the server
        admin.dispose()
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL not reachable at 127.0.0.1:5432: {error}")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'lineage.db'}"
        return
    with fresh_postgres_database() as url:
        yield url


