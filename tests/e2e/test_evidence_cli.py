"""`lineage pii` and `lineage evidence` run as a user runs them, on the scan `lineage demo` stores."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from lineage.demo import ACCOUNT, REGION
from tests.e2e.conftest import lineage

ENROLLMENTS = f"arn:aws:glue:{REGION}:{ACCOUNT}:table/curated/enrollments"
BUNDLE = ("evidence.json", "flows.csv", "index.html", "manifest.json")


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("demo")
    result = lineage("demo", "--out", str(out))
    assert result.returncode == 0, result.stderr
    return str(out / "lineage.db")


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lineage: ") and "Traceback" not in stderr, stderr
    return lines[0]


def test_pii_names_the_source_its_evidence_where_it_rests_and_what_masks_it(db: str) -> None:
    shown = lineage("pii", "--db", db, env={"COLUMNS": "200"})
    assert shown.returncode == 0, shown.stderr
    assert "curated.enrollments" in shown.stdout and "categories: email" in shown.stdout
    assert "column name 'email' in column student_email" in shown.stdout
    assert "✗ FAILING" in shown.stdout and "masked by publish-course-stats" in shown.stdout

    first, second = lineage("pii", "--db", db, "--json"), lineage("pii", "--db", db, "--json")
    assert first.returncode == 0 and first.stdout == second.stdout
    summary = json.loads(first.stdout)
    assert summary["format"] == "lineage-pii/1"
    [source] = summary["sources"]
    assert source["node"] == ENROLLMENTS and source["categories"] == ["email"]
    assert source["labels"][0]["column"] == "student_email" and source["reaches"] >= len(source["rests"]) > 0
    verdicts = {place["node"]: place["verdict"] for place in source["rests"]}
    assert verdicts["arn:aws:s3:::lp-athena-results"] == "failing"
    assert set(verdicts.values()) <= {"failing", "unknown", "ok"}
    # The job that publishes course statistics, and the QuickSight dataset of completions, each masked so.
    assert sorted((h["action"], h["node"].rsplit("/", 1)[-1]) for h in source["handled_by"]) == [
        ("masked", "course-completions"), ("masked", "publish-course-stats")]
    assert summary["summary"]["failing_places"] >= 1


def test_a_bundle_is_written_private_verifies_is_the_same_every_time_and_shows_any_change(
        db: str, tmp_path: Path) -> None:
    folder = tmp_path / "audit" / "bundle"
    written = lineage("evidence", "--db", db, "-o", str(folder))
    assert written.returncode == 0, written.stderr
    assert sorted(p.name for p in folder.iterdir()) == sorted(BUNDLE)
    assert all(stat.S_IMODE((folder / name).stat().st_mode) == 0o600 for name in BUNDLE)
    assert "wrote an evidence bundle" in written.stderr and "1 source(s) of personal data" in written.stdout
    first = {name: (folder / name).read_bytes() for name in BUNDLE}
    assert str(tmp_path).encode() not in b"".join(first.values())
    assert json.loads(first["evidence.json"])["sources"][0]["node"] == ENROLLMENTS

    checked = lineage("evidence", "--verify", str(folder))
    assert (checked.returncode, checked.stdout, checked.stderr) == (0, "4 files verified\n", "")

    again = lineage("evidence", "--db", db, "-o", str(folder), env={"PYTHONHASHSEED": "987"})
    assert again.returncode == 0 and "replaced the evidence bundle" in again.stderr
    assert {name: (folder / name).read_bytes() for name in BUNDLE} == first

    data = bytearray(first["flows.csv"])
    data[len(data) // 2] ^= 0x01
    (folder / "flows.csv").write_bytes(bytes(data))
    corrupt = lineage("evidence", "--verify", str(folder))
    assert corrupt.returncode == 1
    assert corrupt.stdout == "changed: flows.csv (its sha256 or size is not the one in manifest.json)\n"
    assert "does not verify: 1 problem(s)" in one_line(corrupt.stderr)

    (folder / "flows.csv").write_bytes(first["flows.csv"])
    (folder / "index.html").unlink()
    assert lineage("evidence", "--verify", str(folder)).returncode == 1
    (folder / "index.html").write_bytes(first["index.html"])
    assert lineage("evidence", "--verify", str(folder)).returncode == 0


@pytest.mark.parametrize(("args", "message"), [
    (["evidence"], "give -o DIR to write an evidence bundle, or --verify DIR to check one"),
    (["evidence", "-o", "{tmp}/a", "--verify", "{tmp}/b"], "-o and --verify do not go together"),
    (["evidence", "--verify", "{tmp}/absent"], "is not a folder holding an evidence bundle"),
    (["evidence", "--verify", "{tmp}/empty"], "holds no manifest.json: not an evidence bundle"),
    (["evidence", "--verify", "{tmp}/broken"], "is not a usable manifest: not JSON"),
    (["evidence", "--verify", "{tmp}/empty", "--scan", "x"], "--scan is for writing a bundle"),
    (["evidence", "-o", "{tmp}/full"], "is not empty and holds no evidence bundle (no manifest.json)"),
    (["evidence", "-o", "{tmp}/file.txt"], "exists and is not a folder"),
    (["evidence", "-o", "{tmp}/new", "--scan", "nope"], "no scan with id 'nope'"),
    (["pii", "--scan", "nope"], "no scan with id 'nope'"),
    (["evidence", "--bogus"], "No such option '--bogus'"),
])
def test_wrong_arguments_are_one_line_and_exit_2(args: list[str], message: str, db: str, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "manifest.json").write_text("{not json")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "report.docx").write_text("someone's work")
    (tmp_path / "file.txt").write_text("a file")
    result = lineage(*[a.format(tmp=tmp_path) for a in args], "--db", db)
    assert result.returncode == 2 and result.stdout == ""
    assert message in one_line(result.stderr)
    assert not (tmp_path / "new").exists()  # nothing is made for a command that fails
    assert (tmp_path / "full" / "report.docx").read_text() == "someone's work"
