"""The question frameworks shipped with the app: they load, and they say what the source says."""

from __future__ import annotations

import pytest

from app.config import frameworks_dir
from app.core.answers import AnswerRecord
from app.core.form import evaluate_form
from app.core.frameworks import QuestionType, RatedBy, Respondent, Stage
from app.io.framework_workbook import load_framework_folder

FRAMEWORKS = {f.id: f for f in load_framework_folder(frameworks_dir())}
ADULT, YOUTH = FRAMEWORKS["adult-probation"], FRAMEWORKS["youth-offending"]
NEED_AREAS = ["Accommodation", "Employment, training and education", "Financial management",
              "Relationships (including domestic abuse)", "Lifestyle & associates",
              "Gang membership", "Drug misuse", "Alcohol misuse", "Emotional well-being",
              "Thinking & behaviour", "Attitudes to offending", "Discriminatory attitudes"]


def by_ref(framework, ref):
    return [q for q in framework.questions() if q.ref == ref]


def test_both_programmes_are_shipped():
    assert ADULT.programme == "adult_probation" and YOUTH.programme == "youth_offending"
    assert len(ADULT.question_keys()) >= 50 and len(YOUTH.question_keys()) >= 45


@pytest.mark.parametrize(("ref", "wording"), [
    ("A2", "Within an appropriate time following allocation, was there sufficient assessment "
           "of the risk of harm that this individual posed"),
    ("A4", "Were the interventions delivered by the responsible officer sufficiently focused on "
           "protecting those at risk of harm from this individual?"),
    ("A11", "Did the responsible officer sufficiently review progress against the outcome "
            "priorities designed to reduce reoffending?"),
    ("A12", "Did the responsible officer sufficiently seek to overcome any barriers to effective "
            "engagement with the individual?"),
])
def test_surviving_adult_captions_are_verbatim(ref, wording):
    [question] = by_ref(ADULT, ref)
    assert question.text.startswith(wording) and not question.reconstructed


def test_workload_question_has_the_four_options_verbatim():
    [question] = by_ref(ADULT, "S1")
    assert question.respondent == Respondent.PRACTITIONER and question.stage == Stage.INTERVIEW
    assert [o.label for o in question.options] == [
        "Workload has impacted with an enabling/positive effect",
        "Workload has had no impact (positively or negatively)/no issues relating to workload",
        "Workload has had no impact on this case, but has had a negative impact on other cases",
        "Workload has impacted, but with a negative effect",
    ]
    assert {q.ref for q in ADULT.questions() if q.respondent == Respondent.PRACTITIONER} >= {
        "S1", "S2", "S3"}


def test_contribution_matrices_cover_the_twelve_need_areas():
    matrices = [q for q in ADULT.questions() if q.type == QuestionType.NEED_MATRIX]
    assert {q.ref for q in matrices} == {"A13", "A14"}
    for matrix in matrices:
        labels = [row.label.split(" (")[0] for row in matrix.rows]
        assert labels == [n.split(" (")[0] for n in NEED_AREAS]
        assert matrix.rows_from


@pytest.mark.parametrize("framework", [ADULT, YOUTH], ids=["adult", "youth"])
def test_every_judgement_offers_reasons_and_the_other_reason(framework):
    for question in framework.questions():
        if question.judgement:
            codes = [r.code for r in question.reasons]
            assert codes and "other" in codes, question.key


@pytest.mark.parametrize("framework", [ADULT, YOUTH], ids=["adult", "youth"])
def test_custody_questions_do_not_apply_to_community_cases(framework):
    community = evaluate_form(framework, {"phase": "community"}, {})
    custody = evaluate_form(framework, {"phase": "custody"}, {})
    custody_only = [k for k, s in custody.questions.items()
                    if s.applicable and not community.questions[k].applicable]
    assert custody_only, "some questions are for the custodial phase only"
    assert all(not community.questions[k].counted for k in custody_only)


def test_victim_and_non_compliance_questions_follow_the_case_facts():
    facts = {"victim_identified": "no", "non_compliance": "no"}
    answers = {k: AnswerRecord(k, v) for k, v in facts.items()}
    without = evaluate_form(ADULT, {"phase": "community"}, answers)
    answers = {k: AnswerRecord(k, "yes") for k in facts}
    with_them = evaluate_form(ADULT, {"phase": "community"}, answers)
    newly = {k for k, s in with_them.questions.items()
             if s.applicable and not without.questions[k].applicable}
    assert {"victim_assessment", "victim_planning", "non_compliance_response"} <= newly


def test_youth_grid_is_theme_by_stage():
    titles = [s.title for s in YOUTH.sections]
    for theme in ("Protecting the public", "Protecting the child or young person",
                  "Reducing reoffending", "Making sure the sentence is served"):
        stages = {s.stage for s in YOUTH.sections if s.title.startswith(theme)}
        assert {Stage.ASSESSMENT, Stage.PLANNING} <= stages, theme
    assert any("court" in t.lower() for t in titles)
    assert any(s.stage == Stage.OVERSIGHT for s in YOUTH.sections)


@pytest.mark.parametrize("framework", [ADULT, YOUTH], ids=["adult", "youth"])
def test_reconstructed_wording_says_where_it_came_from(framework):
    for question in framework.questions():
        assert question.source, question.key
        if question.reconstructed:
            assert question.source and question.text


@pytest.mark.parametrize("framework", [ADULT, YOUTH], ids=["adult", "youth"])
def test_guidance_carries_no_document_line_references(framework):
    for question in framework.questions():
        assert "[004:" not in question.guidance, question.key


