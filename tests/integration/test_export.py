"""The analysts' workbook, read back with openpyxl."""

from __future__ import annotations

from collections import defaultdict

import pytest
from openpyxl import load_workbook

from app.core.export import ALL_CASES, BREAKDOWNS, DOES_NOT_APPLY
from app.core.profile import CaseProfile
from app.errors import UserFacingError
from tests.integration.helpers import make_inspection

SHEETS = ["About", "Cases", "Answers", "Interview", "Practice examples", "Summary", "Ratings",
          "Chart"]


def rows_of(sheet, header_rows=1):
    values = list(sheet.iter_rows(values_only=True))
    headers = values[0]
    return [dict(zip(headers, row, strict=True)) for row in values[header_rows:]]


@pytest.fixture(params=["adult_probation", "youth_offending"])
def demo_workbook(services, tmp_path, request):
    inspection = services.demo.create(cases=15, seed=21, programme=request.param)
    path = tmp_path / "out" / "northshire.xlsx"
    path.parent.mkdir()
    result = services.exports.export(inspection_id=inspection.id, path=path)
    return services, inspection, result, load_workbook(path)


def test_sheets_about_and_counts(demo_workbook):
    services, inspection, result, book = demo_workbook
    assert book.sheetnames == SHEETS
    about = {row[0]: row[1] for row in book["About"].iter_rows(values_only=True)}
    assert about["Framework"] == inspection.framework_key and about["Framework version"] == "1.0"
    assert about["Number of cases"] == 15 == result.cases
    statuses = [c.status for c in services.cases.list(inspection.id)]
    assert about["Cases not started"] == statuses.count("not_started")
    assert about["Cases included"] == "every case in the inspection"


def test_cases_sheet_one_row_per_case_with_both_header_rows(demo_workbook):
    services, inspection, _result, book = demo_workbook
    sheet = book["Cases"]
    headers = [c.value for c in sheet[1]]
    wording = [c.value for c in sheet[2]]
    framework = services.forms.open(services.cases.list(inspection.id)[0].id).framework
    assert headers[0] == "reference" and "rosh_assessment" in headers
    first = headers.index(framework.question_keys()[0])
    in_order = list(dict.fromkeys(h.split(".")[0] for h in headers[first:]))
    assert in_order == framework.question_keys()  # one column per question, framework order
    # the question's number as the case form, queries and the PDF show it, then its wording
    assert wording[headers.index("rosh_assessment")] == \
        f"{framework.numbers['rosh_assessment']} {framework.question('rosh_assessment').text}"
    assert sheet.freeze_panes == "B3"
    assert sheet["A1"].font.b
    cases = rows_of(sheet, header_rows=2)
    assert sorted(r["reference"] for r in cases) == sorted(
        c.reference for c in services.cases.list(inspection.id))
    if inspection.programme == "adult_probation":  # the need-area matrix is spread out
        assert any(h.startswith("contracted_contribution.") for h in headers)


def test_does_not_apply_is_distinct_from_unanswered_and_not_applicable(services, tmp_path):
    inspection = make_inspection(services, "adult-probation")
    case = services.cases.add(inspection_id=inspection.id, reference="X1",
                              profile=CaseProfile(phase="community", gender="male"))
    services.forms.record_answer(case_id=case.id, question_key="engagement_barriers",
                                 value="na")
    services.forms.record_answer(case_id=case.id, question_key="victim_identified", value="no")
    path = services.exports.export(inspection_id=inspection.id,
                                   path=tmp_path / "x.xlsx").path
    [row] = rows_of(load_workbook(path)["Cases"], header_rows=2)
    assert row["engagement_barriers"] == "Not applicable"  # the inspector's judgement
    assert row["release_rosh_planning"] == DOES_NOT_APPLY  # licence only
    assert row["victim_assessment"] == DOES_NOT_APPLY  # no identifiable victim
    assert row["rosh_assessment"] is None  # not yet answered
    assert row["victim_identified"] == "No"


def test_answers_and_interview_are_tidy_and_kept_apart(demo_workbook):
    services, inspection, _result, book = demo_workbook
    answers, interview = rows_of(book["Answers"]), rows_of(book["Interview"])
    assert {r["respondent"] for r in answers} == {"inspector"}
    assert {r["respondent"] for r in interview} == {"practitioner"}
    assert all(r["answered_at"].year >= 2026 for r in answers)  # real dates, not text
    no_rows = [r for r in answers if r["answer_code"] == "no" and r["reasons"]]
    assert no_rows and all(r["evidence"] for r in no_rows)
    stored = 0
    for case in services.cases.list(inspection.id):
        for record in services.forms.open(case.id).answers.values():
            stored += len(record.value) if isinstance(record.value, dict) else (
                record.value is not None)
    assert len(answers) + len(interview) == stored


def test_summary_is_recomputed_from_the_cases_and_answers_sheets(demo_workbook):
    _services, _inspection, _result, book = demo_workbook
    cases = {r["reference"]: r for r in rows_of(book["Cases"], header_rows=2)}
    tallies = defaultdict(lambda: [0, 0])
    for r in rows_of(book["Answers"]) + rows_of(book["Interview"]):
        if r["applies"] != "Yes" or r["answer_code"] not in ("yes", "no"):
            continue
        groups = [(ALL_CASES, ALL_CASES)]
        for breakdown in BREAKDOWNS:
            value = cases[r["reference"]].get(breakdown if breakdown != "assignee"
                                              else "inspector")
            groups.append((breakdown, str(value) if value not in (None, "") else "Not recorded"))
        for group in groups:
            tally = tallies[(r["question_key"], *group)]
            tally[0] += r["answer_code"] == "yes"
            tally[1] += 1
    summary = rows_of(book["Summary"])
    assert summary and {s["breakdown"] for s in summary} == {ALL_CASES, *BREAKDOWNS}
    checked = 0
    for s in summary:
        yes, n = tallies.get((s["question_key"], s["breakdown"], s["group"]), (0, 0))
        assert (s["yes"], s["applicable_answers"]) == (yes, n), s
        assert s["percent_yes"] == (pytest.approx(yes / n) if n else None)
        checked += n > 0
    assert checked > 50


