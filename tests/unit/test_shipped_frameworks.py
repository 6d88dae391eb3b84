"""The question frameworks shipped with the app: they load, and they say what the source says."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from app.config import frameworks_dir
from app.core.answers import AnswerInput, AnswerRecord, normalise_answer
from app.core.form import evaluate_form
from app.core.frameworks import QuestionType, RatedBy, Respondent, Stage
from app.errors import ValidationError
from app.io.framework_workbook import load_framework_folder, load_framework_workbook

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


# ---------------------------------------------------------------------------------------
# The 2016-17 thematic inspections (RAR, approved premises, unpaid work, women) and the 2025
# dynamic inspection of public protection, each shipped as a workbook


NEW_WORKBOOKS = [("rar-2017.xlsx", "rar", "2017.1", "thematic"),
                 ("approved-premises-2017.xlsx", "approved-premises", "2017.1", "thematic"),
                 ("unpaid-work-2016.xlsx", "unpaid-work", "2016.1", "thematic"),
                 ("women-2016.xlsx", "women", "2016.1", "thematic"),
                 ("public-protection-2025.xlsx", "public-protection", "2025.1",
                  "adult_probation")]
NEW_IDS = [key for _file, key, _version, _programme in NEW_WORKBOOKS]
PUBLIC_PROTECTION = FRAMEWORKS["public-protection"]


def applicable_to(framework, answers, profile=None):
    """The questions that apply given the answers, and the form's state."""
    records = {k: AnswerRecord(k, v) for k, v in answers.items()}
    state = evaluate_form(framework, profile or {}, records)
    return {k for k, q in state.questions.items() if q.applicable}, state


@pytest.mark.parametrize(("file", "key", "version", "programme"), NEW_WORKBOOKS,
                         ids=NEW_IDS)
def test_each_new_framework_is_shipped_from_its_workbook(file, key, version, programme):
    path = frameworks_dir() / file
    framework = load_framework_workbook(path)
    assert (framework.id, framework.version, framework.programme) == (key, version, programme)
    assert framework == FRAMEWORKS[key]
    book = load_workbook(path, read_only=True)
    try:  # laid out by the writer the export uses, with its guidance sheet
        assert book.sheetnames == ["settings", "sections", "questions", "choices", "reasons",
                                   "standards", "guidance"]
    finally:
        book.close()
    assert framework.standards and all(
        any(q.key_question for q in framework.questions() if q.standard == s.key)
        for s in framework.standards), "every standard is rated by a key question"


def test_the_thematic_frameworks_on_offer():
    thematic = {f.id for f in FRAMEWORKS.values() if f.programme == "thematic"}
    assert {"through-the-gate", "rar", "approved-premises", "unpaid-work", "women"} <= thematic


@pytest.mark.parametrize("key", NEW_IDS)
def test_every_new_judgement_offers_reasons_and_the_other_reason(key):
    for question in FRAMEWORKS[key].questions():
        if question.judgement or question.type == QuestionType.NEED_MATRIX:
            codes = [r.code for r in question.reasons]
            assert codes and codes[-1] == "other", question.key
            assert question.reasons[-1].label == "Other (describe in the evidence note)"


@pytest.mark.parametrize("key", NEW_IDS)
def test_every_new_question_says_where_its_wording_comes_from(key):
    framework = FRAMEWORKS[key]
    for question in framework.questions():
        assert question.source, question.key
        assert "[004:" not in question.guidance, question.key
        if framework.programme == "thematic":
            # no question of the thematics survives as a question: each is written afresh
            # from the report's findings, which its source quotes with the line
            assert question.reconstructed and "[004:" in question.source, question.key
        elif question.reconstructed:
            assert "written afresh" in question.source or \
                "written in the form" in question.source, question.key


