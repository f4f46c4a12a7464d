"""The files the command writes: private or published as they should be, never through a link, never
replaced without saying so.

An export names every resource of an account, so it is its owner's alone (0600); a page the user asked
for is readable by all (0644). Whatever the umask says: the test runs under the usual 022, which would
leave an export readable by all were the mode not set.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from lineage.files import PRIVATE, PUBLISHED
from lineage.model import Node, Scan, ScanStatus, Stage
from store.repository import list_scans, load_scan, open_store, save_scan
from tests.e2e.conftest import lineage
from viz.export import dumps, scan_document


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


@pytest.fixture(autouse=True)
def _usual_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.fixture
def database(tmp_path: Path) -> str:
    bucket = Node("arn:aws:s3:::data", "s3.bucket", "data", Stage.STORAGE, "123456789012", "us-east-1")
    scan = Scan("scan-1", "2026-01-01T00:00:00+00:00", "2026-01-01T00:00:01+00:00", ScanStatus.COMPLETE,
                ("123456789012",), ("us-east-1",), (bucket,), (), (), (), {"s3:ListBuckets": 1})
    path = tmp_path / "lineage.db"
    engine = open_store(f"sqlite:///{path}")
    save_scan(engine, scan)
    engine.dispose()
    return str(path)


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


def test_an_export_is_private_and_says_it_was_written_then_replaced(database: str, tmp_path: Path) -> None:
    target = tmp_path / "export.json"
    first = lineage("export", "--db", database, "-o", str(target))
    assert first.returncode == 0 and first.stdout == ""
    assert one_line(first.stderr) == f"wrote {target}"
    assert mode_of(target) == PRIVATE
    again = lineage("export", "--db", database, "-o", str(target))
    assert again.returncode == 0 and one_line(again.stderr) == f"replaced {target}"
    assert mode_of(target) == PRIVATE
    assert target.read_text(encoding="utf-8") == lineage("export", "--db", database).stdout


def test_an_exported_page_is_published(database: str, tmp_path: Path) -> None:
    target = tmp_path / "page.html"
    result = lineage("export", "--db", database, "--format", "html", "-o", str(target))
    assert result.returncode == 0 and one_line(result.stderr) == f"wrote {target}"
    assert mode_of(target) == PUBLISHED and "<html" in target.read_text(encoding="utf-8")


def test_an_export_is_never_written_through_a_link(database: str, tmp_path: Path) -> None:
    victim = tmp_path / "authorized_keys"
    victim.write_text("precious")
    link = tmp_path / "export.json"
    link.symlink_to(victim)
    result = lineage("export", "--db", database, "-o", str(link))
    assert result.returncode == 2
    assert "symbolic link" in one_line(result.stderr)
    assert victim.read_text() == "precious" and link.is_symlink()


def test_an_export_that_cannot_be_written_is_one_line_and_exit_2(database: str, tmp_path: Path) -> None:
    result = lineage("export", "--db", database, "-o", str(tmp_path / "missing" / "export.json"))
    assert result.returncode == 2
    assert f"cannot write {tmp_path / 'missing' / 'export.json'}" in one_line(result.stderr)


def test_the_scan_page_is_published_replaced_aloud_and_a_link_refused_after_the_scan_is_stored(
        moto_server: str, tmp_path: Path) -> None:
    db, page = tmp_path / "scans.db", tmp_path / "view.html"
    args = ("scan", "--endpoint-url", moto_server, "--region", "us-east-1", "--db", str(db), "--html")
    first = lineage(*args, str(page))
    assert first.returncode == 0, first.stderr
    assert f"wrote {page}" in first.stderr and mode_of(page) == PUBLISHED
    again = lineage(*args, str(page))
    assert again.returncode == 0 and f"replaced {page}" in again.stderr

    victim = tmp_path / "victim.html"
    victim.write_text("precious")
    link = tmp_path / "link.html"
    link.symlink_to(victim)
    refused = lineage(*args, str(link))
    assert refused.returncode == 2
    newest = list_scans(open_store(str(db)))[0]
    assert one_line(refused.stderr) == (f"lineage: scan {newest.id} is stored, but {link} is a symbolic link; "
                                        "not writing through it (name the file itself)")
    assert len(list_scans(open_store(str(db)))) == 3 and newest.status == "complete"
    assert victim.read_text() == "precious"


def test_the_demo_publishes_its_page_keeps_its_export_and_database_private_and_says_what_it_replaced(
        tmp_path: Path) -> None:
    out = tmp_path / "demo"
    first = lineage("demo", "--out", str(out))
    assert first.returncode == 0, first.stderr
    for name in ("lineage.db", "lineage.html", "lineage.json"):
        assert f"wrote {out / name}" in first.stdout
    assert mode_of(out / "lineage.html") == PUBLISHED
    assert mode_of(out / "lineage.json") == PRIVATE and mode_of(out / "lineage.db") == PRIVATE
    again = lineage("demo", "--out", str(out))
    assert again.returncode == 0, again.stderr
    assert f"added a scan to {out / 'lineage.db'}" in again.stdout
    assert f"replaced {out / 'lineage.html'}" in again.stdout and f"replaced {out / 'lineage.json'}" in again.stdout
    engine = open_store(str(out / "lineage.db"))
    assert len(list_scans(engine)) == 2
    assert (out / "lineage.json").read_text(encoding="utf-8") == dumps(scan_document(load_scan(engine)))


@pytest.mark.parametrize("name", ["lineage.db", "lineage.html"])
def test_the_demo_writes_through_no_link(name: str, tmp_path: Path) -> None:
    out = tmp_path / "demo"
    out.mkdir()
    victim = tmp_path / "victim"
    victim.write_text("precious")
    (out / name).symlink_to(victim)
    result = lineage("demo", "--out", str(out))
    assert result.returncode == 2
    assert one_line(result.stderr) == (f"lineage: {out / name} is a symbolic link; not writing through it "
                                       "(name the file itself)")
    assert victim.read_text() == "precious" and (out / name).is_symlink()
