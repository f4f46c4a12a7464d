"""The compose file as a security review reads it — what listens where, who runs, where the database
password goes — and as Docker Compose itself reads it; its containers' commands run here as written,
against a local PostgreSQL with the password in a file and the local Redis as the workers' broker. The
password never shows in what any command prints."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
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
            assert "secrets" not in service, name  # the viewer, moto and the workers never hold it
    assert "secrets" not in services()["valkey"]
    for ignored in (".gitignore", ".dockerignore"):
        assert "secrets/" in (ROOT / ignored).read_text().splitlines(), ignored


def test_every_published_port_is_bound_to_the_loopback_unless_an_address_is_given() -> None:
    published = {name: service["ports"] for name, service in services().items() if service.get("ports")}
    assert set(published) == {"viewer"}  # PostgreSQL, moto, Valkey, the workers: inside the compose network only
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
    assert set(ours()) == set(services()) - {"postgres", "valkey"}  # the viewer too: no stock image as root
    users = re.findall(r"^USER\s+(\S+)", (ROOT / "Dockerfile").read_text(), re.MULTILINE)
    assert users and users[-1].partition(":")[0] not in ("root", "0")
    for name, service in ours().items():
        assert "build" in service, name
        assert str(service.get("user", users[-1])).partition(":")[0] not in ("root", "0"), name
        assert not service.get("privileged"), name
        assert service["cap_drop"] == ["ALL"] and "no-new-privileges:true" in service["security_opt"], name


def test_the_broker_runs_as_the_images_own_user_without_capabilities() -> None:
    valkey = services()["valkey"]
    user, _, group = valkey["user"].partition(":")
    assert user.isdigit() and group.isdigit() and user != "0"  # numeric: the image's valkey user, 999:1000
    assert valkey["cap_drop"] == ["ALL"] and valkey["security_opt"] == ["no-new-privileges:true"]
    assert not valkey.get("privileged") and valkey.get("network_mode") != "host"


# --- Docker Compose's own reading -----------------------------------------------------------------

COMPOSE_V2 = re.compile(r"version v?([2-9]|[1-9][0-9])\.")  # Compose 1.x is another program, another schema


def compose_program() -> list[str] | None:
    """Docker Compose 2 or later: the docker CLI's plugin, the binary scripts/ensure-compose installs beside
    this Python, or one on the PATH."""
    for program in (["docker", "compose"], [str(Path(sys.executable).parent / "docker-compose")], ["docker-compose"]):
        if shutil.which(program[0]) is None:
            continue
        try:
            version = subprocess.run([*program, "version"], capture_output=True, text=True, timeout=60)
        except OSError:
            continue
        if version.returncode == 0 and COMPOSE_V2.search(version.stdout):
            return program
    return None


@pytest.fixture(scope="module")
def docker_compose() -> list[str]:
    program = compose_program()
    if program is None:
        reason = "Docker Compose 2 or later is not installed (scripts/ensure-compose, run by `make test`, installs it)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return program


def compose_run(program: list[str], *args: str, tmp_path: Path, env: dict[str, str] | None = None,
                compose_file: Path = ROOT / "docker-compose.yml") -> subprocess.CompletedProcess:
    """Compose on the file, as a user runs it from the repository with the password file in place, and no
    other variable than those given: neither this shell's nor a `.env` of the repository's."""
    home, password_file, no_env_file = tmp_path / "home", tmp_path / "db-password", tmp_path / "empty.env"
    home.mkdir(exist_ok=True)
    password_file.write_text(secrets.token_hex(24) + "\n")
    no_env_file.write_text("")
    variables = {"PATH": os.environ["PATH"], "HOME": str(home), "LINEAGE_DB_PASSWORD_FILE": str(password_file)}
    return subprocess.run([*program, "--project-directory", str(ROOT), "--env-file", str(no_env_file),
                           "-f", str(compose_file), *args],
                          capture_output=True, text=True, env={**variables, **(env or {})}, timeout=120)


@pytest.mark.parametrize("profiles", [[], ["demo"], ["workers"], ["demo", "workers"]])
def test_docker_compose_accepts_the_file_with_every_profile(
        docker_compose: list[str], profiles: list[str], tmp_path: Path) -> None:
    chosen = [word for profile in profiles for word in ("--profile", profile)]
    checked = compose_run(docker_compose, *chosen, "config", "--quiet", tmp_path=tmp_path)
    # no warning either: every variable the file reads has a default or is the user's to pass through
    assert (checked.returncode, checked.stderr) == (0, ""), checked.stderr


def test_docker_compose_rejects_a_file_it_cannot_run(docker_compose: list[str], tmp_path: Path) -> None:
    """What the test above relies on: Compose reads the file for what it says, not only as YAML."""
    text = (ROOT / "docker-compose.yml").read_text()
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(text.replace("      valkey:\n        condition: service_healthy\n    healthcheck:",
                                   "      valky:\n        condition: service_healthy\n    healthcheck:", 1))
    assert broken.read_text() != text
    checked = compose_run(docker_compose, "--profile", "workers", "config", "--quiet", tmp_path=tmp_path,
                          compose_file=broken)
    assert checked.returncode != 0 and "valky" in checked.stderr, checked.stderr


def rendered(program: list[str], profiles: list[str], tmp_path: Path, env: dict[str, str] | None = None) -> dict:
    chosen = [word for profile in profiles for word in ("--profile", profile)]
    done = compose_run(program, *chosen, "config", "--format", "json", tmp_path=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["services"]


def test_the_workers_run_only_with_their_profile_and_the_shells_settings_reach_them(
        docker_compose: list[str], tmp_path: Path) -> None:
    alone = rendered(docker_compose, [], tmp_path)
    assert set(alone) == {"postgres", "migrate", "scheduler", "viewer"}
    assert alone["scheduler"]["environment"]["LINEAGE_EXECUTOR"] == "threads"
    with_workers = rendered(docker_compose, ["workers"], tmp_path)
    assert set(with_workers) == set(alone) | {"valkey", "worker"}
    worker = with_workers["worker"]
    assert worker["command"] == ["worker", "--concurrency", "4"]
    assert worker["healthcheck"]["test"] == ["CMD", "lineage", "worker", "--ping"]
    assert worker["environment"]["LINEAGE_BROKER"] == with_workers["scheduler"]["environment"]["LINEAGE_BROKER"]
    assert [v["target"] for v in worker["volumes"]] == ["/home/lineage/.aws"] and worker["volumes"][0]["read_only"]
    assert with_workers["valkey"]["command"] == ["valkey-server", "--save", "", "--appendonly", "no"]
    told = rendered(docker_compose, ["workers"], tmp_path,
                    env={"LINEAGE_EXECUTOR": "celery", "LINEAGE_WORKER_CONCURRENCY": "16"})
    assert told["scheduler"]["environment"]["LINEAGE_EXECUTOR"] == "celery"
    assert told["worker"]["command"] == ["worker", "--concurrency", "16"]


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


# --- the workers' command, here -------------------------------------------------------------------

# The containers' broker and results, and where they are here: databases of the local Redis that no
# other test uses, emptied before and after.
BROKER_HERE = {"redis://valkey:6379/0": "redis://127.0.0.1:6379/13",
               "redis://valkey:6379/1": "redis://127.0.0.1:6379/14"}


@pytest.fixture
def local_broker() -> Iterator[dict[str, str]]:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=3).close()
    except OSError as error:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"Redis not reachable at 127.0.0.1:6379: {error}")
    import redis

    databases = [redis.Redis.from_url(url) for url in BROKER_HERE.values()]
    for database in databases:
        database.flushdb()
    try:
        yield BROKER_HERE
    finally:
        for database in databases:
            database.flushdb()
            database.close()


def test_the_worker_runs_as_written_answers_its_healthcheck_and_stops_cleanly(
        local_broker: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("LINEAGE_BROKER", "LINEAGE_RESULT_BACKEND", "LINEAGE_EXECUTOR"):
        monkeypatch.delenv(variable, raising=False)  # the broker named in the container's environment, alone
    worker = services()["worker"]
    written = {name: value for name, value in environment(worker).items() if value is not None}
    assert {written["LINEAGE_BROKER"], written["LINEAGE_RESULT_BACKEND"]} == set(local_broker)
    env = {name: local_broker.get(value, value) for name, value in written.items()}
    command, health = list(map(re_env, worker["command"])), list(map(re_env, worker["healthcheck"]["test"]))
    log = tmp_path / "worker.log"

    assert not healthy(health, env)  # before the worker starts nothing answers: the check can fail
    process = start(command, env, log)
    try:
        wait_for(lambda: process.poll() is not None or healthy(health, env))
        assert process.poll() is None, log.read_text()
    finally:
        code = stopped(process)
    printed = log.read_text() + log.with_suffix(".out").read_text()
    assert code == 0, printed
    assert "Traceback" not in printed
    assert not healthy(health, env)  # stopped, it no longer answers
