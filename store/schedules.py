"""Keep and return a target's periodic schedule, and when that target was last scanned.

The store holds the schedule as the JSON text it is given and hands back whatever a row holds, as it
is: judging whether that is a schedule is the scheduler's. No value read here is ever unpickled or
evaluated.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from store import schema
from store.repository import StoreError, describe


@dataclass(frozen=True, slots=True)
class StoredSchedule:
    """A schedule row as read: `definition` is text this store wrote, or anything someone else put there."""

    target: str
    definition: str | bytes
    set_at: str


def save_schedule(engine: Engine, target: str, definition: Mapping[str, Any], set_at: str) -> None:
    """Keep `definition` as the schedule of `target`, replacing the one it had."""
    values = {"definition": json.dumps(definition, sort_keys=True), "set_at": set_at}
    try:
        try:
            with engine.begin() as connection:
                _write(connection, target, values)
        except IntegrityError:  # another scheduler of this target inserted its row meanwhile: the later write wins
            with engine.begin() as connection:
                _write(connection, target, values)
    except SQLAlchemyError as error:
        raise StoreError(f"cannot keep the schedule: {describe(error)}") from None


def _write(connection: Any, target: str, values: dict[str, str]) -> None:
    table = schema.scan_schedules
    if not connection.execute(update(table).where(table.c.target == target).values(**values)).rowcount:
        connection.execute(insert(table).values(target=target, **values))


def load_schedule(engine: Engine, target: str) -> StoredSchedule | None:
    table = schema.scan_schedules
    try:
        with engine.connect() as connection:
            row = connection.execute(select(table).where(table.c.target == target)).mappings().first()
    except SQLAlchemyError as error:
        raise StoreError(f"cannot read the schedule: {describe(error)}") from None
    return None if row is None else StoredSchedule(row["target"], row["definition"], row["set_at"])


def last_scan_started(engine: Engine, target: str) -> str | None:
    """When the newest scan of `target` started, whatever became of it; None when it was never scanned."""
    scans = schema.scans
    try:
        with engine.connect() as connection:
            return connection.execute(select(func.max(scans.c.started_at)).where(scans.c.target == target)).scalar()
    except SQLAlchemyError as error:
        raise StoreError(f"cannot read the scans of this target: {describe(error)}") from None
