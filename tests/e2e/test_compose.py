"""The compose file as a security review reads it — what listens where, who runs, where the database
password goes — and its containers' commands run here as written, against a local PostgreSQL with the
password in a file. The password never shows in what any command prints."""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import MetaData, create_engine, inspect, select, text

from tests.conftest import POSTGRES_ADMIN
from tests.e2e.conftest import free_port, lineage, wait_for
from tests.e2e.test_service import ROOT, compose, re_env

OUR_IMAGE = "aws-lineage:latest"
STORE_URL = "postgresql+psycopg://lineage@postgres:5432/lineage"
SECRET_PATH = "/run/secrets/db-password"
USERINFO_WITH_PASSWORD = re.compile(r"://[^/@\s]*:[^/@\s]*@")


def services() -> dict[str, dict]:
    return compose()["services"]


def ours() -> dict[str, dict]:
    return {name: service for name, service in services().items() if service.get("image") == OUR_IMAGE}


def environment(service: dict) -> dict[str, str | None]:
    """A service's environment, written as a list or as a map."""
    written = service.get("environment") or {}
    if isinstance(written, dict):
        return {name: None if value is None else str(value) for name, value in written.items()}
    return {name: (value if sep else None) for name, sep, value in (item.partition("=") for item in written)}


def command_lines(service: dict) -> list[str]:
    """Every word a container runs: its command and its healthcheck."""
    return [*service.get("command", []), *service.get("healthcheck", {}).get("test", [])]


def test_no_password_is_written_in_a_command_a_healthcheck_or_the_environment() -> None:
    for name, service in services().items():
        for part in command_lines(service):
            assert "password" not in part.lower() and "${LINEAGE_DB_PASSWORD" not in part, (name, part)
            assert not USERINFO_WITH_PASSWORD.search(part), (name, part)
        assert "--db" not in service.get("command", []), name  # the store comes from the environment
        for variable, value in environment(service).items():
            assert variable not in ("POSTGRES_PASSWORD", "LINEAGE_DB_PASSWORD"), name
            assert not USERINFO_WITH_PASSWORD.search(value or ""), (name, variable)
            if variable.endswith("PASSWORD_FILE"):
                assert value == SECRET_PATH, (name, variable)


def test_the_password_is_a_secret_given_only_to_the_services_that_use_the_store() -> None:
    assert compose()["secrets"] == {"db-password": {"file": "${LINEAGE_DB_PASSWORD_FILE:-./secrets/db-password}"}}
    postgres = services()["postgres"]
    assert environment(postgres)["POSTGRES_PASSWORD_FILE"] == SECRET_PATH and postgres["secrets"] == ["db-password"]
    using_the_store = {name for name, service in services().items() if "LINEAGE_DB" in environment(service)}
    assert using_the_store == {"migrate", "scheduler", "scheduler-demo"}
    for name, service in ours().items():
        store = environment(service)
        if name in using_the_store:
            assert store["LINEAGE_DB"] == STORE_URL and store["LINEAGE_DB_PASSWORD_FILE"] == SECRET_PATH
            assert service["secrets"] == ["db-password"], name
        else:
            assert "secrets" not in service, name  # the viewer and moto never hold it
    for ignored in (".gitignore", ".dockerignore"):
        assert "secrets/" in (ROOT / ignored).read_text().splitlines(), ignored


def test_every_published_port_is_bound_to_the_loopback_unless_an_address_is_given() -> None:
    published = {name: service["ports"] for name, service in services().items() if service.get("ports")}
    assert set(published) == {"viewer"}  # PostgreSQL and moto are reached inside the compose network only
    for name, ports in published.items():
        for entry in ports:
            address = entry.get("host_ip", "") if isinstance(entry, dict) else entry.partition("}:")[0] + "}"
            assert re.fullmatch(r"\$\{LINEAGE_[A-Z_]+_ADDRESS:-127\.0\.0\.1\}", address), (name, entry)
            if isinstance(entry, str):
                assert re_env(entry).startswith("127.0.0.1:"), (name, entry)
    assert services()["viewer"]["ports"] == ["${LINEAGE_VIEW_ADDRESS:-127.0.0.1}:${LINEAGE_VIEW_PORT:-8080}:8080"]
    for name, service in services().items():
        assert service.get("network_mode") != "host", name  # host networking would publish every port


