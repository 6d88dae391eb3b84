"""Faults told as they are, each produced for real: a disk that fills under the database (a
small filesystem of the test's own), a disk that turns read-only, a database another program
holds, a workbook or transfer file written to a full or read-only disk, a central service
whose certificate this laptop does not trust. None is told as a wrong passphrase or a damaged
file, none advises starting a new database, and nothing saved before is lost."""

from __future__ import annotations

import contextlib
import json
import shutil
import ssl
import subprocess
import sys
from pathlib import Path

import pytest

from app.core.faults import Fault, fault_words, os_fault, sqlite_fault
from app.db.keys import passphrase_problem_for
from app.db.opening import open_database
from app.errors import DatabaseError
from app.sync.central import CentralError, add_user
from tests.conftest import TEST_KEY, TEST_PASSPHRASE, raw_connection
from tests.integration.helpers import make_case, make_inspection
from tests.integration.sync_fixtures import PASSWORD
from tests.integration.test_service_faults import answers_at
from tests.integration.test_sync_faults import central_rows
from tests.service import service_in_thread

ROOT = Path(__file__).parents[2]
WRONG_KEY_WORDS = ("passphrase", "key is wrong", "damaged", "not an ASPIRE Casework")


def _namespaces() -> str | None:
    """Why this machine cannot give a test a filesystem of its own, or None if it can."""
    if shutil.which("unshare") is None:
        return "unshare is not installed"
    tried = subprocess.run(["unshare", "-rm", "true"], capture_output=True, text=True)
    return None if tried.returncode == 0 else f"no user namespaces here: {tried.stderr}"


def on_a_small_disk(tmp_path: Path, *commands: str, size: str = "4m") -> list[dict]:
    """Run shell ``commands`` (with $DISK the small filesystem and $SCENE the scene runner)
    in a mount namespace of their own; the steps the scenes printed."""
    why = _namespaces()
    if why is not None:
        pytest.skip(f"the machine does not allow a small filesystem of the test's own: {why}")
    disk = tmp_path / "disk"
    disk.mkdir()
    script = "set -e\nmount -t tmpfs -o size=" + size + " tmpfs \"$DISK\"\n" + "\n".join(
        commands)
    env = {"DISK": str(disk), "SCENE": f"{sys.executable} -m tests.integration.fault_scenes"}
    done = subprocess.run(["unshare", "-rm", "sh", "-c", script], cwd=ROOT,
                          env={**_environment(), **env}, capture_output=True, text=True,
                          timeout=300)
    steps = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert done.returncode == 0, done.stderr[-3000:]
    return steps


def _environment() -> dict[str, str]:
    import os

    return dict(os.environ)


def told_as(step: dict, fault: Fault, retry: str = "try again") -> None:
    """The step failed, and said so in the words of ``fault``."""
    assert step["error"] is not None, step
    text = step["problem"] + "\n" + step["advice"]
    happened, advice = fault_words(fault, "it", retry)
    assert f": {happened}." in step["problem"] and advice in step["advice"], (fault, text)
    assert not any(word in step["problem"] for word in WRONG_KEY_WORDS), text
    assert "start a new" not in text.replace("do not start a new database", ""), text


def test_a_disk_that_fills_under_the_database_is_told_as_full(tmp_path, central):
    add_user(central, login="ruth.evans", name="Ruth Evans", role="inspector",
             password=PASSWORD)
    address = service_in_thread(central)
    steps = {s["step"]: s for s in on_a_small_disk(
        tmp_path, f"$SCENE \"$DISK\" full {address} ruth.evans '{PASSWORD}'",
        f"$SCENE \"$DISK\" reopen {address} ruth.evans '{PASSWORD}'")}
    assert steps["first sync"]["error"] is None
    for name in ("save an answer", "export a workbook", "sync", "open the database"):
        told_as(steps[name], Fault.DISK_FULL)
        assert "is full" in steps[name]["problem"]
        assert "Free some space" in steps[name]["advice"]
    assert steps["save an answer"]["problem"].startswith(
        "Nothing could be saved to the database casework.db: the disk holding it is full.")
    assert "could not be opened" in steps["open the database"]["problem"]
    told_as(steps["type the passphrase"], Fault.DISK_FULL)  # the window's passphrase check
    # once space is freed, everything saved before the disk filled is there, and no more
    assert steps["open once space is freed"] == {
        "step": "open once space is freed", "error": None, "result": "['officers', 'victim']"}
    assert steps["sync once space is freed"]["error"] is None
    assert answers_at(central) == {"X1/victim": '"yes"', "X1/officers": "2"}
    assert central_rows(central)["duplicated changes"] == 0


