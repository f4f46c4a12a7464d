"""The `lineage` command: the group and its command families, registered on import."""

from lineage.cli import demo_commands, history, offline, reading, scanning, serving  # noqa: F401 - registers commands
from lineage.cli.app import cli, main

__all__ = ["cli", "main"]
