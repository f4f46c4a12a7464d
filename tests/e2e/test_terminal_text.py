"""Strings from AWS reach the terminal as text: never as markup, emoji codes or control sequences.

A name, a message or an error is whatever the account holds, so every command that prints one is run
here as a user runs it, on a scan full of hostile strings: once writing to a pipe, once with rich
forced to treat the pipe as a terminal (where it emits styles and links of its own). What must hold
either way: the bracket text is shown as written, a control character from the data is shown as a
visible escape (`\\x1b`) and never reaches the output raw, so it can neither clear the screen, nor
plant a hyperlink, nor rewrite a line; `--json` stays the exact JSON document.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from lineage.cli.printing import printable
from lineage.model import (
    Category,
    CoverageGap,
    Edge,
    EdgeKind,
    Evidence,
    Finding,
    Node,
    Scan,
    ScanStatus,
    Severity,
    Stage,
)
from store.repository import load_scan, open_store, save_scan
from tests.e2e.conftest import lineage
from viz.export import dumps, scan_document

MARKUP = ("[link=https://evil.example]x[/link]", "[/bad]", "[bold red]", ":warning:")
# Each control character follows a word of its own, so that what came from the data can be told apart
# from the codes rich writes itself on a terminal; the value is how it must be shown instead.
CONTROLS = {
    "clear\x1b[2J": "clear\\x1b[2J",
    "link\x1b]8;;https://evil\x1b\\": "link\\x1b]8;;https://evil\\x1b\\",
    "bell\x07": "bell\\x07",
    "return\r": "return\\x0d",
    "erase\x08": "erase\\x08",
    "csi\x9b": "csi\\x9b",
}
HOSTILE = " ".join([*MARKUP, *CONTROLS])
SHORT = "[/bad] :warning: clear\x1b[2J bell\x07"  # where a store column or a summary limits the length
SHORT_SHOWN = ("[/bad]", ":warning:", "clear\\x1b[2J", "bell\\x07")
EVERYTHING_SHOWN = (*MARKUP, *CONTROLS.values())

ACCOUNT = "123456789012"
BUCKET = f"arn:aws:s3:::data/{HOSTILE}"
JOB = f"arn:aws:glue:us-east-1:{ACCOUNT}:job/{HOSTILE}"
HEAD_ID = f"scan-2 {SHORT}"

PIPE = {"COLUMNS": "2000", "TERM": "dumb"}
# rich decides at start-up whether it writes to a terminal; these make it believe so, colours and all.
TERMINAL = {"COLUMNS": "2000", "TERM": "xterm-256color", "FORCE_COLOR": "1", "TTY_COMPATIBLE": "1",
            "COLORTERM": "truecolor"}
MODES = pytest.mark.parametrize("mode", [PIPE, TERMINAL], ids=["pipe", "terminal"])


def assert_rich_wrote_for(mode: dict[str, str], output: str) -> None:
    """On a terminal rich writes codes of its own (bold table headers, a progress bar): proof that the
    terminal case was the one tested; in a pipe it writes none."""
    assert ("\x1b[" in output) == (mode is TERMINAL)


def assert_shown_as_text(output: str, shown: tuple[str, ...]) -> None:
    for raw in CONTROLS:
        assert raw not in output, f"{raw!r} reached the output"
    assert "\x1b]8;" not in output, "a hyperlink reached the output"
    for text in shown:
        assert text in output, f"{text!r} is not shown as written"


def node(node_id: str, kind: str, name: str, attributes: dict | None = None) -> Node:
    return Node(node_id, kind, name, Stage.STORAGE if kind.startswith("s3") else Stage.PROCESSING, ACCOUNT,
                "us-east-1", True, attributes or {})


def scan(scan_id: str, started: str, nodes: tuple[Node, ...], edges: tuple[Edge, ...] = (),
         findings: tuple[Finding, ...] = (), gaps: tuple[CoverageGap, ...] = (),
         status: ScanStatus = ScanStatus.PARTIAL) -> Scan:
    return Scan(scan_id, started, started, status, (ACCOUNT,), ("us-east-1",), nodes, edges, findings, gaps,
                {"s3:ListBuckets": 1})


def hostile_history() -> tuple[Scan, Scan, Scan]:
    """A failed scan, then two with a graph; the second adds hostile nodes, a flow, a finding, a gap,
    and changes a tag and a lifecycle rule, so that `diff` has each kind of change to print."""
    failed = scan("scan-0", "2026-01-01T00:00:00+00:00", (), status=ScanStatus.FAILED)
    tagged = f"arn:aws:s3:::tagged-{SHORT}"
    before = node(tagged, "s3.bucket", "tagged", {"tags": {"owner": "data"},
                                                   "lifecycle_rules": [{"id": SHORT}]})
    after = node(tagged, "s3.bucket", "tagged", {"tags": {"owner": MARKUP[0]}, "lifecycle_rules": []})
    base = scan("scan-1", "2026-01-02T00:00:00+00:00", (before,))
    evidence = Evidence("glue:GetJob", JOB, "DefaultArguments.--output", HOSTILE)
    head = scan(
        HEAD_ID, "2026-01-03T00:00:00+00:00",
        (after, node(BUCKET, "s3.location", HOSTILE, {"tags": {"owner": HOSTILE}}),
         node(JOB, "glue.job", f"job {HOSTILE}")),
        edges=(Edge(JOB, BUCKET, EdgeKind.WRITES, (evidence,)),),
        findings=(Finding("f1", "s3.location_without_lifecycle", Category.LIFECYCLE, Severity.HIGH, BUCKET,
                          HOSTILE, f"fix {HOSTILE}", (evidence,)),),
        gaps=(CoverageGap("s3", "GetBucketTagging", HOSTILE, f"AccessDenied: {HOSTILE}", "us-east-1"),),
    )
    return failed, base, head


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("hostile") / "lineage.db"
    engine = open_store(f"sqlite:///{path}")
    failed, base, head = hostile_history()
    save_scan(engine, failed, error=f"{SHORT}\nsecond line")
    save_scan(engine, base)
    save_scan(engine, head)
    engine.dispose()
    return str(path)


READING = {
    "findings": (["findings"], EVERYTHING_SHOWN),
    "gaps": (["gaps"], EVERYTHING_SHOWN),
    "show": (["show", JOB], EVERYTHING_SHOWN),
    "show-upstream": (["show", BUCKET, "--upstream"], EVERYTHING_SHOWN),
    "scans": (["scans"], SHORT_SHOWN),
    "diff": (["diff"], EVERYTHING_SHOWN),
}


@MODES
@pytest.mark.parametrize("command", list(READING))
def test_reading_commands_print_hostile_strings_as_text(command: str, mode: dict[str, str], database: str) -> None:
    args, shown = READING[command]
    result = lineage(*args, "--db", database, env=mode)
    assert result.returncode == 0, result.stderr
    assert_shown_as_text(result.stdout, shown)
    assert_shown_as_text(result.stderr, ())
    assert_rich_wrote_for(mode, result.stdout)


@MODES
def test_an_ambiguous_name_is_refused_in_one_line_that_shows_the_ids_as_text(mode: dict[str, str],
                                                                             tmp_path: Path) -> None:
    twins = (node(f"arn:aws:s3:::a/{HOSTILE}", "s3.location", "twin"),
             node(f"arn:aws:s3:::b/{HOSTILE}", "s3.location", "twin"))
    db = tmp_path / "twins.db"
    save_scan(open_store(f"sqlite:///{db}"), scan("twins", "2026-01-01T00:00:00+00:00", twins))
    result = lineage("show", "twin", "--db", str(db), env=mode)
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert_shown_as_text(line, ("names 2 nodes", "[link=https://evil.example]x[/link]", "clear\\x1b[2J"))


@MODES
def test_json_outputs_stay_the_exact_json_documents(mode: dict[str, str], database: str) -> None:
    stored = load_scan(open_store(f"sqlite:///{database}"))
    exported = lineage("export", "--db", database, env=mode)
    findings = lineage("findings", "--db", database, "--json", env=mode)
    assert exported.returncode == findings.returncode == 0
    assert exported.stdout == dumps(scan_document(stored))
    assert findings.stdout == json.dumps([f.to_dict() for f in stored.findings], indent=2) + "\n"
    assert json.loads(findings.stdout)[0]["message"] == HOSTILE
    assert_shown_as_text(exported.stdout, ("[link=https://evil.example]x[/link]", "\\u001b[2J"))


@MODES
def test_the_page_on_stdout_carries_no_raw_control_characters(mode: dict[str, str], database: str) -> None:
    result = lineage("export", "--db", database, "--format", "html", env=mode)
    assert result.returncode == 0, result.stderr
    assert_shown_as_text(result.stdout, ("[link=https://evil.example]x[/link]",))
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout


@MODES
def test_asl_shows_a_hostile_definition_as_text(mode: dict[str, str], tmp_path: Path) -> None:
    definition = tmp_path / "hostile.asl.json"
    definition.write_text(json.dumps({"StartAt": HOSTILE, "States": {HOSTILE: {
        "Type": "Task", "Resource": "arn:aws:states:::glue:startJobRun.sync",
        "Parameters": {"JobName": HOSTILE, "Arguments": {"--output": f"s3://data/{HOSTILE}"}},
        "Next": "missing " + HOSTILE}}}), encoding="utf-8")
    result = lineage("asl", str(definition), env=mode)
    assert result.returncode == 0, result.stderr
    assert_shown_as_text(result.stdout, EVERYTHING_SHOWN)
    assert_shown_as_text(result.stderr, ("warning: ", *EVERYTHING_SHOWN))
    assert_rich_wrote_for(mode, result.stdout)


# --- `lineage scan`: an endpoint whose every error message is hostile ------------------------------

IDENTITY = (f"<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult>"
            f"<Arn>arn:aws:iam::{ACCOUNT}:user/t</Arn><UserId>T</UserId><Account>{ACCOUNT}</Account>"
            f"</GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata>"
            f"</GetCallerIdentityResponse>").encode()


class Refusing(BaseHTTPRequestHandler):
    """STS says who the caller is; every other call is refused with a hostile message, as an AWS error
    message that quotes a resource's name would be."""

    def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if b"Action=GetCallerIdentity" in body:
            self.answer(200, "text/xml", IDENTITY)
        else:
            self.answer(400, "application/x-amz-json-1.1",
                        json.dumps({"__type": "AccessDeniedException", "message": HOSTILE}).encode(),
                        {"x-amzn-ErrorType": "AccessDeniedException"})

    do_GET = do_PUT = do_POST  # noqa: N815 - S3 and the REST services ask with these

    def answer(self, status: int, content_type: str, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in {"Content-Type": content_type, "Content-Length": str(len(body)), **(headers or {})}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        """Quiet: the test reads the command's output, not the server's."""


@pytest.fixture
def refusing_endpoint() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Refusing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@MODES
def test_the_scan_summary_shows_hostile_errors_as_text(mode: dict[str, str], refusing_endpoint: str,
                                                       tmp_path: Path) -> None:
    db = tmp_path / "scan.db"
    result = lineage("scan", "--endpoint-url", refusing_endpoint, "--region", "us-east-1", "--db", str(db),
                     env={**mode, "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"})
    assert result.returncode == 0, result.stderr
    assert "partial" in result.stdout and "gap: AccessDeniedException: " in result.stdout
    assert_shown_as_text(result.stdout, EVERYTHING_SHOWN)
    assert_shown_as_text(result.stderr, ())
    assert_rich_wrote_for(mode, result.stderr)  # the progress bar, drawn only on a terminal


# --- the one function every printed string goes through ---------------------------------------------


@pytest.mark.parametrize(("raw", "shown"), [
    ("\x1b[2J", "\\x1b[2J"), ("\x07", "\\x07"), ("\r", "\\x0d"), ("\x08", "\\x08"), ("\x00", "\\x00"),
    ("\x7f", "\\x7f"), ("\x9b", "\\x9b"), ("\x85", "\\x85"),
])
def test_printable_shows_each_control_character_as_an_escape(raw: str, shown: str) -> None:
    assert printable(f"a{raw}b") == f"a{shown}b"


def test_printable_keeps_text_lines_tabs_and_every_other_character() -> None:
    text = "line one\n\tline two: [bold]é ✓ 日本 :warning: \\x1b"
    assert printable(text) == text
