"""Moderation: second marking blind, agreement per key question and per inspector, and the
agreed judgement kept beside both."""

from __future__ import annotations

import pytest

from app.errors import WorkflowError
from tests.cli import as_json, aspire
from tests.conftest import open_as
from tests.integration.helpers import make_case, make_inspection

KEY = "rosh_assessment"


@pytest.fixture
def team(services, db_path):
    from app.config import frameworks_dir
    inspection = make_inspection(services, framework="adult-probation")
    for person, role in (("supervisor.sam", "supervisor"), ("inspector.two", "inspector")):
        services.inspections.add_member(inspection_id=inspection.id, person=person, role=role)
    others = {login: open_as(db_path, login, frameworks_dir())
              for login in ("supervisor.sam", "inspector.two")}
    cases = []
    for i, first in enumerate(("yes", "yes", "no", "no", "yes")):
        case = make_case(services, f"X{i}", inspection=inspection)
        services.forms.record_answer(
            case_id=case.id, question_key=KEY, value=first,
            **({"reasons": ["not_timely"], "evidence": "Late"} if first == "no" else {}))
        cases.append(case)
    yield services, others["supervisor.sam"], others["inspector.two"], inspection, cases
    for other in others.values():
        other.close()


def test_second_marking_is_blind_agreement_is_measured_and_all_judgements_kept(team):
    first, supervisor, second, inspection, cases = team
    with pytest.raises(WorkflowError, match="not been chosen"):
        second.moderation.blind_form(cases[0].id)
    with pytest.raises(WorkflowError, match="Only a supervisor"):
        first.moderation.request([c.id for c in cases])
    supervisor.moderation.request([c.id for c in cases])
    with pytest.raises(WorkflowError, match="marked this case first"):
        first.moderation.blind_form(cases[0].id)
    blind = second.moderation.blind_form(cases[0].id)
    assert KEY in [q.key for q in blind]
    assert all((q.mine, q.note) == ("", "") for q in blind)  # the first judgement: not shown
    for case, value in zip(cases, ("yes", "no", "no", "no", "yes"), strict=True):
        second.moderation.second_mark(case_id=case.id, question_key=KEY, value=value)
    report = supervisor.moderation.report(inspection.id)
    # first: yes yes no no yes; second: yes no no no yes -> 4 of 5 agree
    # p_o = 0.8; p_e = (3*2 + 2*3) / 25 = 0.48; kappa = 0.32 / 0.52 = 0.6154
    agreement = report.by_question[KEY]
    assert (agreement.pairs, agreement.agreed, agreement.percent) == (5, 4, 80.0)
    assert agreement.kappa == pytest.approx(0.32 / 0.52)
    assert report.by_inspector["inspector.one"].pairs == 5 and report.cases == 5
    with pytest.raises(WorkflowError, match="Only a supervisor"):
        second.moderation.agree(case_id=cases[1].id, question_key=KEY, value="yes",
                                note="Discussed")
    assert [(c.reference, n) for c, n in supervisor.moderation.to_agree(inspection.id)] == [
        (c.reference, 1) for c in sorted(cases, key=lambda c: c.reference)]
    supervisor.moderation.agree(case_id=cases[1].id, question_key=KEY, value="yes",
                                note="Discussed with both markers: the assessment was in time")
    judged = first.moderation.judgements(cases[1].id)[KEY]
    assert judged == {"question": judged["question"], "first": "yes", "second": "no",
                      "agreed": "yes",
                      "note": "Discussed with both markers: the assessment was in time"}
    assert judged["question"] != KEY  # the question as the form asks it
    assert cases[1].id not in [c.id for c, _ in supervisor.moderation.to_agree(inspection.id)]
    with pytest.raises(WorkflowError, match="You are second marking this case"):
        second.moderation.judgements(cases[0].id)  # still open: the first stays hidden
    assert first.forms.open(cases[1].id).answers[KEY].value == "yes"  # the case's answer


