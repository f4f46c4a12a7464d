"""Which way data moves through a named argument: `--source_path`, `OutputLocation`, `--TempDir`.

Glue job arguments, Step Functions task parameters and SDK requests all name their S3 paths; the
name is the only statement of direction there is. A name that says neither is reported as such.
"""

from __future__ import annotations

import enum
import re


class Direction(enum.StrEnum):
    READ = "read"
    WRITE = "write"
    UNSTATED = "unstated"  # a path whose name says neither; kept, and said to be unstated
    NONE = "none"  # configuration of the runtime (scripts, libraries, logs), not data


_WRITE_WORDS = frozenset(
    {"output", "out", "target", "dest", "destination", "sink", "write", "export", "result",
     "results", "tempdir", "temp", "tmp", "staging", "archive", "save", "put", "upload"}
)
_READ_WORDS = frozenset({"input", "in", "source", "src", "read", "import", "from", "get", "load"})

# Glue's own runtime arguments: code and logs of the job, not its data.
_RUNTIME_ARGUMENTS = frozenset(
    {"scriptlocation", "extrapyfiles", "extrajars", "extrafiles", "sparkeventlogspath",
     "additionalpythonmodules", "pythonmodulesinstalleroption", "conf", "userjarsfirst",
     "customerdriverenv", "customerexecutorenv", "enablegluedatacatalog", "jobbookmarkoption",
     "joblanguage", "class"}
)


def name_tokens(name: str) -> list[str]:
    """`--source_path` → [source, path]; `S3OutputPath` → [s3, output, path]."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name.strip("-$ "))
    return [t.lower() for t in re.split(r"[^A-Za-z0-9]+", spaced) if t]


def direction_of(name: str) -> Direction:
    compact = re.sub(r"[^a-z0-9]", "", name.lower())
    if compact in _RUNTIME_ARGUMENTS:
        return Direction.NONE
    if compact == "tempdir":
        return Direction.WRITE
    tokens = name_tokens(name)
    writes = any(t in _WRITE_WORDS for t in tokens)
    reads = any(t in _READ_WORDS for t in tokens)
    if writes and not reads:
        return Direction.WRITE
    if reads and not writes:
        return Direction.READ
    return Direction.UNSTATED


def role_prefix(name: str, suffixes: tuple[str, ...]) -> str | None:
    """The role part of a catalog argument: `--target_database` → `target`, `--database` → ``."""
    tokens = name_tokens(name)
    if not tokens:
        return None
    for suffix in suffixes:
        if tokens[-1] == suffix or (tokens[-1] == "name" and len(tokens) > 1 and tokens[-2] == suffix):
            end = len(tokens) - (1 if tokens[-1] == suffix else 2)
            return " ".join(tokens[:end])
    return None
