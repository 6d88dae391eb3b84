"""Ratings of an inspection from its case forms: the service, the Ratings sheet of the
analysts' workbook (read back with openpyxl) and 'aspire ratings'."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from openpyxl import load_workbook

from app.config import frameworks_dir
from app.core.dto import NewInspection
from app.core.profile import CaseProfile
from app.errors import ValidationError
from tests.cli import aspire
from tests.conftest import open_as

ANY_STATUS = None


@pytest.fixture
def inspection(services):
    """Ten cases; 'rosh_assessment' judged Yes in 8 (80%), No in 2; six women, four men."""
    inspection = services.inspections.create(NewInspection(
        name="Northshire", programme="adult_probation", organisation="Northshire CRC",
        framework_key="adult-probation", start_date=dt.date(2026, 3, 1)))
    for i in range(10):
        case = services.cases.add(
            inspection_id=inspection.id, reference=f"X{i}",
            profile=CaseProfile(phase="community", provider="nps" if i < 7 else "crc",
                                gender="female" if i < 6 else "male",
                                date_of_birth=dt.date(1990 if i % 2 else 2001, 6, 1)))
        if i < 8:
            services.forms.record_answer(case_id=case.id, question_key="rosh_assessment",
                                         value="yes")
        else:
            services.forms.record_answer(case_id=case.id, question_key="rosh_assessment",
                                         value="no", reasons=["not_timely"],
                                         evidence="Assessment six weeks late")
    return inspection


def ratings_and_about(path) -> tuple[list[tuple], dict]:
    """A workbook's Ratings rows, and its About sheet as {row name: value}."""
    book = load_workbook(path, read_only=True)  # reads the file as it goes: closed below
    try:
        rows = list(book["Ratings"].iter_rows(values_only=True))
        # a read-only sheet leaves out empty cells at the end of a row
        about = {r[0]: r[1] if len(r) > 1 else None
                 for r in book["About"].iter_rows(values_only=True)}
    finally:
        book.close()
    return rows, about


def test_key_questions_and_standards_from_the_case_forms(services, inspection):
    rated = services.ratings.rate(inspection.id, statuses=ANY_STATUS)
    assert rated.cases == 10
    rosh = next(q for q in rated.questions if q.key == "rosh_assessment")
    assert (rosh.tally.yes, rosh.tally.total, rosh.band) == (8, 10, "Outstanding")
    assert (rosh.to_fall, rosh.to_rise) == (1, None)
    assessment = next(s for s in rated.standards if s.key == "assessment")
    # the other assessment key questions have no answers yet: rosh decides
    assert (assessment.band, assessment.deciding) == ("Outstanding", "rosh_assessment")
    gender = next(b for b in rated.breakdowns
                  if b.attribute == "gender" and b.question_key == "rosh_assessment")
    assert [(c.group, c.tally.yes, c.tally.total, c.small) for c in gender.cells] == [
        ("Female", 6, 6, False), ("Male", 2, 4, True)]
    ages = next(b for b in rated.breakdowns
                if b.attribute == "age_band" and b.question_key == "rosh_assessment")
    # ages on the inspection's first day: born June 2001 -> 24, June 1990 -> 35
    assert [(c.group, c.tally.total) for c in ages.cells] == [("18–24", 5), ("35–49", 5)]


def test_only_approved_case_forms_count_by_default(services, inspection):
    rated = services.ratings.rate(inspection.id)
    assert rated.cases == 0
    assert all(q.band is None for q in rated.questions)


def test_the_workbook_has_a_ratings_sheet_with_the_same_figures(services, inspection,
                                                                tmp_path):
    target = tmp_path / "inspection.xlsx"
    services.exports.export(inspection_id=inspection.id, path=target, provisional_ratings=True)
    rows, about = ratings_and_about(target)
    assert about["Reading the Ratings sheet"].startswith(
        "Provisional: the ratings count every case form in this workbook (10)")
    header = rows[0]
    # a read-only sheet leaves out empty cells at the end of a row
    found = [dict(zip(header, r + (None,) * (len(header) - len(r)), strict=True))
             for r in rows[1:] if r[header.index("question_key")] == "rosh_assessment"]
    overall = next(r for r in found if r["breakdown"] == "All cases")
    assert (overall["yes"], overall["applicable"], overall["band"],
            overall["rates_the_standard"], overall["standard"]) == (
        8, 10, "Outstanding", "Yes", "Assessment")
    assert overall["percent_yes"] == pytest.approx(0.8)
    assert overall["interval_95_low"] == pytest.approx(0.4902, abs=1e-4)
    men = next(r for r in found if r["breakdown"] == "Gender" and r["group"] == "Male")
    assert (men["yes"], men["applicable"], men["small_cell"]) == (2, 4, "Yes")