def test_a_disk_turned_read_only_under_the_database(tmp_path):
    steps = {s["step"]: s for s in on_a_small_disk(
        tmp_path, "$SCENE \"$DISK\" setup", "mount -o remount,ro \"$DISK\"",
        "$SCENE \"$DISK\" read_only")}
    problem = steps["open the database"]["problem"]
    assert "read-only" in problem and "cannot be opened for writing" in problem
    told_as(steps["type the passphrase"], Fault.READ_ONLY)


def test_a_workbook_written_to_a_full_or_read_only_disk(mini, tmp_path):
    inspection = make_inspection(mini)
    make_case(mini, "X1", inspection=inspection)
    why = _namespaces()
    if why is not None:
        pytest.skip(f"the machine does not allow a small filesystem of the test's own: {why}")
    # the database stays on the ordinary disk; the workbook goes to a small one that fills
    # (the export is run by a process of its own inside the namespace)
    steps = on_a_small_disk(tmp_path, "dd if=/dev/zero of=\"$DISK/filler\" bs=4k "
                                      "2>/dev/null || true",
                            f"{sys.executable} -m tests.integration.fault_scenes "
                            f"\"$DISK\" export_to {mini_db(mini)} {inspection.id}",
                            "mount -o remount,ro \"$DISK\"", "rm -f \"$DISK/filler\" || true",
                            f"{sys.executable} -m tests.integration.fault_scenes "
                            f"\"$DISK\" export_to {mini_db(mini)} {inspection.id}")
    full, read_only = steps
    told_as(full, Fault.DISK_FULL, "export again")
    assert full["problem"].startswith("The workbook cannot be saved as")
    assert "Nothing was saved" in full["problem"]
    told_as(read_only, Fault.READ_ONLY, "export again")
    assert [e.kind for e in mini.exports.log()] == []  # no export recorded as written


def mini_db(services) -> str:
    return str(services.exports._db.path)


def test_a_database_another_program_holds(db_path, db):
    db.close()
    with contextlib.closing(raw_connection(db_path, uri=False)) as other:
        other.execute("PRAGMA locking_mode=EXCLUSIVE")
        other.execute("BEGIN EXCLUSIVE")
        other.execute("CREATE TABLE held (x)")  # written, so the lock is held until closed
        with pytest.raises(DatabaseError) as info:
            open_database(db_path, user="ruth.evans", key=TEST_KEY)
        told_as({"error": "DatabaseError", "problem": info.value.problem,
                 "advice": info.value.advice}, Fault.IN_USE)
        assert "another program is using it" in info.value.problem
        problem = passphrase_problem_for(db_path, TEST_PASSPHRASE, new=False)
        assert problem is not None and "another program is using it" in problem
        other.rollback()
    open_database(db_path, user="ruth.evans", key=TEST_KEY).close()  # free again


def test_a_central_service_whose_certificate_is_not_trusted(central, start_service, tmp_path,
                                                            mini):
    from tests.integration.test_central_service import self_signed

    cert, key = self_signed(tmp_path)
    service = start_service(central, "--tls-cert", str(cert), "--tls-key", str(key),
                            scheme="https", context=ssl.create_default_context(cafile=str(cert)))
    add_user(central, login="inspector.one", name="Inspector One", role="inspector",
             password=PASSWORD)
    make_case(mini, "X1", inspection=make_inspection(mini))
    with pytest.raises(CentralError) as info:
        mini.sync.sync(service.base, PASSWORD)
    assert "certificate is not trusted by this laptop" in info.value.problem
    assert "ask your IT team" in info.value.advice
    assert mini.sync.status().pending_changes > 0  # nothing was sent, nothing lost


@pytest.mark.parametrize(("name", "fault"), [
    ("SQLITE_FULL", Fault.DISK_FULL), ("SQLITE_BUSY", Fault.IN_USE),
    ("SQLITE_LOCKED", Fault.IN_USE), ("SQLITE_READONLY", Fault.READ_ONLY),
    ("SQLITE_PERM", Fault.NO_ACCESS), ("SQLITE_IOERR", Fault.DISK_ERROR),
    ("SQLITE_NOTADB", None), ("SQLITE_CORRUPT", None), (None, None)])
def test_sqlite_errors_by_name(tmp_path, name, fault):
    assert sqlite_fault(name, tmp_path / "casework.db") is fault


@pytest.mark.parametrize(("code", "fault"), [
    ("ENOSPC", Fault.DISK_FULL), ("EROFS", Fault.READ_ONLY), ("EACCES", Fault.NO_ACCESS),
    ("ENOENT", Fault.GONE), ("EBUSY", Fault.IN_USE), ("EIO", Fault.DISK_ERROR),
    ("EINVAL", None)])
def test_os_errors_by_number(tmp_path, code, fault):
    import errno

    assert os_fault(OSError(getattr(errno, code), "x"), tmp_path) is fault
