"""A file appears whole or not at all: partial files beside the target, committed or
discarded, and leftovers removed unless a live writer holds them (real files throughout)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.core.atomic_files import (
    atomic_write,
    is_partial_name,
    partial_name,
    remove_leftovers,
    reserve_partial,
)

ROOT = Path(__file__).resolve().parents[2]

# Another program at work: it reserves a partial file of the target it is given, says where,
# and keeps writing until it is killed.
WRITER = r"""
import sys, time
from pathlib import Path
from app.core.atomic_files import reserve_partial
partial = reserve_partial(Path(sys.argv[1]))
partial.file.write(b"case X100001: the plan addressed contact with children")
partial.file.flush()
print(partial.path, flush=True)
time.sleep(120)
"""


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_a_committed_file_replaces_the_target_whole_and_leaves_nothing_beside_it(tmp_path):
    target = tmp_path / "sample.xlsx"
    target.write_bytes(b"earlier")
    with atomic_write(target) as partial:
        assert partial.path.parent == tmp_path and is_partial_name(partial.path.name)
        partial.file.write(b"the new workbook")
        assert target.read_bytes() == b"earlier"  # not until it is complete
    assert target.read_bytes() == b"the new workbook"
    assert names(tmp_path) == ["sample.xlsx"]


@pytest.mark.skipif(os.name == "nt", reason="permission bits are POSIX")
def test_the_file_is_readable_by_its_owner_only(tmp_path):
    target = tmp_path / "X1.pdf"
    with atomic_write(target) as partial:
        assert partial.path.stat().st_mode & 0o777 == 0o600
        partial.file.write(b"%PDF")
    assert target.stat().st_mode & 0o777 == 0o600


def test_a_file_written_by_name_is_committed_too(tmp_path):
    target = tmp_path / "backup.db"
    with atomic_write(target) as partial:
        partial.path.write_bytes(b"written by another library, by name")
    assert target.read_bytes() == b"written by another library, by name"
    assert names(tmp_path) == ["backup.db"]


@pytest.mark.parametrize("interruption", [RuntimeError("the database went away"),
                                          KeyboardInterrupt()])
def test_any_failure_or_interruption_discards_the_partial_and_leaves_the_target(
        tmp_path, interruption):
    target = tmp_path / "sample.xlsx"
    target.write_bytes(b"earlier")
    with pytest.raises(type(interruption)), atomic_write(target) as partial:
        partial.file.write(b"half a workbook")
        partial.file.flush()
        assert len(names(tmp_path)) == 2
        raise interruption
    assert target.read_bytes() == b"earlier"
    assert names(tmp_path) == ["sample.xlsx"]


def test_a_target_that_cannot_be_replaced_leaves_no_partial(tmp_path):
    target = tmp_path / "sample.xlsx"
    target.mkdir()  # a folder cannot be replaced by a file
    with pytest.raises(OSError), atomic_write(target) as partial:
        partial.file.write(b"the new workbook")
    assert names(tmp_path) == ["sample.xlsx"] and target.is_dir()


def test_an_abandoned_partial_is_removed_and_nothing_else(tmp_path):
    abandoned = tmp_path / partial_name("sample.xlsx")
    abandoned.write_bytes(b"case X100001 in the clear")
    others = ["sample.xlsx", "notes.partial", ".~sample.xlsx.partial", "~$sample.xlsx",
              ".~sample.xlsx.0123.partial", partial_name("sample.xlsx") + ".bak"]
    for name in others:
        (tmp_path / name).write_bytes(b"keep")
    named_like_one = tmp_path / partial_name("a folder")
    named_like_one.mkdir()
    assert remove_leftovers(tmp_path) == 1
    assert not abandoned.exists()
    assert names(tmp_path) == sorted([*others, named_like_one.name])


def test_sqlite_files_beside_an_abandoned_partial_go_with_it(tmp_path):
    abandoned = tmp_path / partial_name("copy.db")
    for end in ("", "-wal", "-shm", "-journal"):
        Path(f"{abandoned}{end}").write_bytes(b"pages")
    orphan = tmp_path / (partial_name("other.db") + "-wal")
    orphan.write_bytes(b"pages")
    assert remove_leftovers(tmp_path) == 5
    assert names(tmp_path) == []


def test_a_partial_held_by_this_process_survives_cleanup_with_its_sqlite_files(tmp_path):
    target = tmp_path / "copy.db"
    with reserve_partial(target) as partial:
        wal = Path(f"{partial.path}-wal")
        wal.write_bytes(b"pages")
        assert remove_leftovers(tmp_path) == 0
        assert partial.path.exists() and wal.exists()
    assert names(tmp_path) == []  # discarded with its SQLite files


def test_a_partial_held_by_a_live_writer_survives_and_is_removed_once_it_is_killed(tmp_path):
    target = tmp_path / "sample.xlsx"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(target)], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)
    try:
        held = Path(writer.stdout.readline().strip())
        assert held.parent == tmp_path and held.exists(), "the writer did not start"
        assert remove_leftovers(tmp_path) == 0
        assert held.read_bytes().startswith(b"case X100001")
    finally:
        writer.kill()
        writer.wait(timeout=30)
        writer.stdout.close()
    assert held.exists()  # a killed writer leaves it behind...
    assert remove_leftovers(tmp_path) == 1  # ...and the next cleanup removes it
    assert names(tmp_path) == []


def test_writing_to_a_folder_first_removes_its_leftovers(tmp_path):
    (tmp_path / partial_name("sample.xlsx")).write_bytes(b"left by a killed export")
    (tmp_path / partial_name("other.pdf")).write_bytes(b"left by a killed export")
    with atomic_write(tmp_path / "sample.xlsx") as partial:
        assert names(tmp_path) == [partial.path.name]
        partial.file.write(b"the new workbook")
    assert names(tmp_path) == ["sample.xlsx"]


@pytest.mark.skipif(os.name == "nt", reason="on Windows an open partial cannot be removed")
def test_an_unlocked_partial_removed_while_written_is_never_committed(tmp_path):
    target = tmp_path / "copy.db"
    target.write_bytes(b"earlier backup")
    with pytest.raises(FileNotFoundError), atomic_write(target, lock=False) as partial:
        assert remove_leftovers(tmp_path) == 1  # nothing holds its lock
        partial.path.write_bytes(b"")  # SQLite, opening it again by name, makes a new file
    assert target.read_bytes() == b"earlier backup"
    assert names(tmp_path) == ["copy.db"]


def test_a_folder_that_cannot_be_read_has_no_leftovers(tmp_path):
    assert remove_leftovers(tmp_path / "not here") == 0