def test_public_protection_c1_and_c2_and_their_prompts_are_verbatim():
    c1, c2 = PUBLIC_PROTECTION.question("c1_assessment"), PUBLIC_PROTECTION.question(
        "c2_planning")
    assert (c1.ref, c2.ref) == ("C1", "C2") and not c1.reconstructed and not c2.reconstructed
    assert c1.text == "Does assessment focus sufficiently on keeping other people safe?"
    assert c2.text == "Does planning focus sufficiently on keeping other people safe?"
    assert [r.label for r in c1.reasons] == [
        "Does assessment identify and analyse clearly any risk of harm to others?",
        "Does assessment draw sufficiently on available sources of information, including "
        "past behaviour and convictions, and involve other agencies where appropriate?",
        "Does assessment analyse any specific concerns and risks related to actual and "
        "potential victims?",
        "Other (describe in the evidence note)"]
    # the same wording as the 2018 framework's C1, read from the same page
    assert c1.text == CASE_SUPERVISION.question("assess_safety").text
    assert [r.label for r in c1.reasons][:3] == [
        r.label for r in CASE_SUPERVISION.question("assess_safety").reasons]
    a, b, c, other = (r.label for r in c2.reasons)
    assert (a, b) == (
        "Does planning address sufficiently risk of harm factors and prioritise those which "
        "are most critical?",
        "Does planning set out the necessary constructive and/or restrictive interventions "
        "to manage the risk of harm?")
    # prompt c is cut off in the source: completed from the 2018 prompt, and marked so
    assert c.startswith("Does planning make appropriate links to the work of other agencies "
                        "involved with the ")
    assert c.endswith("service user and any multi-agency plans? †") and "†" in c2.guidance
    assert "2018 planning prompt" in c2.source and other.startswith("Other")


def test_public_protection_questions_not_seen_are_marked_and_numbered_by_their_reference():
    questions = list(PUBLIC_PROTECTION.questions())
    assert [q.ref for q in questions if q.ref] == ["C1", "A1", "C2", "A2", "C3", "A3",
                                                    "C4", "A4"]
    for question in questions:
        if question.ref in ("C3", "C4") or question.ref.startswith("A"):
            assert question.reconstructed, question.key
            assert "Written afresh" in question.guidance, question.key
    assert "2.3.3" in PUBLIC_PROTECTION.question("c3_implementation").source
    assert "2.4.3" in PUBLIC_PROTECTION.question("c4_reviewing").source
    rule = PUBLIC_PROTECTION.question("adjusted_set")
    assert not rule.judgement and not rule.standard
    assert ("there was post-sentence supervision (PSS) only from the date of release, or "
            "• there was a formal licence period of eight weeks or less from the date of "
            "release.") in rule.guidance
    # one standard for each stage, rated by its core and its adjusted key question
    assert [(s.title, [q.ref for q in questions if q.standard == s.key and q.key_question])
            for s in PUBLIC_PROTECTION.standards] == [
        ("Assessment: keeping other people safe", ["C1", "A1"]),
        ("Planning: keeping other people safe", ["C2", "A2"]),
        ("Implementation and delivery: keeping other people safe", ["C3", "A3"]),
        ("Reviewing: keeping other people safe", ["C4", "A4"])]


def test_public_protection_core_or_adjusted_questions_follow_the_first_answer():
    core = {f"c{n}_{stage}" for n, stage in enumerate(
        ("assessment", "planning", "implementation", "reviewing"), 1)}
    adjusted = {"a" + key[1:] for key in core}
    suspended, _ = applicable_to(PUBLIC_PROTECTION, {"adjusted_set": "yes"})
    assert adjusted <= suspended and not core & suspended
    supervised, _ = applicable_to(PUBLIC_PROTECTION, {"adjusted_set": "no"},
                                  {"phase": "community"})
    assert core <= supervised and not adjusted & supervised
    # unanswered, neither set applies: the first question is all the form lacks
    neither, state = applicable_to(PUBLIC_PROTECTION, {})
    assert neither == {"adjusted_set"} and state.unanswered() == ["adjusted_set"]


