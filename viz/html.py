"""The interactive view of a scan: one self-contained HTML file that works offline.

The page is the project's own template, which inlines the vis-network script and style pyvis ships, so
nothing is loaded from the network. What the page draws (`viz.page_data`) reaches it as one JSON data
element, with `<`, `>` and `&` escaped, which its script reads and puts on screen only as text (DOM
`textContent`, canvas labels, vis-network tooltips given as strings); the scan's header, its coverage
gaps and what could not be shown reach it through the template, which escapes them. A control character
reaches the page as an escape, never raw. Writing the page is the wiring's: this module only renders.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pyvis
from jinja2 import Environment, PackageLoader, select_autoescape

from lineage.isolation import Problems
from lineage.model import CoverageGap, Scan
from lineage.shown import printable
from viz.grouping import GROUP_ABOVE
from viz.page_data import Focus, page_data


def vis_assets() -> tuple[str, str]:
    """The vis-network script and style that pyvis ships."""
    base = Path(pyvis.__file__).parent / "templates" / "lib" / "vis-9.1.2"
    return (base / "vis-network.min.js").read_text(encoding="utf-8"), (base / "vis-network.css").read_text(
        encoding="utf-8"
    )


@cache
def _app_script() -> str:
    """The page's own script: the same for every page (the data is apart), so its hash is too."""
    return resources.files("viz").joinpath("templates", "graph.js").read_text(encoding="utf-8")


# JSON escapes C0 controls itself; DEL and C1 it leaves raw, and a page printed to a terminal
# (`lineage export --format html`) would have them obeyed there (U+009B is CSI).
_C1 = re.compile(r"[\x7f-\x9f]")


def _script_json(value: Any) -> str:
    """JSON safe inside a <script> element, whatever the strings hold."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e").replace(
        "\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return _C1.sub(lambda found: f"\\u{ord(found.group()):04x}", text)


def _gap_as_shown(gap: CoverageGap) -> CoverageGap:
    return CoverageGap(*(printable(getattr(gap, name)) for name in ("service", "operation", "resource", "error",
                                                                    "region", "account")))


def _as_shown(scan: Scan) -> Scan:
    """The scan's strings that the template writes (its header and gaps), each control character an
    escape (`\\x1b`); everything else reaches the page as JSON."""
    return replace(scan, id=printable(scan.id), accounts=tuple(map(printable, scan.accounts)),
                   regions=tuple(map(printable, scan.regions)),
                   coverage_gaps=tuple(map(_gap_as_shown, scan.coverage_gaps)))


def script_sources(*scripts: str) -> str:
    """The page's Content-Security-Policy `script-src`: the hash of each of its own scripts, and
    nothing else, so that a script element that reached the page any other way never runs."""
    return " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" for s in scripts)


def render_html(scan: Scan, problems: Problems | None = None, focus: Focus | None = None,
                personal_only: bool = False, group_above: int = GROUP_ABOVE) -> str:
    """The page; what could not be shown in full is listed on it and, when given, in `problems`.

    It opens on the whole scan — grouped above `group_above` nodes — or on `focus`, or with only
    personal data shown; the person reading it can change each of these in the page."""
    problems = problems if problems is not None else Problems()
    data = page_data(scan, problems, focus, personal_only, group_above)
    script, style = vis_assets()
    environment = Environment(loader=PackageLoader("viz", "templates"), autoescape=select_autoescape(["html"]))
    app_script = _app_script()
    vis_script = script.replace("</script", "<\\/script")
    return environment.get_template("graph.html").render(
        scan=_as_shown(scan),
        script_sources=script_sources(vis_script, app_script),
        vis_script=vis_script,
        app_script=app_script,
        vis_style=style,
        page_data=_script_json(data),
        view_problems=[_gap_as_shown(gap) for gap in problems.gaps],
    )
