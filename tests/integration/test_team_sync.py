"""Teams set up the ways people really do it: on the lead's laptop, at the central store, in
either order, and a person joining an inspection long after it began."""

from __future__ import annotations

import uuid

import pytest

from app.core.dto import NewInspection
from app.sync import link
from app.sync.central import CentralError, add_user
from app.sync.client import ServiceLink
from app.sync.protocol import MOST_CASES
from tests.integration.helpers import make_case, make_inspection
from tests.integration.sync_fixtures import PASSWORD, laptop, made_up_device


def team(services, inspection_id) -> list[tuple[str, str]]:
    return sorted((m.person, m.role) for m in services.inspections.team(inspection_id))


def test_the_lead_adds_a_colleague_locally_and_the_administrator_then_adds_them_centrally(
        central, tmp_path):
    lead = laptop(tmp_path, central, "inspector.one")
    inspection = make_inspection(lead.services)
    make_case(lead.services, "X1", inspection=inspection)
    lead.services.inspections.add_member(inspection_id=inspection.id, person="inspector.two",
                                         role="inspector")
    # the lead inspector changes their own team at the store, before the person exists there
    assert lead.sync().refused == 0
    colleague = laptop(tmp_path, central, "inspector.two", inspections=[inspection.id])
    got = colleague.sync()
    assert got.refused == 0 and got.pulled_conflicts == 0
    assert [c.reference for c in colleague.services.cases.list(inspection.id)] == ["X1"]
    lead.sync()
    assert team(lead.services, inspection.id) == team(colleague.services, inspection.id) == [
        ("inspector.one", "lead_inspector"), ("inspector.two", "inspector")]
    status = lead.services.sync.status()
    assert (status.pending_changes, status.open_conflicts) == (0, 0)
    assert lead.sync().refused == 0


def test_a_colleague_the_lead_added_is_not_added_twice_by_the_administrator(central,
                                                                            tmp_path):
    lead = laptop(tmp_path, central, "inspector.one")
    inspection = make_inspection(lead.services)
    lead.services.inspections.add_member(inspection_id=inspection.id, person="inspector.two",
                                         role="supervisor")
    lead.sync()
    colleague = laptop(tmp_path, central, "inspector.two", role="supervisor",
                       inspections=[inspection.id])
    lead.sync(), colleague.sync()
    assert team(lead.services, inspection.id) == team(colleague.services, inspection.id) == [
        ("inspector.one", "lead_inspector"), ("inspector.two", "supervisor")]
    assert lead.services.conflicts.open() == []


def test_the_administrator_adds_a_colleague_centrally_and_the_lead_then_adds_them_locally(
        central, tmp_path):
    lead = laptop(tmp_path, central, "inspector.one")
    inspection = make_inspection(lead.services)
    make_case(lead.services, "X1", inspection=inspection)
    lead.sync()
    colleague = laptop(tmp_path, central, "inspector.two", inspections=[inspection.id])
    lead.services.inspections.add_member(inspection_id=inspection.id, person="inspector.two",
                                         role="inspector")
    first = lead.sync()  # the store has them already: one team, nothing refused
    assert first.refused == 0
    again = lead.sync()
    status = lead.services.sync.status()
    assert again.refused == 0
    assert (status.pending_changes, status.open_conflicts) == (0, 0)
    colleague.sync()
    lead_team, colleague_team = team(lead.services, inspection.id), team(
        colleague.services, inspection.id)
    assert lead_team == colleague_team
    assert [p for p, _ in lead_team].count("inspector.two") == 1


def test_a_person_added_to_a_second_inspection_receives_all_of_it_at_the_next_sync(
        central, tmp_path):
    one = laptop(tmp_path, central, "inspector.one")
    first = make_inspection(one.services)
    second = one.services.inspections.create(NewInspection(
        name="Southshire", programme="adult_probation", organisation="Southshire CRC",
        framework_key="mini"))
    make_case(one.services, "N1", inspection=first)
    s1 = make_case(one.services, "S1", inspection=second)
    one.services.forms.record_answer(case_id=s1.id, question_key="victim", value="yes")
    one.services.inspections.add_member(inspection_id=first.id, person="inspector.two",
                                        role="inspector")
    one.sync()
    two = laptop(tmp_path, central, "inspector.two", inspections=[first.id])
    two.sync()  # their cursor is now past everything of the second inspection
    assert [i.name for i in two.services.inspections.list()] == ["Northshire"]

    add_user(central, login="inspector.two", name="Inspector.Two", role="inspector",
             password=PASSWORD, inspections=[second.id])
    got = two.sync()
    assert (got.refused, got.cases_joined) == (0, 1)
    assert sorted(i.name for i in two.services.inspections.list()) == ["Northshire",
                                                                       "Southshire"]
    (case,) = two.services.cases.list(second.id)
    assert two.services.forms.open(case.id).answers["victim"].value == "yes"



def test_an_inspection_joined_arrives_a_page_of_cases_at_a_time_and_whole(central, tmp_path,
                                                                           monkeypatch):
    monkeypatch.setattr(link, "CASES_AT_ONCE", 2)  # five cases: three pages
    one = laptop(tmp_path, central, "inspector.one")
    inspection = make_inspection(one.services)
    cases = [make_case(one.services, f"P{n}", inspection=inspection) for n in range(5)]
    for n, case in enumerate(cases):
        one.services.forms.record_answer(case_id=case.id, question_key="victim",
                                         value="yes" if n % 2 else "no")
    elsewhere = one.services.inspections.create(NewInspection(
        name="Southshire", programme="adult_probation", organisation="Southshire CRC",
        framework_key="mini"))
    make_case(one.services, "S1", inspection=elsewhere)
    one.sync()
    two = laptop(tmp_path, central, "inspector.two", inspections=[elsewhere.id])
    two.sync()  # their cursor is now past everything of the first inspection
    add_user(central, login="inspector.two", name="Inspector.Two", role="inspector",
             password=PASSWORD, inspections=[inspection.id])

    seen = []
    got = two.services.sync.sync(two.url, PASSWORD,
                                 report=lambda stage, done, total: seen.append((stage, done,
                                                                                total)))
    assert (got.refused, got.cases_joined) == (0, 5), got
    assert [s for s in seen if s[0] == "join"] == [("join", 2, 5), ("join", 4, 5),
                                                   ("join", 5, 5)]
    assert sorted((c.reference, two.services.forms.open(c.id).answers["victim"].value)
                  for c in two.services.cases.list(inspection.id)) == [
        ("P0", "no"), ("P1", "yes"), ("P2", "no"), ("P3", "yes"), ("P4", "no")]


def test_the_service_gives_an_inspection_s_own_rows_and_its_cases_rows_apart(central,
                                                                              tmp_path):
    one = laptop(tmp_path, central, "inspector.one")
    inspection = make_inspection(one.services)
    case = make_case(one.services, "R1", inspection=inspection)
    one.services.forms.record_answer(case_id=case.id, question_key="victim", value="yes")
    one.sync()
    service = ServiceLink(one.url, "inspector.one", PASSWORD,
                          made_up_device().sign_in).open()
    try:
        own = service.inspection(inspection.id)
        assert "answers" not in own and [r["id"] for r in own["cases"]] == [str(case.id)]
        rows = service.cases([case.id])
        assert [r["question_key"] for r in rows["answers"]] == ["victim"]
        with pytest.raises(CentralError, match="at most 1,000"):
            service._request("POST", "/sync/cases",
                             {"ids": [str(uuid.uuid4()) for _ in range(MOST_CASES + 1)]})
    finally:
        service.close()
