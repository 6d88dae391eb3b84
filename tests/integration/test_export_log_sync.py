"""The export log at the central store: entries travel with a sync; an inspection's members
see its entries, only the author (and administrators) an entry that belongs to no single
inspection; nobody changes or removes an entry."""

from __future__ import annotations

import pytest

from app.sync.central import init_central
from tests.integration.helpers import make_case, make_inspection
from tests.integration.sync_fixtures import laptop, person_url
from tests.integration.test_central_security import rows, try_write

PASSPHRASE = "orange kettle river"


@pytest.fixture
def exported(central_url, tmp_path):
    """Inspector one exports a workbook of their inspection and, once everything is sent, an
    (empty) transfer file, then syncs. A colleague on the team, an inspector on another
    team and an administrator have logins."""
    init_central(central_url)
    one = laptop(tmp_path, central_url, "inspector.one")
    inspection = make_inspection(one.services)
    case = make_case(one.services, "X1", inspection=inspection)
    one.services.exports.export(inspection_id=inspection.id, path=tmp_path / "analysis.xlsx")
    one.sync()
    one.services.sync.export_package(tmp_path / "usb.aspire", PASSPHRASE)
    assert one.sync().applied == 1  # the transfer file's entry
    two = laptop(tmp_path, central_url, "inspector.two", inspections=[inspection.id])
    laptop(tmp_path, central_url, "other.inspector")
    laptop(tmp_path, central_url, "central.admin", role="admin")
    return central_url, one, two, inspection, case


def test_entries_sync_and_members_pull_them(exported, tmp_path):
    central_url, one, two, inspection, case = exported
    mine = {e.id: e for e in one.services.exports.log()}
    assert [e.kind for e in mine.values()] == ["transfer", "workbook"]
    stored = rows(central_url, "SELECT id, kind, file_name, sha256, case_ids, inspection_id, "
                               "updated_by, device_id FROM export_log ORDER BY exported_at")
    assert [(r.kind, r.file_name, r.updated_by) for r in stored] == [
        ("workbook", "analysis.xlsx", "inspector.one"), ("transfer", "usb.aspire",
                                                         "inspector.one")]
    workbook, transfer = stored
    assert workbook.sha256 == mine[workbook.id].sha256 and workbook.case_ids == [str(case.id)]
    assert workbook.inspection_id == inspection.id and transfer.inspection_id is None
    assert workbook.device_id == one.services._db.device_id

    # a colleague on the team pulls the workbook's entry, not the transfer file's
    two.sync()
    [pulled] = two.services.exports.log()
    assert pulled == mine[workbook.id]
    assert two.services.exports.log(inspection.id) == [pulled]

    # the same person on a second laptop pulls both
    (tmp_path / "second").mkdir()
    again = laptop(tmp_path / "second", central_url, "inspector.one")
    again.sync()
    assert again.services.exports.log() == one.services.exports.log()
    assert again.services.sync.status().pending_changes == 0


def test_who_sees_which_entries_at_the_central_store(exported):
    central_url, _one, _two, _inspection, _case = exported

    def seen(login: str) -> set[str]:
        return {r.kind for r in rows(person_url(central_url, login),
                                     "SELECT kind FROM export_log")}

    def logged(login: str) -> int:
        return len(rows(person_url(central_url, login),
                        "SELECT 1 FROM central_changes WHERE entity = 'export_log'"))

    assert seen("inspector.one") == {"workbook", "transfer"} and logged("inspector.one") == 2
    assert seen("inspector.two") == {"workbook"} and logged("inspector.two") == 1
    assert seen("other.inspector") == set() and logged("other.inspector") == 0
    assert seen("central.admin") == {"workbook", "transfer"} and logged("central.admin") == 2


@pytest.mark.parametrize("login", ["inspector.one", "central.admin"])
def test_nobody_changes_or_removes_an_entry(exported, login):
    central_url, _one, _two, _inspection, _case = exported
    person = person_url(central_url, login)
    for sql in ("UPDATE export_log SET file_name = 'nothing.xlsx'", "DELETE FROM export_log"):
        assert try_write(person, sql) == "ProgrammingError", sql
    assert len(rows(central_url, "SELECT 1 FROM export_log")) == 2


def test_nobody_adds_an_entry_in_someone_elses_name(exported):
    central_url, _one, _two, inspection, case = exported
    insert = ("INSERT INTO export_log (id, kind, file_name, sha256, case_count, case_ids, "
              "inspection_id, pseudonymised, exported_at, rev, updated_at, updated_by, "
              "device_id) VALUES (gen_random_uuid(), 'workbook', 'x.xlsx', '0', 1, "
              "CAST(:ids AS json), :i, false, now(), 1, now(), :by, gen_random_uuid())")
    ids = f'["{case.id}"]'
    two = person_url(central_url, "inspector.two")
    assert try_write(two, insert, ids=ids, i=inspection.id, by="inspector.one") == \
        "ProgrammingError"
    outsider = person_url(central_url, "other.inspector")
    assert try_write(outsider, insert, ids=ids, i=inspection.id, by="other.inspector") == \
        "ProgrammingError"
    assert try_write(two, insert, ids=ids, i=inspection.id, by="inspector.two") == 1