def test_the_chart_has_the_key_questions_only_by_short_titles(demo_workbook):
    import zipfile
    services, inspection, result, book = demo_workbook
    framework = services.forms.open(services.cases.list(inspection.id)[0].id).framework
    keys = [q for q in framework.questions() if q.key_question]
    chart = rows_of(book["Chart"])
    ratings = [r for r in rows_of(book["Ratings"]) if r["breakdown"] == ALL_CASES]
    assert len(chart) == len(ratings) == len(keys)  # the key questions, and no others
    short = {q.text: q.short_title for q in keys}
    assert [(r["key_question"], r["percent_yes"]) for r in chart] == [
        (short[r["question"]], r["percent_yes"]) for r in ratings]
    assert all(len(r["key_question"]) <= 51 and "_" not in r["key_question"] for r in chart)
    with zipfile.ZipFile(result.path) as archive:
        charts = [n for n in archive.namelist() if n.startswith("xl/charts/chart")]
        xml = archive.read(charts[0]).decode()
    assert len(charts) == 1 and f"Chart!$C$2:$C${1 + len(keys)}" in xml.replace("'", "")
    assert book["Summary"]._charts == [] and len(book["Chart"]._charts) == 1


def test_every_sheet_prints_across_a_landscape_page_with_its_headings(demo_workbook):
    _services, _inspection, _result, book = demo_workbook
    for sheet in book.worksheets:
        setup = sheet.page_setup
        assert (setup.orientation, setup.paperSize, setup.fitToWidth, setup.fitToHeight) == (
            "landscape", 9, 1, 0), sheet.title
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.title
        assert sheet.print_title_rows == ("$1:$2" if sheet.title == "Cases" else "$1:$1")


def test_formula_like_text_is_written_as_text(services, tmp_path):
    import zipfile
    inspection = make_inspection(services, "adult-probation")
    case = services.cases.add(inspection_id=inspection.id, reference="=1+1",
                              profile=CaseProfile(phase="community"))
    nasty = ["=HYPERLINK(\"http://example.org\",\"x\")", "+44 1234", "-3 weeks late",
             "@SUM(A1)"]
    services.forms.record_answer(case_id=case.id, question_key="rosh_assessment", value="no",
                                 reasons=["other"], evidence=nasty[0])
    for text in nasty[1:]:
        services.practice.save(case_id=case.id, kind="quotation", narrative=text)
    path = services.exports.export(inspection_id=inspection.id,
                                   path=tmp_path / "x.xlsx").path
    book = load_workbook(path)
    assert book["Cases"]["A3"].value == "=1+1" and book["Cases"]["A3"].data_type == "s"
    evidence = [r["evidence"] for r in rows_of(book["Answers"])]
    assert nasty[0] in evidence
    narratives = sorted(r["narrative"] for r in rows_of(book["Practice examples"]))
    assert narratives == sorted(nasty[1:])
    with zipfile.ZipFile(path) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
        assert not any("<f>" in archive.read(n).decode() for n in sheets)


def test_sample_and_status_filters(services, tmp_path):
    inspection = make_inspection(services, "adult-probation")
    for i in range(30):
        services.cases.add(inspection_id=inspection.id, reference=f"X{i:02d}",
                           profile=CaseProfile(gender="male", rosh="low",
                                               sentence_type="community_order"))
    drawn = services.samples.draw(inspection_id=inspection.id, seed=5, margin=0.2)
    first = drawn.in_sample[0].case_id
    services.forms.record_answer(case_id=first, question_key="victim_identified", value="no")
    sampled = services.exports.export(inspection_id=inspection.id, path=tmp_path / "a.xlsx")
    assert sampled.cases == len(drawn.in_sample) < 30
    started = services.exports.export(inspection_id=inspection.id, path=tmp_path / "b.xlsx",
                                      statuses=["in_progress"])
    assert started.cases == 1
    everything = services.exports.export(inspection_id=inspection.id,
                                         path=tmp_path / "c.xlsx", all_cases=True)
    assert everything.cases == 30


def test_an_open_workbook_is_not_overwritten(services, tmp_path):
    inspection = make_inspection(services, "adult-probation")
    target = tmp_path / "report.xlsx"
    target.write_bytes(b"the analyst's copy")
    (tmp_path / "~$report.xlsx").write_bytes(b"owner")  # Excel has it open
    with pytest.raises(UserFacingError, match=r"report\.xlsx") as info:
        services.exports.export(inspection_id=inspection.id, path=target)
    assert "Excel" in info.value.message
    assert target.read_bytes() == b"the analyst's copy"
    assert sorted(p.name for p in tmp_path.glob("*.xlsx*")) == ["report.xlsx", "~$report.xlsx"]
    assert not list(tmp_path.glob(".~*"))


def test_unknown_status_is_refused(services, tmp_path):
    inspection = make_inspection(services, "adult-probation")
    with pytest.raises(UserFacingError, match="'finished' is not a case status"):
        services.exports.export(inspection_id=inspection.id, path=tmp_path / "x.xlsx",
                                statuses=["finished"])
    assert not (tmp_path / "x.xlsx").exists()