CASE_SUPERVISION = FRAMEWORKS["adult-case-supervision"]
THROUGH_THE_GATE = FRAMEWORKS["through-the-gate"]


@pytest.mark.parametrize(("key", "programme", "strands"), [
    ("adult-case-supervision", "adult_probation", ("engaging", "desistance", "safety")),
    ("youth-court-disposals", "youth_offending", ("desistance", "child_safety",
                                                  "others_safety"))])
def test_each_2018_standard_has_its_three_key_questions_one_per_strand(key, programme,
                                                                       strands):
    framework = FRAMEWORKS[key]
    assert (framework.version, framework.programme) == ("2018.1", programme)
    assert [s.title for s in framework.standards] == [
        "2.1 Assessment", "2.2 Planning", "2.3 Implementation and delivery", "2.4 Reviewing"]
    for number, standard in enumerate(framework.standards, 1):
        keys = [q for q in framework.questions() if q.standard == standard.key]
        assert [q.ref.split(" ")[0] for q in keys] == [f"2.{number}.{i}" for i in (1, 2, 3)]
        assert all(q.key_question and len(q.reasons) >= 3 and q.source for q in keys)
        assert [q.key.split("_", 1)[1] for q in keys] == list(strands)


def test_the_2018_standards_are_shipped_from_their_workbook_three_key_questions_each():
    assert (CASE_SUPERVISION.version, CASE_SUPERVISION.programme) == ("2018.1", "adult_probation")
    assert [(s.key, s.title, s.rated_by) for s in CASE_SUPERVISION.standards] == [
        ("assessment", "2.1 Assessment", RatedBy.KEY_QUESTIONS),
        ("planning", "2.2 Planning", RatedBy.KEY_QUESTIONS),
        ("implementation", "2.3 Implementation and delivery", RatedBy.KEY_QUESTIONS),
        ("reviewing", "2.4 Reviewing", RatedBy.KEY_QUESTIONS)]
    for standard in CASE_SUPERVISION.standards:
        keys = [q for q in CASE_SUPERVISION.questions() if q.standard == standard.key]
        assert len(keys) == 3 and all(q.key_question and q.reasons for q in keys)
    assert [q.ref for q in CASE_SUPERVISION.questions()] == [
        "2.1.1", "2.1.2", "2.1.3 (C1)", "2.2.1", "2.2.2", "2.2.3 (C2)",
        "2.3.1", "2.3.2", "2.3.3", "2.4.1", "2.4.2", "2.4.3"]


def test_the_verified_2025_public_protection_wording_is_verbatim_and_not_marked_written_afresh():
    c1 = CASE_SUPERVISION.question("assess_safety")
    assert c1.text == "Does assessment focus sufficiently on keeping other people safe?"
    assert not c1.reconstructed
    assert [r.label for r in c1.reasons] == [
        "Does assessment identify and analyse clearly any risk of harm to others?",
        "Does assessment draw sufficiently on available sources of information, including "
        "past behaviour and convictions, and involve other agencies where appropriate?",
        "Does assessment analyse any specific concerns and risks related to actual and "
        "potential victims?"]
    # key questions whose exact wording was not read say so, and where they come from
    recalled = CASE_SUPERVISION.question("assess_desistance")
    assert recalled.reconstructed and "as recalled" in recalled.source


def test_through_the_gate_is_a_thematic_framework_whose_questions_follow_the_sentence():
    assert THROUGH_THE_GATE.programme == "thematic"
    assert THROUGH_THE_GATE.question("pp_identified").text == (
        "Did the CRC (including any supply chain organisations) identify, and respond to any "
        "public protection issues in the case?")

    def applicable(answers):
        records = {k: AnswerRecord(k, v) for k, v in answers.items()}
        state = evaluate_form(THROUGH_THE_GATE, {}, records)
        return {k for k, q in state.questions.items() if q.applicable}

    short = applicable({"sentence_length": "short", "needs": ["accommodation"]})
    long = applicable({"sentence_length": "long", "needs": ["employment"]})
    assert "pp_identified" in short and "pp_done_well" not in short
    assert "pp_done_well" in long and "pp_identified" not in long
    assert "employment_found" in long and "employment_found" not in short


def test_youth_out_of_court_disposals_have_no_reviewing_and_a_joint_working_judgement():
    oocd = FRAMEWORKS["youth-out-of-court-disposals"]
    assert [(s.title, s.rated_by) for s in oocd.standards] == [
        ("3.1 Assessment", RatedBy.KEY_QUESTIONS), ("3.2 Planning", RatedBy.KEY_QUESTIONS),
        ("3.3 Implementation and delivery", RatedBy.KEY_QUESTIONS),
        ("3.4 Joint working", RatedBy.JUDGEMENT)]
    assert [q.ref for q in oocd.questions()] == [f"3.{s}.{k}" for s in (1, 2, 3)
                                                 for k in (1, 2, 3)]
    assert not any("court disposal" in r.label.replace("out-of-court disposal", "")
                   for q in oocd.questions() for r in q.reasons)
    assert all(q.reconstructed for q in oocd.questions())


def test_court_work_judges_a_report_and_asks_for_detail_only_of_written_ones():
    court = FRAMEWORKS["court-work"]
    assert [q.key for q in court.questions() if q.key_question] == [
        "court_rosh", "court_information", "court_detail"]

    def applies(report_type):
        state = evaluate_form(court, {}, {"report_type": AnswerRecord("report_type",
                                                                      report_type)})
        return state.questions["court_detail"].applicable

    assert not applies("oral") and applies("short_format") and applies("full_written")
