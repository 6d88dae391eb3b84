"""The export log: every workbook, case form PDF and transfer file is recorded exactly once,
with its SHA-256 (read back from the file), its cases and who made it; a failed export
records nothing, and a file that cannot be recorded is deleted. The log is append-only."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import select

from app.core.export_log import LEAVES_THE_STORE
from app.db import models as m
from app.errors import UserFacingError
from app.io.excel_workbook import ExportCancelled
from app.services.export_log import ExportNotLoggedError
from tests.cli import as_json, aspire
from tests.integration.helpers import make_case, make_inspection

PASSPHRASE = "orange kettle river"


def sha256_of(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture
def inspection(mini):
    inspection = make_inspection(mini)
    cases = [make_case(mini, ref, inspection=inspection) for ref in ("X1", "X2", "X3")]
    mini.forms.record_answer(case_id=cases[0].id, question_key="victim", value="yes")
    return inspection, cases


def outbox_entries(db) -> int:
    with db.read() as session:
        return len(session.scalars(select(m.Outbox).where(
            m.Outbox.entity == "export_log")).all())


def test_each_export_writes_exactly_one_entry(mini, db, inspection, tmp_path):
    inspection, cases = inspection
    started = dt.datetime.now(dt.UTC)
    workbook = mini.exports.export(inspection_id=inspection.id, path=tmp_path / "all.xlsx")
    [entry] = mini.exports.log()
    assert (entry.id, entry.kind, entry.file_name) == (workbook.log_entry, "workbook",
                                                        "all.xlsx")
    assert entry.sha256 == workbook.sha256 == sha256_of(tmp_path / "all.xlsx")
    assert set(entry.case_ids) == {c.id for c in cases} and entry.case_count == 3
    assert entry.inspection_id == inspection.id and not entry.pseudonymised
    assert (entry.exported_by, entry.device_id) == ("inspector.one", db.device_id)
    assert started <= entry.exported_at <= dt.datetime.now(dt.UTC)

    (tmp_path / "pdf").mkdir()
    mini.review.export_pdf(cases[1].id, tmp_path / "pdf" / "X2.pdf")
    newest = mini.exports.log()[0]
    assert (newest.kind, newest.file_name, newest.case_ids) == ("pdf", "X2.pdf", (cases[1].id,))
    assert newest.sha256 == sha256_of(tmp_path / "pdf" / "X2.pdf")
    assert newest.inspection_id == inspection.id

    manifest = mini.sync.export_package(tmp_path / "usb.aspire", PASSPHRASE)
    newest = mini.exports.log()[0]
    assert (newest.kind, newest.file_name) == ("transfer", "usb.aspire")
    assert newest.sha256 == sha256_of(tmp_path / "usb.aspire")
    assert set(newest.case_ids) == {c.id for c in cases}  # every case's records are in it
    assert newest.inspection_id == inspection.id  # all of one inspection
    assert manifest["counts"]["export_log"] == 2  # the earlier entries travel with it

    assert [e.kind for e in mini.exports.log()] == ["transfer", "pdf", "workbook"]
    assert [e.kind for e in mini.exports.log(inspection.id)] == ["transfer", "pdf", "workbook"]
    assert outbox_entries(db) == 3  # each entry waits to be synced


def test_a_transfer_file_spanning_inspections_names_none(mini, inspection, tmp_path):
    other = make_inspection(mini)
    make_case(mini, "Y1", inspection=other)
    mini.sync.export_package(tmp_path / "usb.aspire", PASSPHRASE)
    [entry] = mini.exports.log()
    assert entry.inspection_id is None and entry.case_count == 4
    assert mini.exports.log(other.id) == []


def test_a_failed_export_writes_none(mini, inspection, tmp_path):
    inspection, cases = inspection
    missing = tmp_path / "no such folder"
    with pytest.raises(UserFacingError):
        mini.exports.export(inspection_id=inspection.id, path=missing / "a.xlsx")
    with pytest.raises(ExportCancelled):
        mini.exports.export(inspection_id=inspection.id, path=tmp_path / "b.xlsx",
                            cancelled=lambda: True)
    with pytest.raises(UserFacingError):
        mini.review.export_pdf(cases[0].id, missing / "X1.pdf")
    with pytest.raises(UserFacingError):
        mini.sync.export_package(missing / "usb.aspire", PASSPHRASE)
    with pytest.raises(UserFacingError, match="passphrase is too short"):
        mini.sync.export_package(tmp_path / "usb.aspire", "short")
    assert mini.exports.log() == []
    assert {p.name for p in tmp_path.iterdir()} <= {"data", "userdata"}  # no file left


@pytest.mark.parametrize("kind", ["workbook", "pdf", "transfer"])
def test_a_file_that_cannot_be_logged_is_deleted(mini, db, inspection, tmp_path, kind):
    inspection, cases = inspection
    with db.engine.begin() as conn:  # the log refuses every entry, as a failing disk would
        conn.exec_driver_sql("CREATE TRIGGER refuse_entries BEFORE INSERT ON export_log "
                             "BEGIN SELECT RAISE(ABORT, 'the disk is full'); END")
    target = tmp_path / {"workbook": "a.xlsx", "pdf": "X1.pdf", "transfer": "usb.aspire"}[kind]
    with pytest.raises(ExportNotLoggedError, match="has been deleted") as raised:
        if kind == "workbook":
            mini.exports.export(inspection_id=inspection.id, path=target)
        elif kind == "pdf":
            mini.review.export_pdf(cases[0].id, target)
        else:
            mini.sync.export_package(target, PASSPHRASE)
    assert "the disk is full" in raised.value.problem and target.name in raised.value.problem
    assert not target.exists() and not list(tmp_path.glob(".~*"))
    assert mini.exports.log() == [] and outbox_entries(db) == 0


def test_the_log_is_never_changed_or_removed(mini, db, inspection, tmp_path):
    inspection, _cases = inspection
    mini.exports.export(inspection_id=inspection.id, path=tmp_path / "a.xlsx")
    for statement in ("UPDATE export_log SET file_name = 'nothing.xlsx'",
                      "DELETE FROM export_log"):
        with pytest.raises(sa_exc.DBAPIError, match="never changed or removed"), \
                db.engine.begin() as conn:
            conn.exec_driver_sql(statement)
    assert mini.exports.log()[0].file_name == "a.xlsx"


def test_export_and_export_log_from_the_command_line(tmp_path):
    db = tmp_path / "e.db"
    demo = as_json(aspire("demo", "--cases", "4", "--json", db=db))
    out = tmp_path / "shared.xlsx"
    made = aspire("export", "--inspection", demo["id"], "-o", str(out), "--pseudonymise",
                  "--json", db=db)
    result = as_json(made)  # standard output is the JSON alone
    assert result["pseudonymised"] is True and result["sha256"] == sha256_of(out)
    assert LEAVES_THE_STORE in made.stderr
    cases = as_json(aspire("cases", "list", "--inspection", demo["id"], "--json", db=db))
    pdf = aspire("export-pdf", "--case", cases[0]["id"], "-o", str(tmp_path / "one.pdf"),
                 db=db)
    assert pdf.returncode == 0 and LEAVES_THE_STORE in pdf.stderr
    assert LEAVES_THE_STORE not in pdf.stdout

    log = as_json(aspire("export-log", "--json", db=db))
    assert [(e["kind"], e["file_name"], e["pseudonymised"]) for e in log] == [
        ("pdf", "one.pdf", False), ("workbook", "shared.xlsx", True)]
    assert log[1]["id"] == result["log_entry"] and log[1]["sha256"] == result["sha256"]
    assert sorted(log[1]["case_ids"]) == sorted(c["id"] for c in cases)
    assert log[1]["cases"] == 4 and log[0]["case_ids"] == [cases[0]["id"]]
    assert log[0]["inspection_id"] == demo["id"] and log[0]["exported_by"] == "inspector.one"
    assert as_json(aspire("export-log", "--inspection", demo["id"], "--json", db=db)) == log
    text = aspire("export-log", db=db)
    assert text.returncode == 0 and "shared.xlsx" in text.stdout
    assert "(pseudonymised)" in text.stdout