def test_a_second_marker_cannot_read_the_first_answers_while_second_marking_is_open(
        team, tmp_path):
    first, supervisor, second, inspection, cases = team
    case = cases[2]  # first judged "no", with its reason and evidence
    assert second.forms.open(case.id).answers[KEY].value == "no"  # nobody has asked yet
    supervisor.moderation.request([case.id])

    for read in (lambda: second.forms.open(case.id),
                 lambda: second.forms.check_for_errors(case.id),
                 lambda: second.review.export_pdf(case.id, tmp_path / "X2.pdf")):
        with pytest.raises(WorkflowError, match="You are second marking this case") as caught:
            read()
        assert "Moderation" in caught.value.advice
    assert not list(tmp_path.glob("*.pdf")) and not second.exports.log(inspection.id)
    # the first marker and the supervisor read the case form as before
    assert first.forms.open(case.id).answers[KEY].value == "no"
    assert supervisor.forms.open(case.id).answers[KEY].evidence == "Late"

    second.moderation.second_mark(case_id=case.id, question_key=KEY, value="yes")
    with pytest.raises(WorkflowError, match="You are second marking this case"):
        second.forms.open(case.id)  # judged, but not yet agreed
    supervisor.moderation.agree(case_id=case.id, question_key=KEY, value="no",
                                note="Discussed with both markers: the plan was late")

    assert second.forms.open(case.id).answers[KEY].value == "no"  # finished: readable
    assert case.id not in [c.id for c, _ in second.moderation.queue(inspection.id)]
    with pytest.raises(WorkflowError, match="is finished"):
        second.moderation.second_mark(case_id=case.id, question_key=KEY, value="no")
    assert second.forms.open(cases[3].id).answers  # never asked for: readable throughout


def test_a_second_marker_cannot_take_the_first_answers_out_in_a_workbook(team, tmp_path):
    first, supervisor, second, inspection, cases = team
    target = tmp_path / "analysis.xlsx"
    supervisor.moderation.request([cases[2].id, cases[4].id])
    with pytest.raises(WorkflowError, match="You are second marking X2, X4") as caught:
        second.exports.export(inspection_id=inspection.id, path=target)
    assert "Moderation" in caught.value.advice
    assert not target.exists() and not second.exports.log(inspection.id)
    # a workbook without those cases (only the submitted ones, say) is written
    assert second.exports.export(inspection_id=inspection.id, path=target,
                                 statuses=["submitted"]).cases == 0
    # the first marker and the supervisor export the whole inspection as before
    for person in (first, supervisor):
        assert person.exports.export(inspection_id=inspection.id,
                                     path=tmp_path / f"{person.user}.xlsx").cases == 5
    for case in (cases[2], cases[4]):
        second.moderation.second_mark(case_id=case.id, question_key=KEY, value="yes")
        supervisor.moderation.agree(case_id=case.id, question_key=KEY, value="yes",
                                    note="Agreed with both markers")
    assert second.exports.export(inspection_id=inspection.id, path=target).cases == 5


def test_the_agreed_judgement_is_recorded_from_the_command_line(team, db_path):
    first, supervisor, second, inspection, cases = team
    supervisor.moderation.request([cases[1].id])
    second.moderation.second_mark(case_id=cases[1].id, question_key=KEY, value="no")
    as_sam = {"ASPIRE_USER": "supervisor.sam"}
    common = ["--inspection", str(inspection.id), "--json"]
    waiting = as_json(aspire("second-marking", "to-agree", *common, db=db_path, env=as_sam))
    assert [(c["reference"], c["to_agree"]) for c in waiting] == [("X1", 1)]
    judged = as_json(aspire("second-marking", "judgements", *common, "--case", "x1",
                            db=db_path, env=as_sam))
    assert {k: judged["judgements"][KEY][k] for k in ("first", "second")} == {
        "first": "yes", "second": "no"}

    def agree(case: str = "X1", note: str = "Discussed with both markers", **env):
        return aspire("second-marking", "agree", *common, "--case", case, "--question", KEY,
                      "--judgement", "yes", "--note", note, db=db_path, env=env)

    refused = agree()  # as the inspector
    assert refused.returncode == 1 and "Only a supervisor" in refused.stderr
    unknown = agree("X9", **as_sam)
    assert unknown.returncode == 1 and "No case with reference X9" in unknown.stderr
    unsaid = agree(note=" ", **as_sam)
    assert unsaid.returncode == 1 and "Say how the judgement was agreed" in unsaid.stderr
    done = as_json(agree(**as_sam))
    assert done == {"case": "X1", "question": KEY, "agreed": "yes"}
    assert first.moderation.judgements(cases[1].id)[KEY]["agreed"] == "yes"
    assert as_json(aspire("second-marking", "to-agree", *common, db=db_path, env=as_sam)) == []