def test_no_service_of_ours_runs_as_root() -> None:
    assert set(ours()) == set(services()) - {"postgres"}  # the viewer too: no stock image running as root
    users = re.findall(r"^USER\s+(\S+)", (ROOT / "Dockerfile").read_text(), re.MULTILINE)
    assert users and users[-1].partition(":")[0] not in ("root", "0")
    for name, service in ours().items():
        assert "build" in service, name
        assert str(service.get("user", users[-1])).partition(":")[0] not in ("root", "0"), name
        assert not service.get("privileged"), name
        assert service["cap_drop"] == ["ALL"] and "no-new-privileges:true" in service["security_opt"], name


# --- the password never shows ---------------------------------------------------------------------

FAILING = "postgresql+psycopg://u:s3cretPW@127.0.0.1:1/x"


@pytest.mark.parametrize("args", [
    ["scans"],
    ["scans", "--json", "--debug"],
    ["db", "upgrade"],
    ["scan", "--region", "us-east-1", "--endpoint-url", "http://127.0.0.1:9"],
    ["schedule", "--every", "1h"],
    ["findings"],
])
@pytest.mark.parametrize("store", [
    {"--db": FAILING},
    {"--db": "postgresql+psycopg://u:s3cretPW@127.0.0.1:notaport/x"},  # one SQLAlchemy cannot parse
    {"LINEAGE_DB": "postgresql+psycopg://u@127.0.0.1:1/x", "LINEAGE_DB_PASSWORD": "s3cretPW"},
    {"LINEAGE_DB": FAILING},
])
def test_a_store_that_cannot_be_opened_is_one_line_exit_2_without_its_password(
        args: list[str], store: dict[str, str], tmp_path: Path) -> None:
    given = ["--db", store["--db"]] if "--db" in store else []
    result = lineage(*args, *given, env={k: v for k, v in store.items() if k != "--db"}, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "s3cretPW" not in result.stdout + result.stderr
    [line] = result.stderr.strip().splitlines()
    assert re.match(r"lineage: cannot (open database|use database URL) postgresql\+psycopg://(u(:\*\*\*)?|\*\*\*)@127",
                    line), line


def test_a_password_file_that_is_not_there_is_one_line_exit_2(tmp_path: Path) -> None:
    result = lineage("scans", env={"LINEAGE_DB": "postgresql+psycopg://u@127.0.0.1:1/x",
                                   "LINEAGE_DB_PASSWORD_FILE": str(tmp_path / "missing")})
    assert result.returncode == 2
    assert result.stderr.strip() == (f"lineage: cannot read the database password from "
                                     f"LINEAGE_DB_PASSWORD_FILE={tmp_path / 'missing'}: No such file or directory")


# --- the containers' commands, here ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Store:
    url: str  # as the containers name it: without the password
    password_file: Path
    password: str


@pytest.fixture
def postgres_store(tmp_path: Path) -> Iterator[Store]:
    """A role with a password and a database of its own on the local PostgreSQL; the password in a file."""
    admin = create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    suffix = secrets.token_hex(4)
    role, database, password = f"lineage_compose_{suffix}", f"lineage_test_{suffix}", secrets.token_hex(24)
    try:
        with admin.connect() as connection:
            connection.execute(text(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'"))
            connection.execute(text(f"CREATE DATABASE {database} OWNER {role}"))
    except Exception as error:  # noqa: BLE001 - any failure to reach the server
        admin.dispose()
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL not reachable at 127.0.0.1:5432: {error}")
    password_file = tmp_path / "db-password"
    password_file.write_text(password + "\n")  # as `openssl rand -hex 24 > secrets/db-password` writes it
    password_file.chmod(0o600)
    try:
        yield Store(f"postgresql+psycopg://{role}@127.0.0.1:5432/{database}", password_file, password)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
            connection.execute(text(f"DROP ROLE IF EXISTS {role}"))
        admin.dispose()


@dataclass(frozen=True, slots=True)
class Names:
    """The containers' names for things, and this machine's: whole words, and text inside a word."""

    words: dict[str, str]
    inside: dict[str, str]


def here(words: list[str], names: Names) -> list[str]:
    """A container's words as they run on this machine: the compose defaults, and our names for its."""
    inside = re.compile("|".join(map(re.escape, names.inside)))  # one pass: a new port is never replaced again
    return [names.words.get(word, inside.sub(lambda m: names.inside[m.group()], word)) for word in map(re_env, words)]


def container_environment(service: dict, store: Store) -> dict[str, str]:
    written = {name: value for name, value in environment(service).items() if value is not None}
    assert written.get("LINEAGE_DB") in (None, STORE_URL)
    if "LINEAGE_DB" in written:
        written["LINEAGE_DB"] = store.url
        written["LINEAGE_DB_PASSWORD_FILE"] = str(store.password_file)
    return written


def healthy(test: list[str], env: dict[str, str] | None = None) -> bool:
    """A healthcheck as Docker runs it: CMD and its words, a success when it exits 0."""
    assert test[0] == "CMD"
    program = [sys.executable, "-m", "lineage.cli"] if test[1] == "lineage" else [sys.executable]
    assert test[1] in ("lineage", "python")
    done = subprocess.run([*program, *test[2:]], capture_output=True, text=True, env={**os.environ, **(env or {})},
                          timeout=60)
    return done.returncode == 0


def start(words: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    assert words[0] != "lineage"  # the image's entrypoint is lineage: a command is its arguments
    return subprocess.Popen([sys.executable, "-m", "lineage.cli", *words], stdout=log.with_suffix(".out").open("w"),
                            stderr=log.open("w"), env={**os.environ, **env})


def stopped(process: subprocess.Popen) -> int:
    process.send_signal(signal.SIGTERM)
    return process.wait(timeout=120)


def everything_stored(url: str, password: str) -> str:
    """Every row of every table of the store, as text: where a password must never land."""
    engine = create_engine(url.replace("@", f":{password}@", 1))
    try:
        with engine.connect() as connection:
            metadata = MetaData()
            metadata.reflect(connection, only=inspect(connection).get_table_names())
            rows = [repr(row) for table in metadata.sorted_tables for row in connection.execute(select(table))]
    finally:
        engine.dispose()
    return "\n".join(rows)


def test_the_demo_stack_runs_as_written_against_postgresql_with_the_password_in_a_file(
        postgres_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("LINEAGE_DB", "LINEAGE_DB_PASSWORD", "LINEAGE_DB_PASSWORD_FILE"):
        monkeypatch.delenv(variable, raising=False)  # the file named in the containers' environment, alone
    stack = services()
    moto_port, view_port = free_port(), free_port()
    html = tmp_path / "srv"
    html.mkdir()
    names = Names(
        # 0.0.0.0 is the container's own interface there; here it would be every one of this machine's
        words={"0.0.0.0": "127.0.0.1", "5000": str(moto_port), "8080": str(view_port)},
        inside={"http://moto:5000": f"http://127.0.0.1:{moto_port}", "127.0.0.1:5000": f"127.0.0.1:{moto_port}",
                "'127.0.0.1', 8080": f"'127.0.0.1', {view_port}", "/srv/lineage": str(html)})
    processes: list[subprocess.Popen] = []
    try:
        moto = stack["moto"]
        processes.append(start(here(moto["command"], names), container_environment(moto, postgres_store),
                               tmp_path / "moto.log"))
        wait_for(lambda: healthy(here(moto["healthcheck"]["test"], names)))

        migrate = stack["migrate"]
        migrated = lineage(*here(migrate["command"], names), env=container_environment(migrate, postgres_store))
        assert migrated.returncode == 0, migrated.stderr

        scheduler = stack["scheduler-demo"]
        scheduler_env = container_environment(scheduler, postgres_store)
        demo = start(here(scheduler["command"], names), scheduler_env, tmp_path / "scheduler.log")
        wait_for(lambda: (html / "demo" / "latest.html").exists() or demo.poll() is not None)
        assert stopped(demo) == 0, (tmp_path / "scheduler.log").read_text()
        listed = lineage(*here(scheduler["healthcheck"]["test"], names)[2:], env=scheduler_env)
        assert listed.returncode == 0 and '"status": "complete"' in listed.stdout
        assert healthy(here(scheduler["healthcheck"]["test"], names), scheduler_env)

        viewer = stack["viewer"]
        processes.append(start(here(viewer["command"], names), container_environment(viewer, postgres_store),
                               tmp_path / "viewer.log"))
        wait_for(lambda: healthy(here(viewer["healthcheck"]["test"], names)))
        with urllib.request.urlopen(f"http://127.0.0.1:{view_port}/demo/", timeout=10) as page:
            assert page.url.endswith("/demo/latest.html") and "vis.Network" in page.read().decode()
    finally:
        for process in processes:
            assert stopped(process) == 0
    printed = "\n".join(path.read_text() for path in tmp_path.glob("*.log")) + "\n".join(
        path.read_text() for path in tmp_path.glob("*.out")) + migrated.stdout + migrated.stderr + listed.stderr
    assert postgres_store.password not in printed
    assert postgres_store.password not in everything_stored(postgres_store.url, postgres_store.password)
