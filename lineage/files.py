"""Writing the tracker's outputs: atomically, with the permissions they need, never through a link.

Exports, evidence and databases can name every resource of an account, so they are created readable by
their owner alone (`PRIVATE`); a page the user asked to publish is readable by all (`PUBLISHED`). A file
is written to a fresh temporary name in the target's own folder (`tempfile`, created exclusively, so a
planted file or link at a predictable name is never written through) and renamed over the target, so a
reader sees the old file or the new one, never half of one. A target that is a symbolic link is refused:
renaming would replace the link, writing would follow it, and neither is what the user asked for.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

PRIVATE = 0o600
PUBLISHED = 0o644


class OutputError(Exception):
    """An output that cannot be written where it was asked to go; the message is one line for the user."""


def write_output(path: Path, data: str | bytes, mode: int = PRIVATE, replace: bool = True) -> bool:
    """Write `data` to `path`; True when an existing file was replaced (never more readable than it was).

    `replace=False` refuses an existing file: for a name the command chose, not the user.
    """
    path = Path(path)
    if path.is_symlink():
        raise OutputError(f"{path} is a symbolic link; not writing through it (name the file itself)")
    existed = path.exists()
    if existed and not path.is_file():
        raise OutputError(f"{path} exists and is not a file")
    if existed:
        mode &= path.stat().st_mode  # a file its owner made more private stays so when it is replaced
    if existed and not replace:
        raise OutputError(f"{path} exists; not replacing it")
    payload = data.encode("utf-8") if isinstance(data, str) else data
    folder = path.parent
    try:
        descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as error:
        raise OutputError(f"cannot write {path}: {error.strerror or error}") from None
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(payload)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise OutputError(f"cannot write {path}: {error.strerror or error}") from None
    return existed