def test_by_default_the_workbook_rates_what_the_dashboard_and_the_command_rate(
        services, inspection, tmp_path):
    """None of the ten forms is approved: the Ratings sheet counts none, as 'aspire
    ratings' and the dashboard count none, and says so, and that the rules are unconfirmed."""
    target = tmp_path / "inspection.xlsx"
    services.exports.export(inspection_id=inspection.id, path=target)
    rows, about = ratings_and_about(target)
    header = rows[0]
    rosh = next(r for r in rows[1:] if r[header.index("question_key")] == "rosh_assessment"
                and r[header.index("breakdown")] == "All cases")
    assert (rosh[header.index("yes")], rosh[header.index("applicable")]) == (0, 0)
    assert services.ratings.rate(inspection.id).cases == 0
    assert "count the approved case forms in this workbook (0 of 10)" in \
        about["Reading the Ratings sheet"]
    assert about["Rating rules"].startswith("Not confirmed")


def test_ratings_command_with_suppression_for_publication(services, inspection, db_path):
    services.close()
    result = aspire("ratings", "--inspection", str(inspection.id), "--status", "not_started",
                    "in_progress", "--publication", "--json", db=db_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["cases"] == 10 and report["rules_confirmed"] is False
    [assessment] = [s for s in report["standards"] if s["key"] == "assessment"]
    rosh = next(q for q in assessment["questions"] if q["key"] == "rosh_assessment")
    assert (rosh["yes"], rosh["applicable"], rosh["band"]) == (8, 10, "Outstanding")
    cells = next(b for b in report["breakdowns"]
                 if b["by"] == "gender" and b["question"] == "rosh_assessment")["cells"]
    assert cells == [
        {"group": "Female", "yes": 6, "applicable": 6, "percent": 100.0, "small": False,
         "suppressed": False},
        {"group": "Male", "yes": None, "applicable": None, "percent": None, "small": True,
         "suppressed": True},
    ]
    text = aspire("ratings", "--inspection", str(inspection.id), db=db_path)
    assert text.returncode == 0 and "No case form counts yet" in text.stdout


def test_the_2018_standards_rate_from_their_lowest_key_question_by_their_own_titles(services):
    """Six cases of the 2018 case supervision framework, counted by hand: 2.1 Assessment's
    key questions are Yes in 6/6 (engaging), 5/6 (desistance) and 4/6 (keeping people
    safe), so the lowest, 66.7%, rates it Good; 2.2 Planning's one judged key question has
    three cases, fewer than the rules' minimum of five: too few to rate."""
    inspection = services.inspections.create(NewInspection(
        name="Northshire 2018", programme="adult_probation", organisation="Northshire CRC",
        framework_key="adult-case-supervision"))
    judged = {"assess_engaging": "yyyyyy", "assess_desistance": "yyyyyn",
              "assess_safety": "yyyynn", "plan_engaging": "yyy---"}
    for i in range(6):
        case = services.cases.add(inspection_id=inspection.id, reference=f"S{i}",
                                  profile=CaseProfile(phase="community"))
        for key, verdicts in judged.items():
            if verdicts[i] == "-":
                continue
            if verdicts[i] == "y":
                services.forms.record_answer(case_id=case.id, question_key=key, value="yes")
            else:
                reason = services.frameworks.framework("adult-case-supervision").question(
                    key).reasons[0].code
                services.forms.record_answer(case_id=case.id, question_key=key, value="no",
                                             reasons=[reason], evidence="Not in the record")
    rated = services.ratings.rate(inspection.id, statuses=ANY_STATUS)
    shares = {q.key: (q.tally.yes, q.tally.total) for q in rated.questions}
    assert {k: shares[k] for k in judged} == {"assess_engaging": (6, 6),
                                              "assess_desistance": (5, 6),
                                              "assess_safety": (4, 6), "plan_engaging": (3, 3)}
    assert rated.rules.min_cases == 5
    standards = {s.key: (s.title, s.deciding, s.shown_band) for s in rated.standards}
    assert standards["assessment"] == ("2.1 Assessment", "assess_safety", "Good")
    assert standards["planning"] == ("2.2 Planning", None, "Too few to rate")
    assert standards["reviewing"] == ("2.4 Reviewing", None, "")  # nothing answered yet
    plan = next(q for q in rated.questions if q.key == "plan_engaging")
    assert (plan.band, plan.too_few, plan.to_fall) == (None, True, None)


def test_the_evaluation_standard_is_rated_from_its_need_matrices(services):
    """A need matrix key question counts a case Yes when every need area judged is Yes, No
    when any is No: five cases, partners' contribution judged Yes in every area in three."""
    inspection = services.inspections.create(NewInspection(
        name="Evaluation", programme="adult_probation", organisation="Northshire CRC",
        framework_key="adult-probation"))
    reason = services.frameworks.framework("adult-probation").question(
        "partner_contribution").reasons[0].code
    for i in range(5):
        case = services.cases.add(inspection_id=inspection.id, reference=f"E{i}",
                                  profile=CaseProfile(phase="community"))
        record = services.forms.record_answer
        record(case_id=case.id, question_key="needs_identified",
               value=["accommodation", "drug_misuse"])
        record(case_id=case.id, question_key="partners_involved", value="yes")
        verdicts = {"accommodation": "yes", "drug_misuse": "yes" if i < 3 else "no"}
        record(case_id=case.id, question_key="partner_contribution", value=verdicts,
               reasons=[reason] if i >= 3 else [],
               evidence="Housing found, no drug work" if i >= 3 else "")
    rated = services.ratings.rate(inspection.id, statuses=ANY_STATUS)
    partners = next(q for q in rated.questions if q.key == "partner_contribution")
    assert (partners.tally.yes, partners.tally.total) == (3, 5)
    evaluation = next(s for s in rated.standards if s.key == "evaluation")
    assert (evaluation.deciding, evaluation.band) == ("partner_contribution",
                                                      "Requires improvement")


def short_on_safety_in_assessment(services, name: str):
    """An inspection of the 2018 case supervision standards with five cases, every key
    question (twelve) Yes but keeping other people safe in assessment, No in two of them."""
    inspection = services.inspections.create(NewInspection(
        name=name, programme="adult_probation", organisation="Northshire CRC",
        framework_key="adult-case-supervision"))
    framework = services.frameworks.framework("adult-case-supervision")
    keys = [q for q in framework.questions() if q.key_question]
    assert len(keys) == 12
    for i in range(5):
        case = services.cases.add(inspection_id=inspection.id, reference=f"O{i}",
                                  profile=CaseProfile(phase="community"))
        for q in keys:
            if q.key == "assess_safety" and i >= 3:
                services.forms.record_answer(case_id=case.id, question_key=q.key, value="no",
                                             reasons=[q.reasons[0].code], evidence="None")
            else:
                services.forms.record_answer(case_id=case.id, question_key=q.key, value="yes")
    return inspection


def test_the_service_is_rated_overall_from_its_standards_scores(services, tmp_path, db_path):
    """Five cases of the 2018 framework, every key question Yes but keeping other people
    safe in assessment (3 of 5, 60%: Requires improvement, 1 point); the other three
    standards Outstanding (3 points each): 10 of 12 points, 83%, under the 86.67% that
    Outstanding needs: Good. Said alike by the service, the command and the workbook."""
    inspection = short_on_safety_in_assessment(services, "Overall")
    rated = services.ratings.rate(inspection.id, statuses=ANY_STATUS)
    assert [s.band for s in rated.standards] == ["Requires improvement", "Outstanding",
                                                 "Outstanding", "Outstanding"]
    assert (rated.overall.label, rated.overall.score, rated.overall.out_of) == ("Good", 10, 12)
    # counted as by default (approved forms only: none), nothing is rated overall, and why
    unrated = services.ratings.rate(inspection.id).overall
    assert unrated.label is None and unrated.why_not.startswith("not every standard is rated")
    services.close()
    told = aspire("ratings", "--inspection", str(inspection.id), "--status", "in_progress",
                  db=db_path)
    assert told.returncode == 0, told.stderr
    assert "Overall: Good (score 10 of 12)" in told.stdout


def test_the_lead_inspector_records_ratings_with_reasons_seen_everywhere(services, tmp_path,
                                                                         db_path):
    """Youth out-of-court disposals: no case form counts yet, so 3.1 to 3.3 have nothing to
    rate and 3.4 Joint working, judged on the evidence, is unrated. The lead inspector
    records 3.4 as Good and the service overall as Requires improvement; an inspector on the
    team may not. The command, the workbook and the service say the same; a rating withdrawn
    leaves the arithmetic's."""
    inspection = services.inspections.create(NewInspection(
        name="Youth OOCD", programme="youth_offending", organisation="Northshire YOT",
        framework_key="youth-out-of-court-disposals"))
    services.cases.add(inspection_id=inspection.id, reference="Y1",
                       profile=CaseProfile(phase="community"))
    services.inspections.add_member(inspection_id=inspection.id, person="inspector.two",
                                  role="inspector")
    joint = services.ratings.rate(inspection.id).standards[-1]
    assert (joint.key, joint.rating) == ("joint_working", None)
    with pytest.raises(ValidationError, match="not a standard"):
        services.ratings.record(inspection.id, "leadership", "Good", "Strong")
    with pytest.raises(ValidationError, match="needs its reason"):
        services.ratings.record(inspection.id, "joint_working", "Good", "   ")
    services.ratings.record(inspection.id, "joint_working", "Good",
                            "Police and YOT share a joint decision-making panel")
    services.ratings.record(inspection.id, "overall", "Requires improvement",
                            "Too little assessment work to rate higher (see Y1)")
    rated = services.ratings.rate(inspection.id)
    joint = rated.standards[-1]
    assert (joint.rating, joint.decision.by) == ("Good", "inspector.one")
    assert (rated.overall.label, rated.overall.calculated) == ("Requires improvement", None)
    services.close()

    two = open_as(db_path, "inspector.two", frameworks_dir())
    try:
        with pytest.raises(ValidationError, match="Only the lead inspector"):
            two.ratings.record(inspection.id, "overall", "Good", "I disagree")
    finally:
        two.close()

    told = aspire("ratings", "--inspection", str(inspection.id), db=db_path)
    assert told.returncode == 0, told.stderr
    assert "Overall: Requires improvement (recorded by inspector.one on" in told.stdout
    assert ("3.4 Joint working: Good (recorded by inspector.one on "
            in told.stdout), told.stdout
    assert "3.1 Assessment: not rated (no applicable cases)" in told.stdout
    book = tmp_path / "youth.xlsx"
    assert aspire("export", "--inspection", str(inspection.id), "-o", str(book),
                  db=db_path).returncode == 0
    rows, about = ratings_and_about(book)
    [judged] = [r for r in rows if r[0] == "3.4 Joint working"]
    assert judged[1] == "Good" and judged[3].startswith("Judged on the evidence: recorded by "
                                                        "inspector.one")
    assert about["Overall rating"].startswith("Requires improvement (recorded by")
    assert about["Ratings recorded"].startswith("3.4 Joint working: Good (recorded by")
    # pseudonymised, the workbook names the lead inspector by their pseudonym
    masked = tmp_path / "masked.xlsx"
    assert aspire("export", "--inspection", str(inspection.id), "-o", str(masked),
                  "--pseudonymise", db=db_path).returncode == 0
    _rows, about = ratings_and_about(masked)
    assert "inspector.one" not in about["Ratings recorded"] + about["Overall rating"]
    assert "Y1" not in about["Overall rating"]  # the case named in the reason is masked
    assert "recorded by Team-" in about["Ratings recorded"]
    # withdrawn from the command line: the standard is unrated again
    withdrawn = aspire("ratings", "withdraw", "--inspection", str(inspection.id),
                       "--standard", "joint_working", db=db_path)
    assert withdrawn.returncode == 0, withdrawn.stderr
    recorded = aspire("ratings", "record", "--inspection", str(inspection.id), "--overall",
                      "--rating", "Outstanding", "--reason", "On reflection", db=db_path)
    assert recorded.returncode == 0, recorded.stderr
    told = json.loads(aspire("--json", "ratings", "--inspection", str(inspection.id),
                             db=db_path).stdout)
    assert told["overall"]["recorded"]["rating"] == "Outstanding"
    assert [s["recorded"] for s in told["standards"]] == [None] * 4
    refused = aspire("ratings", "record", "--inspection", str(inspection.id), "--overall",
                     "--rating", "Splendid", "--reason", "x", db=db_path)
    assert refused.returncode != 0 and "Splendid" in refused.stderr


def test_a_standard_rated_otherwise_than_the_arithmetic_counts_so_overall(services):
    """The 2018 case supervision: every key question Yes in five cases but for keeping other
    people safe in assessment (3 of 5: Requires improvement), so 1 + 3 + 3 + 3 = 10 of 12,
    83.3%, under 26/30 (86.7%): Good. The panel rates 2.1 Assessment Good instead: 2 + 9 =
    11 of 12, 91.7%: Outstanding, the arithmetic's own from the ratings as recorded."""
    inspection = short_on_safety_in_assessment(services, "Override")
    before = services.ratings.rate(inspection.id, statuses=ANY_STATUS).overall
    assert (before.label, before.score) == ("Good", 10)
    services.ratings.record(inspection.id, "assessment", "Good",
                            "The two cases short on safety were transferred in late")
    after = services.ratings.rate(inspection.id, statuses=ANY_STATUS)
    assessment = after.standards[0]
    assert (assessment.band, assessment.rating) == ("Requires improvement", "Good")
    assert (after.overall.label, after.overall.score, after.overall.out_of) == (
        "Outstanding", 11, 12)
