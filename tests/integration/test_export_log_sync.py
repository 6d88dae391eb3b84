"""The export log at the central store: entries travel with a sync; an inspection's members
see its entries, only the author (and administrators) an entry that belongs to no single
inspection; nobody changes or removes an entry. People reach the store only through the
central service; what it holds is looked at underneath as the database's superuser."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from app.db.bookkeeping import row_values_to_payload
from app.sync.central import central_engine
from app.sync.client import ServiceLink
from app.sync.protocol import APPLIED, REFUSED, Change
from tests.integration.helpers import make_case, make_inspection
from tests.integration.sync_fixtures import PASSWORD, laptop, made_up_device

PASSPHRASE = "orange kettle river"


@pytest.fixture
def exported(central, tmp_path):
    """Inspector one exports a workbook of their inspection and, once everything is sent, an
    (empty) transfer file, then syncs. A colleague on the team, an inspector on another
    team and an administrator have logins."""
    one = laptop(tmp_path, central, "inspector.one")
    inspection = make_inspection(one.services)
    case = make_case(one.services, "X1", inspection=inspection)
    one.services.exports.export(inspection_id=inspection.id, path=tmp_path / "analysis.xlsx")
    one.sync()
    one.services.sync.export_package(tmp_path / "usb.aspire", PASSPHRASE)
    assert one.sync().applied == 1  # the transfer file's entry
    two = laptop(tmp_path, central, "inspector.two", inspections=[inspection.id])
    laptop(tmp_path, central, "other.inspector")
    laptop(tmp_path, central, "central.admin", role="admin")
    return central, one, two, inspection, case


def rows(url: str, sql: str, **params) -> list:
    """What the store holds, read underneath (``url``: the superuser's)."""
    engine = central_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql), params).all()
    finally:
        engine.dispose()


def held(central_url: str) -> tuple[list, list]:
    """The export log's entries and their changes in the change log, as stored."""
    return (rows(central_url, "SELECT * FROM export_log ORDER BY id"),
            rows(central_url, "SELECT * FROM central_changes WHERE entity = 'export_log' "
                              "ORDER BY seq"))


def link(address: str, login: str) -> ServiceLink:
    """``login`` signed in to the service with their password, from a laptop of their own
    made for the purpose (so every change comes with its payload)."""
    return ServiceLink(address, login, PASSWORD, made_up_device().sign_in)


def entry(central_url: str, kind: str) -> dict:
    [found] = rows(central_url, "SELECT * FROM export_log WHERE kind = :k", k=kind)
    return row_values_to_payload(found._mapping)


def push(address: str, login: str, *changes: Change) -> list:
    with link(address, login) as signed_in:
        return signed_in.push(list(changes))


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
    _central_url, one, _two, inspection, _case = exported

    def seen(login: str) -> tuple[list[str], set[str]]:
        """The kinds of the export log's changes ``login`` pulls through the service, and of
        the inspection's entries they fetch with it."""
        with link(one.url, login) as signed_in:
            changes, cursor = [], 0
            while page := signed_in.changes_after(cursor):
                changes += [c for c in page if c["entity"] == "export_log"]
                cursor = page[-1]["seq"]
            missing = [c["seq"] for c in changes if c["payload"] is None]
            payloads = signed_in.payloads(missing) if missing else {}
            fetched = signed_in.inspection(inspection.id).get("export_log", [])
        kinds = sorted((c["payload"] or payloads[c["seq"]])["kind"] for c in changes)
        return kinds, {r["kind"] for r in fetched}

    assert seen("inspector.one") == (["transfer", "workbook"], {"workbook"})
    assert seen("inspector.two") == (["workbook"], {"workbook"})
    assert seen("other.inspector") == ([], set())
    assert seen("central.admin") == (["transfer", "workbook"], {"workbook"})


@pytest.mark.parametrize("login", ["inspector.one", "central.admin"])
def test_nobody_changes_or_removes_an_entry(exported, login):
    """The author and an administrator alike send an edit of each entry and its removal,
    as a laptop's sync would send them: all are refused, and the store is as it was."""
    central_url, one, _two, _inspection, _case = exported
    before = held(central_url)
    forged = []
    for kind in ("workbook", "transfer"):
        stored = entry(central_url, kind)
        for op, values in (("update", {"file_name": "nothing.xlsx"}), ("delete", {})):
            forged.append(Change(uuid.uuid4(), "export_log", uuid.UUID(stored["id"]), op,
                                 stored["rev"], stored["rev"] + 1, {**stored, **values}))
    outcomes = push(one.url, login, *forged)
    assert [o.status for o in outcomes] == [REFUSED] * len(forged), outcomes
    assert all("never changed once written" in o.detail for o in outcomes)
    assert held(central_url) == before
    assert len(before[0]) == 2


def test_nobody_adds_an_entry_in_someone_elses_name(exported):
    central_url, one, _two, inspection, case = exported

    def new_entry(by: str) -> Change:
        payload = {"id": str(uuid.uuid4()), "kind": "workbook", "file_name": "x.xlsx",
                   "sha256": "0", "case_count": 1, "case_ids": [str(case.id)],
                   "inspection_id": str(inspection.id), "pseudonymised": False,
                   "exported_at": "2026-12-08T09:30:00+00:00", "rev": 1,
                   "updated_at": "2026-12-08T09:30:00+00:00", "updated_by": by,
                   "device_id": str(uuid.uuid4())}
        return Change(uuid.uuid4(), "export_log", uuid.UUID(payload["id"]), "insert", 0, 1,
                      payload)

    def authors() -> list[tuple[str, str]]:
        return sorted(rows(central_url, "SELECT file_name, updated_by FROM export_log"))

    before = held(central_url)
    original = authors()
    # someone not on the inspection's team: refused, nothing stored
    [outcome] = push(one.url, "other.inspector", new_entry("other.inspector"))
    assert outcome.status == REFUSED and "not on this inspection's team" in outcome.detail
    assert held(central_url) == before
    # a member who names a colleague as its author: what is stored is theirs, not the
    # colleague's (the service stamps every change with the person who sent it)
    [outcome] = push(one.url, "inspector.two", new_entry("inspector.one"))
    assert outcome.status == APPLIED
    assert authors() == sorted([*original, ("x.xlsx", "inspector.two")])
    assert rows(central_url, "SELECT changed_by FROM central_changes WHERE entity = "
                             "'export_log' AND entity_id = :i", i=outcome.entity_id) == [
        ("inspector.two",)]
    # and in their own name
    [outcome] = push(one.url, "inspector.two", new_entry("inspector.two"))
    assert outcome.status == APPLIED
    assert authors() == sorted([*original, ("x.xlsx", "inspector.two"),
                                ("x.xlsx", "inspector.two")])
