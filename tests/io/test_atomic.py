"""The one atomic-write helper: all or nothing under the final name, no temporary left over."""

import doctest

import pytest

from nlp_pipeline.errors import OutputError
from nlp_pipeline.io import atomic
from nlp_pipeline.io.atomic import atomic_write, write_bytes_atomic, write_text_atomic


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if ".tmp-" in p.name)


def test_replaces_the_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old", encoding="utf-8")
    write_text_atomic(target, "新\n")
    assert target.read_bytes() == "新\n".encode()
    write_bytes_atomic(target, b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01"
    assert leftovers(tmp_path) == []


def test_failed_write_keeps_the_old_file(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("good old result", encoding="utf-8")

    def half_then_fail(temp):
        with open(temp, "w", encoding="utf-8") as fh:
            fh.write("half")
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        atomic_write(target, half_then_fail)
    assert target.read_text(encoding="utf-8") == "good old result"
    assert leftovers(tmp_path) == []


def test_os_errors_become_output_errors_naming_the_file(tmp_path):
    def full_disk(temp):
        raise OSError(28, "No space left on device")

    with pytest.raises(OutputError, match="out.txt"):
        atomic_write(tmp_path / "out.txt", full_disk)
    with pytest.raises(OutputError, match="folder"):
        write_text_atomic(tmp_path / "missing" / "out.txt", "x")
    with pytest.raises(OutputError, match="folder"):
        write_text_atomic(tmp_path, "x")
    assert leftovers(tmp_path) == []


def test_doctests():
    assert doctest.testmod(atomic).failed == 0
