"""Outputs: atomic, with the permissions asked for, never written through a link."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from lineage.files import PRIVATE, PUBLISHED, OutputError, write_output


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_output_is_private_by_default_and_a_page_readable_by_all(tmp_path) -> None:
    assert write_output(tmp_path / "export.json", "{}") is False
    assert mode_of(tmp_path / "export.json") == PRIVATE
    write_output(tmp_path / "page.html", "<p>", PUBLISHED)
    assert mode_of(tmp_path / "page.html") == PUBLISHED
    assert (tmp_path / "page.html").read_text() == "<p>"


def test_the_mode_holds_whatever_the_umask(tmp_path) -> None:
    previous = os.umask(0)
    try:
        write_output(tmp_path / "export.json", b"x")
    finally:
        os.umask(previous)
    assert mode_of(tmp_path / "export.json") == PRIVATE


def test_replacing_says_so_and_leaves_no_temporary_file(tmp_path) -> None:
    target = tmp_path / "out.json"
    target.write_text("old")
    os.chmod(target, 0o666)
    assert write_output(target, "new") is True
    assert target.read_text() == "new"
    assert mode_of(target) == PRIVATE
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


def test_a_file_made_private_stays_private_when_a_page_replaces_it(tmp_path) -> None:
    page = tmp_path / "view.html"
    page.write_text("old")
    os.chmod(page, 0o600)
    write_output(page, "new", PUBLISHED)
    assert mode_of(page) == 0o600


def test_an_existing_file_is_kept_when_replacing_was_not_asked(tmp_path) -> None:
    target = tmp_path / "out.json"
    target.write_text("old")
    with pytest.raises(OutputError, match="exists; not replacing"):
        write_output(target, "new", replace=False)
    assert target.read_text() == "old"


def test_a_symbolic_link_is_never_written_through(tmp_path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious")
    link = tmp_path / "out.html"
    link.symlink_to(victim)
    with pytest.raises(OutputError, match="symbolic link"):
        write_output(link, "page")
    assert victim.read_text() == "precious"
    assert link.is_symlink()


def test_a_link_planted_at_a_temporary_looking_name_is_not_followed(tmp_path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious")
    for guess in (".latest.html.tmp", f".latest.html.{os.getpid()}.tmp"):
        (tmp_path / guess).symlink_to(victim)
    write_output(tmp_path / "latest.html", "page", PUBLISHED)
    assert victim.read_text() == "precious"
    assert (tmp_path / "latest.html").read_text() == "page"


def test_a_folder_that_is_missing_or_a_directory_target_is_one_message(tmp_path) -> None:
    with pytest.raises(OutputError, match="cannot write .*: No such file or directory"):
        write_output(tmp_path / "missing" / "out.json", "x")
    (tmp_path / "folder").mkdir()
    with pytest.raises(OutputError, match="not a file"):
        write_output(tmp_path / "folder", "x")
