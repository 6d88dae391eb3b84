"""Drawing, keeping and changing an inspection's sample on a real database."""

from __future__ import annotations

import pytest

from app.core.profile import CaseProfile
from app.errors import ValidationError
from tests.integration.helpers import make_inspection


def caseload(services, count=120, girls=3):
    """A caseload with a small group of girls and a spread of sentences and risk levels."""
    inspection = make_inspection(services)
    sentences = ("community_order", "suspended_sentence_order", "licence")
    risks = ("low", "medium", "medium", "high")
    for i in range(count):
        services.cases.add(inspection_id=inspection.id, reference=f"X{i:05d}", profile=CaseProfile(
            gender="female" if i < girls else "male", sentence_type=sentences[i % 3],
            rosh=risks[i % 4], phase="community"))
    return inspection


def test_plan_uses_the_size_formula_and_represents_every_group(mini):
    inspection = caseload(mini)
    plan = mini.samples.plan(inspection_id=inspection.id, confidence=0.80, margin=0.05)
    assert plan.population == 120 and plan.size == 70  # 1.2816² · 0.25 / 0.05², with the FPC
    assert sum(r.allocated for r in plan.strata) == plan.total == plan.size
    assert all(r.allocated >= 1 for r in plan.strata)
    girls = [r for r in plan.strata if r.stratum[0] == "female"]
    assert girls and all(r.allocated >= 1 for r in girls)
    assert plan.strata[0].label.startswith("Male · ")


def test_every_case_drawn_has_its_own_place_in_draw_order_reserves_after_the_sample(mini):
    inspection = caseload(mini)
    drawn = mini.samples.draw(inspection_id=inspection.id, seed=7, reserve_per_stratum=2)
    ranks = [mb.draw_rank for mb in drawn.members]
    assert sorted(ranks) == list(range(len(drawn.members)))
    selected = [mb for mb in drawn.members if mb.role == "selected"]
    reserve = [mb for mb in drawn.members if mb.role == "reserve"]
    assert reserve and max(mb.draw_rank for mb in selected) < min(mb.draw_rank for mb in reserve)
    assert {mb.status for mb in reserve} == {"reserve"}


def test_draw_is_stored_reproducible_and_explained(mini):
    inspection = caseload(mini)
    first = mini.samples.draw(inspection_id=inspection.id, seed=42)
    assert first.seed == 42 and len(first.in_sample) == first.size_total == 70
    assert first.history[-1].kind == "drawn" and "seed 42" in first.history[-1].reason
    again = mini.samples.draw(inspection_id=inspection.id, seed=42)  # no answers yet: allowed
    assert [mb.reference for mb in again.in_sample] == [mb.reference for mb in first.in_sample]
    assert mini.samples.current(inspection.id).id == again.id
    other = mini.samples.draw(inspection_id=inspection.id, seed=43)
    assert {mb.reference for mb in other.in_sample} != {mb.reference for mb in first.in_sample}
    statuses = {c.reference: c.sample_status for c in mini.cases.list(inspection.id)}
    assert sum(1 for v in statuses.values() if v == "in_sample") == 70
    assert set(statuses.values()) <= {"in_sample", "reserve", "not_selected"}
    rows = {(p.attribute, p.value): p for p in other.proportions}
    assert rows[("gender", "female")].caseload_count == 3
    assert rows[("gender", "female")].sample_count >= 1


def test_withdraw_replaces_from_the_same_stratum_and_keeps_history(mini):
    inspection = caseload(mini)
    drawn = mini.samples.draw(inspection_id=inspection.id, seed=7)
    with_reserve = {r.label for r in drawn.strata if r.reserve_left}
    target = next(mb for mb in drawn.in_sample if mb.stratum_label in with_reserve)
    after = mini.samples.withdraw(case_id=target.case_id, reason="Transferred out of area")
    withdrawn = next(mb for mb in after.members if mb.case_id == target.case_id)
    assert withdrawn.status == "withdrawn" and withdrawn.withdrawn_reason == (
        "Transferred out of area")
    kinds = [e.kind for e in after.history]
    assert kinds[-2:] == ["withdrawn", "replaced"]
    replacement = next(mb for mb in after.members if mb.reference == after.history[-1]
                       .other_reference)
    assert replacement.status == "in_sample" and replacement.role == "reserve"
    assert replacement.stratum_label == target.stratum_label
    assert len(after.in_sample) == len(drawn.in_sample)
    with pytest.raises(ValidationError, match="not in the current sample"):
        mini.samples.withdraw(case_id=target.case_id, reason="again")
    with pytest.raises(ValidationError, match="Say why"):
        mini.samples.withdraw(case_id=replacement.case_id, reason="  ")


def test_an_exhausted_reserve_withdraws_without_replacement(mini):
    inspection = caseload(mini, count=12, girls=1)
    drawn = mini.samples.draw(inspection_id=inspection.id, seed=1, reserve_per_stratum=0)
    after = mini.samples.withdraw(case_id=drawn.in_sample[0].case_id, reason="Died")
    assert after.history[-1].kind == "withdrawn"
    assert len(after.in_sample) == len(drawn.in_sample) - 1


def test_no_redraw_once_fieldwork_has_started(mini):
    inspection = caseload(mini, count=20)
    drawn = mini.samples.draw(inspection_id=inspection.id, seed=3)
    mini.forms.record_answer(case_id=drawn.in_sample[0].case_id, question_key="victim",
                             value="yes")
    with pytest.raises(ValidationError, match="Fieldwork has started"):
        mini.samples.draw(inspection_id=inspection.id, seed=4)
    assert mini.samples.current(inspection.id).id == drawn.id


def test_settings_and_empty_caseload_are_refused_clearly(mini):
    inspection = make_inspection(mini)
    with pytest.raises(ValidationError, match="Import the case list first"):
        mini.samples.draw(inspection_id=inspection.id)
    with pytest.raises(ValidationError) as info:
        mini.samples.plan(inspection_id=inspection.id, confidence=1.5, margin=0)
    assert len(info.value.details) == 2


def test_team_and_allocation(mini):
    inspection = caseload(mini, count=6)
    mini.inspections.add_member(inspection_id=inspection.id, person="A. Khan", role="inspector")
    team = mini.inspections.add_member(inspection_id=inspection.id, person="B. Lee",
                                       role="supervisor")
    assert [(t.person, t.role) for t in team][-2:] == [("A. Khan", "inspector"),
                                                      ("B. Lee", "supervisor")]
    cases = mini.cases.list(inspection.id)
    assert mini.cases.assign(case_ids=[c.id for c in cases[:4]], assignee="A. Khan") == 4
    with pytest.raises(ValidationError, match="not an inspector on the team"):
        mini.cases.assign(case_ids=[cases[5].id], assignee="B. Lee")
    assert [c.reference for c in mini.cases.list(inspection.id, assignee="A. Khan")] == [
        c.reference for c in cases[:4]]
    assert len(mini.cases.list(inspection.id, status="not_started")) == 6
    with pytest.raises(ValidationError, match="still has 4 cases"):
        mini.inspections.remove_member(inspection_id=inspection.id, person="A. Khan")
    mini.cases.assign(case_ids=[c.id for c in cases[:4]], assignee=None)
    team = mini.inspections.remove_member(inspection_id=inspection.id, person="A. Khan")
    assert "A. Khan" not in [t.person for t in team]
