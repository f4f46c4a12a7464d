"""Schema versions: what revision a database is at, and bringing it to the newest."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

MIGRATIONS = Path(__file__).parent / "migrations"
FIRST_REVISION = "0001"


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(_config()).get_current_head() or ""


def known_revisions() -> set[str]:
    return {script.revision for script in ScriptDirectory.from_config(_config()).walk_revisions()}


def current_revision(engine: Engine) -> str | None:
    """The database's revision; `FIRST_REVISION` for a store written before migrations existed;
    None for a database without the tracker's tables."""
    with engine.connect() as connection:
        revision = MigrationContext.configure(connection).get_current_revision()
        if revision is None and inspect(connection).has_table("scans"):
            return FIRST_REVISION
    return revision


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Bring the database to the newest revision; (revision before, revision after)."""
    before = current_revision(engine)
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        if before == FIRST_REVISION and MigrationContext.configure(connection).get_current_revision() is None:
            command.stamp(config, FIRST_REVISION)
        command.upgrade(config, "head")
    return before, head_revision()
