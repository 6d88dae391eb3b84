"""Faults met for real, run by ``test_faults`` inside a mount namespace of its own where a
small filesystem is mounted at the folder given: the disk fills, or turns read-only, under a
laptop's database while it is in use. Each step's outcome is printed as one JSON line:
``{"step": ..., "error": class name or null, "problem": ..., "advice": ...}``.

    python -m tests.integration.fault_scenes FOLDER full [SERVICE_ADDRESS LOGIN PASSWORD]
    python -m tests.integration.fault_scenes FOLDER reopen [SERVICE_ADDRESS LOGIN PASSWORD]
    python -m tests.integration.fault_scenes FOLDER setup   (then the folder is made read-only)
    python -m tests.integration.fault_scenes FOLDER read_only
    python -m tests.integration.fault_scenes FOLDER export_to DATABASE INSPECTION_ID
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path

from app.bootstrap import build_services
from app.core.dto import NewInspection
from app.core.profile import CaseProfile
from app.db.keys import derive, passphrase_problem_for
from app.db.opening import open_database
from app.errors import UserFacingError

FRAMEWORKS = Path(__file__).parents[1] / "fixtures" / "frameworks"
PASSPHRASE = "correct horse battery staple"
KEY = derive(PASSPHRASE, b"aspire-test-salt")


def step(name: str, action) -> object:
    try:
        result = action()
    except UserFacingError as exc:
        _told({"step": name, "error": type(exc).__name__, "problem": exc.problem,
               "advice": exc.advice})
        return None
    _told({"step": name, "error": None, "result": str(result)})
    return result


def _told(outcome: dict) -> None:
    sys.stdout.write(json.dumps(outcome) + "\n")
    sys.stdout.flush()


def services(folder: Path, user: str = "ruth.evans"):
    return build_services(open_database(folder / "casework.db", user=user, key=KEY),
                          FRAMEWORKS)


def fill(folder: Path) -> Path:
    """Fill the disk to its last byte with a file of its own (grown if it is there)."""
    filler = folder / "filler"
    handle = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        for size in (1 << 16, 1 << 12, 1 << 9, 1):
            try:
                while True:
                    os.write(handle, b"\0" * size)
            except OSError:
                pass
    finally:
        os.close(handle)
    return filler


def full(folder: Path, central: list[str]) -> None:
    setup(folder)
    laptop = services(folder)
    [inspection] = laptop.inspections.list()
    [case] = laptop.cases.list(inspection.id)
    laptop.forms.record_answer(case_id=case.id, question_key="victim", value="yes")
    if central:
        address, _login, password = central
        step("first sync", lambda: laptop.sync.sync(address, password).pushed)
    laptop.forms.record_answer(case_id=case.id, question_key="officers", value=2)
    fill(folder)
    step("save an answer", lambda: laptop.forms.record_answer(
        case_id=case.id, question_key="comment", value="Seen at home " * 400))
    step("export a workbook", lambda: laptop.exports.export(
        inspection_id=inspection.id, path=folder / "cases.xlsx").path)
    if central:
        step("sync", lambda: laptop.sync.sync(central[0], central[2]).pushed)
    laptop.close()


def reopen(folder: Path, central: list[str]) -> None:
    """Another day: the database closed cleanly, then the disk filled to its last byte."""
    (folder / "filler").unlink(missing_ok=True)
    services(folder).close()
    filler = fill(folder)
    step("open the database", lambda: services(folder).close())
    step("type the passphrase", lambda: _passphrase(folder))
    filler.unlink()
    again = services(folder)
    [inspection] = again.inspections.list()
    [case] = again.cases.list(inspection.id)
    answers = again.forms.open(case.id).answers
    step("open once space is freed", lambda: sorted(answers))
    if central:
        step("sync once space is freed", lambda: again.sync.sync(central[0], central[2]).pushed)
    again.close()


def _passphrase(folder: Path) -> None:
    problem = passphrase_problem_for(folder / "casework.db", PASSPHRASE, new=False)
    if problem is not None:
        raise UserFacingError(*problem.split("\n", 1))


def setup(folder: Path) -> None:
    laptop = services(folder)
    inspection = laptop.inspections.create(NewInspection(
        name="Westshire", programme="adult_probation", organisation="Westshire PDU",
        framework_key="mini", start_date=dt.date(2026, 3, 2)))
    laptop.cases.add(inspection_id=inspection.id, reference="X1",
                     profile=CaseProfile(phase="community"))
    laptop.close()


def read_only(folder: Path) -> None:
    step("open the database", lambda: services(folder).close())
    step("type the passphrase", lambda: _passphrase(folder))


def export_to(folder: Path, database: str, inspection: str) -> None:
    """The workbook of an inspection whose database is on another disk, written here."""
    import uuid

    laptop = build_services(open_database(Path(database), user="inspector.one", key=KEY),
                            FRAMEWORKS)
    step("export a workbook", lambda: laptop.exports.export(
        inspection_id=uuid.UUID(inspection), path=folder / "cases.xlsx").path)
    laptop.close()


if __name__ == "__main__":
    where, scene, *rest = sys.argv[1:]
    {"full": lambda: full(Path(where), rest),
     "reopen": lambda: reopen(Path(where), rest),
     "setup": lambda: setup(Path(where)),
     "export_to": lambda: export_to(Path(where), *rest),
     "read_only": lambda: read_only(Path(where))}[scene]()