def test_women_vulnerability_and_progress_rows_follow_what_was_ticked():
    answers = {"vulnerabilities": ["domestic_abuse", "other_exploitation"],
               "needs": ["accommodation", "substance_misuse"]}
    applicable, state = applicable_to(FRAMEWORKS["women"], answers)
    assert state.questions["vulnerability_planning"].applicable_rows == (
        "domestic_abuse", "other_exploitation")
    assert state.questions["need_progress"].applicable_rows == (
        "accommodation", "substance_misuse")
    none_ticked, _ = applicable_to(FRAMEWORKS["women"], {"vulnerabilities": ["none"],
                                                         "needs": ["none"]})
    assert {"vulnerability_planning", "need_progress"} <= applicable
    assert not {"vulnerability_planning", "need_progress"} & none_ticked
    women = FRAMEWORKS["women"]
    assert [r.label for r in women.question("vulnerability_planning").rows] == [
        "Domestic abuse", "Sexual exploitation",
        "Other exploitation (such as obtaining drugs or alcohol for others)"]
    assert [r.label for r in women.question("need_progress").rows] == [
        "Emotional well-being", "Accommodation", "Education, training and employment",
        "Financial management", "Relationships (including domestic abuse)",
        "Substance misuse"]
    offers = [women.question(k) for k in ("female_officer", "female_environment")]
    assert all(not q.judgement and q.allow_not_applicable for q in offers)


def test_unpaid_work_enforcement_is_asked_only_when_there_were_absences():
    unpaid = FRAMEWORKS["unpaid-work"]
    enforcement = {q.key for q in unpaid.questions() if q.standard == "enforcement"}
    assert enforcement == {"absence_judged", "absence_evidence", "judgement_correct",
                           "action_taken"}
    assert not unpaid.question("absences").judgement
    absent, _ = applicable_to(unpaid, {"absences": "yes"})
    present, _ = applicable_to(unpaid, {"absences": "no"})
    unasked, _ = applicable_to(unpaid, {})
    assert enforcement <= absent
    assert not enforcement & present and not enforcement & unasked
    eligible, _ = applicable_to(unpaid, {"intensive_eligible": "yes"})
    assert "intensive_available" in eligible and "intensive_available" not in unasked


def test_rar_day_counts_refuse_a_number_over_365():
    rar = FRAMEWORKS["rar"]
    for key in ("rar_days_proposed", "rar_days_ordered", "rar_days_delivered"):
        question = rar.question(key)
        assert question.type == QuestionType.NUMBER and question.maximum == 365
        assert normalise_answer(question, AnswerInput(365)).value == 365
        with pytest.raises(ValidationError, match="no more than 365"):
            normalise_answer(question, AnswerInput(366))
        with pytest.raises(ValidationError, match="at least"):
            normalise_answer(question, AnswerInput(-1))
    assert rar.question("rar_impact").ref == "Figure 25"
    assert "Impact of work to make the service user less likely to offend (for all " \
           "factors)" in rar.question("rar_impact").source
    assert not rar.question("purposeful_activity").judgement
    assert not rar.question("plan_traits").key_question


def test_approved_premises_recall_is_asked_of_previous_residents_and_then_why():
    premises = FRAMEWORKS["approved-premises"]
    current, _ = applicable_to(premises, {"residency_status": "current"})
    recalled, _ = applicable_to(premises, {"residency_status": "previous", "recalled": "yes"})
    not_recalled, _ = applicable_to(premises, {"residency_status": "previous",
                                               "recalled": "no"})
    assert not {"recalled", "recall_risk_of_harm"} & current
    assert {"recalled", "recall_risk_of_harm"} <= recalled
    assert "recalled" in not_recalled and "recall_risk_of_harm" not in not_recalled
    assert not premises.question("recalled").judgement
    assert not premises.question("recall_risk_of_harm").judgement
