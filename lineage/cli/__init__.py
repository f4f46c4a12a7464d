"""The `lineage` command: the group and its command families, registered on import."""

from lineage.cli import (  # noqa: F401 - registers commands
    demo_commands,
    history,
    importing,
    offline,
    personal_data,
    reading,
    scanning,
    serving,
    templates,
    viewing,
    workers,
)
from lineage.cli.app import cli, main

__all__ = ["cli", "main"]
