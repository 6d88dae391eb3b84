"""A change from the central store that this laptop cannot apply (a forged entry, an answer
for a case that does not exist) is set aside with a notice, and the rest of the sync goes
on; it is tried again at later syncs."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, text

from app.sync.central import add_user
from tests.integration.helpers import make_case, make_inspection
from tests.integration.sync_fixtures import PASSWORD, forge, laptop


def test_an_answer_for_a_missing_case_is_set_aside_and_the_rest_arrives(central, tmp_path):
    one = laptop(tmp_path, central, "inspector.one")
    inspection = make_inspection(one.services)
    case = make_case(one.services, "X1", inspection=inspection)
    one.sync()
    two = laptop(tmp_path, central, "inspector.two", inspections=[inspection.id])
    two.sync()
    forge(central, inspection.id, "answers", {
        "id": str(uuid.uuid4()), "case_id": str(uuid.uuid4()), "question_key": "officers",
        "value": 4, "reasons": [], "evidence": "", "respondent": "inspector"})
    one.services.forms.record_answer(case_id=case.id, question_key="officers", value=2)
    one.sync()  # a genuine change, after the forged one

    got = two.sync()
    assert got.set_aside == 1
    assert two.services.forms.open(case.id).answers["officers"].value == 2  # the rest came
    (aside,) = two.services.conflicts.open()
    # the rule it broke, and nothing of what it held
    assert (aside.kind, aside.detail) == ("set aside",
                                          "NOT NULL constraint failed: answers.device_id")
    again = two.sync()  # not a wedge: later syncs go on, and try it again quietly
    assert again.set_aside == 0
    assert len(two.services.conflicts.open()) == 1


def test_a_change_set_aside_applies_at_a_later_sync_once_what_it_needs_has_come(central,
                                                                               tmp_path):
    one = laptop(tmp_path, central, "inspector.one")
    inspection = make_inspection(one.services)
    make_case(one.services, "X1", inspection=inspection)
    one.sync()
    two = laptop(tmp_path, central, "inspector.two", inspections=[inspection.id])
    two.sync()
    engine = create_engine(central)
    with engine.connect() as conn:  # a case as the store records one, to forge another
        case_payload = conn.execute(text(
            "SELECT payload FROM central_changes WHERE entity = 'cases' ORDER BY seq LIMIT 1"
        )).scalar()
    engine.dispose()
    later_case = str(uuid.uuid4())
    answer = {"id": str(uuid.uuid4()), "case_id": later_case, "question_key": "officers",
              "value": 4, "reasons": [], "evidence": "", "respondent": "inspector",
              "device_id": str(uuid.uuid4())}
    forge(central, inspection.id, "answers", answer)  # before its case: set aside
    assert two.sync().set_aside == 1
    forge(central, inspection.id, "cases", {**case_payload, "id": later_case,
                                            "reference": "X2"})
    got = two.sync()
    assert (got.set_aside, got.set_aside_applied) == (0, 1)
    assert two.services.forms.open(uuid.UUID(later_case)).answers["officers"].value == 4
    assert two.services.conflicts.open() == []


@pytest.mark.parametrize(("entity", "payload", "why"), [
    ("answers", [], "the change is not a record"),
    ("no_such_records", {"id": "x"}, "an unknown kind of record"),
    ("answers", {"case_id": "garbage", "question_key": "officers", "value": 1},
     "its case_id is not an id"),
    ("inspection_members", {"inspection_id": "not-an-id", "person": "inspector.two",
                            "role": "inspector"}, "its inspection_id is not an id"),
    ("samples", {"seed": 10 ** 30}, "the change is malformed"),
])
def test_a_change_that_is_not_even_readable_is_set_aside_for_everyone_it_reaches(
        central, tmp_path, entity, payload, why):
    one = laptop(tmp_path, central, "inspector.one")
    inspection = make_inspection(one.services)
    case = make_case(one.services, "X1", inspection=inspection)
    one.services.forms.record_answer(case_id=case.id, question_key="officers", value=1)
    one.sync()
    two = laptop(tmp_path, central, "inspector.two", inspections=[inspection.id])
    two.sync()
    forge(central, None, entity, payload, entity_id=uuid.uuid4())  # seen by every laptop
    one.services.forms.record_answer(case_id=case.id, question_key="officers", value=2)
    one.sync()
    got = two.sync()
    assert got.set_aside == 1
    assert two.services.forms.open(case.id).answers["officers"].value == 2
    (aside,) = two.services.conflicts.open()  # the list reads, whatever the change held
    assert aside.kind == "set aside" and aside.detail.startswith(why)
    assert two.sync().set_aside == 0


def test_an_inspection_that_cannot_be_fetched_whole_is_joined_at_a_later_sync(central,
                                                                              tmp_path):
    one = laptop(tmp_path, central, "inspector.one")
    inspection = make_inspection(one.services)
    case = make_case(one.services, "X1", inspection=inspection)
    one.sync()
    two = laptop(tmp_path, central, "inspector.two")
    make_inspection(two.services)  # their own, synced: their cursor passes the other's start
    two.sync()
    engine = create_engine(central)
    with engine.begin() as conn:  # a record damaged at the store: no date a laptop can read
        conn.execute(text("UPDATE cases SET date_of_birth = '20000-01-01' WHERE id = :c"),
                     {"c": case.id})
    add_user(central, login="inspector.two", name="Two", role="inspector",
             password=PASSWORD, inspections=[inspection.id])
    got = two.sync()
    assert (got.catch_up_pending, got.cases_joined) == (1, 0)
    assert two.sync().catch_up_pending == 1  # not a wedge: each sync goes on, and tries again
    with engine.begin() as conn:
        conn.execute(text("UPDATE cases SET date_of_birth = NULL WHERE id = :c"),
                     {"c": case.id})
    engine.dispose()
    got = two.sync()
    assert (got.catch_up_pending, got.cases_joined) == (0, 1)
    assert [c.reference for c in two.services.cases.list(inspection.id)] == ["X1"]
    assert two.sync().catch_up_pending == 0


def test_changes_set_aside_are_kept_within_bounds(central, tmp_path, monkeypatch):
    import app.sync.set_aside as set_aside

    monkeypatch.setattr(set_aside, "MOST_SET_ASIDE", 2)
    monkeypatch.setattr(set_aside, "LARGEST_SET_ASIDE", 1000)
    one = laptop(tmp_path, central, "inspector.one")
    inspection = make_inspection(one.services)
    make_case(one.services, "X1", inspection=inspection)
    one.sync()
    for n in range(3):
        forge(central, inspection.id, "answers", {
            "id": str(uuid.uuid4()), "case_id": str(uuid.uuid4()), "question_key": "officers",
            "value": 1, "evidence": "x" * (2000 if n == 0 else 10)})
    got = one.sync()
    assert got.set_aside == 3  # all counted; two kept
    kept = one.services.conflicts.open()
    assert len(kept) == 2
    large = [k for k in kept if k.detail.endswith("too large to keep here")]
    assert len(large) == 1 and large[0].theirs is None
