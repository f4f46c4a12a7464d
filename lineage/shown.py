"""Text a terminal or a page shows and never obeys.

A name, a message or an error read from AWS can hold control characters. Written raw, an ESC or a BEL
would be obeyed by a terminal (clear the screen, plant an OSC 8 hyperlink, rewrite the line with a
carriage return), and a page printed to one carries them there too. Each becomes a visible escape.
"""

from __future__ import annotations

import re

# C0 controls but tab and newline (which only lay text out), DEL, and C1 controls (U+0080–U+009F:
# some terminals obey U+009B as CSI, as they obey ESC [).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(value: object) -> str:
    """`value` as text that is shown and never obeyed: a control character becomes `\\xNN`."""
    return _CONTROL.sub(lambda found: f"\\x{ord(found.group()):02x}", str(value))
