"""A pseudonymised workbook, read back with openpyxl (and as the raw files inside it): no case
reference, date of birth or internal id anywhere; the same case has the same pseudonym in
every export of its inspection and another in another inspection."""

from __future__ import annotations

import datetime as dt
import re
import zipfile

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from app.core.dto import NewInspection
from app.core.profile import CaseProfile
from app.core.pseudonyms import case_pseudonym
from tests.integration.helpers import make_case

BIRTHS = {"CRN-QZ71234": dt.date(1987, 4, 3), "CRN-QZ71235": dt.date(2007, 9, 30),
          "CRN-QZ71236": None}


def new_inspection(services, start=dt.date(2026, 3, 2)):
    return services.inspections.create(NewInspection(
        name="Westshire", programme="adult_probation", organisation="Westshire PDU",
        framework_key="mini", start_date=start))


@pytest.fixture
def inspection(mini):
    inspection = new_inspection(mini)
    cases = {ref: mini.cases.add(inspection_id=inspection.id, reference=ref,
                                 profile=CaseProfile(phase="community", gender="female",
                                                     date_of_birth=born))
             for ref, born in BIRTHS.items()}
    first, second, _third = cases.values()
    mini.forms.record_answer(
        case_id=first.id, question_key="victim", value="no",
        evidence="Record for crn-qz71234 (born 03/04/1987) names no victim")
    mini.forms.record_answer(case_id=first.id, question_key="comment",
                             value="Shares a hostel with CRN-QZ71235; DOB 3 April 1987")
    mini.forms.record_answer(case_id=second.id, question_key="rosh_assessment", value="yes")
    mini.forms.record_answer(case_id=second.id, question_key="seen_on", value="2026-03-05")
    mini.practice.save(case_id=second.id, kind="good_practice", title="CRN-QZ71235 housing",
                       narrative="The officer found CRN-QZ71235 a flat before release.")
    return inspection, cases


def cells(path):
    book = load_workbook(path)
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                yield sheet.title, cell.value
                if cell.comment is not None:
                    yield sheet.title, cell.comment.text


def shown(value) -> list[str]:
    """A cell as text, and a date as people write it."""
    if isinstance(value, dt.datetime | dt.date):
        return [value.isoformat(), value.strftime("%d/%m/%Y")]
    return [] if value is None else [str(value)]


def test_nothing_in_a_pseudonymised_workbook_says_who_a_case_is(mini, inspection, tmp_path):
    inspection, cases = inspection
    path = tmp_path / "shared.xlsx"
    # provisional ratings: the forms are not approved, and the breakdowns are to be seen
    result = mini.exports.export(inspection_id=inspection.id, path=path, pseudonymise=True,
                                 provisional_ratings=True)
    assert result.pseudonymised and mini.exports.log()[0].pseudonymised

    secrets = [ref.lower() for ref in BIRTHS] + ["qz7123"]
    secrets += [str(c.id) for c in cases.values()] + [str(inspection.id)]
    secrets += [str(c.id.hex) for c in cases.values()] + [inspection.id.hex]
    secrets += [f"{d:%d/%m/%Y}" for d in BIRTHS.values() if d] + [
        d.isoformat() for d in BIRTHS.values() if d] + ["april 1987"]
    born = {d for d in BIRTHS.values() if d}
    for sheet, value in cells(path):
        if isinstance(value, dt.datetime | dt.date):
            day = value.date() if isinstance(value, dt.datetime) else value
            assert day not in born, (sheet, value)
        for text in shown(value):
            assert not any(s in text.lower() for s in secrets), (sheet, text)
    with zipfile.ZipFile(path) as package:  # every part of the file, not only the cells
        for name in package.namelist():
            raw = package.read(name).decode("utf-8", errors="replace").lower()
            assert not any(s in raw for s in secrets), name

    book = load_workbook(path)
    about = {row[0]: row[1] for row in book["About"].iter_rows(values_only=True)}
    assert about["Pseudonymised"].startswith("Yes") and "02/03/2026" in about["Pseudonymised"]
    rows = list(book["Cases"].iter_rows(values_only=True))
    headers = rows[0]
    assert "date_of_birth" not in headers and "age_band" in headers
    by_pseudonym = {r[0]: dict(zip(headers, r, strict=True)) for r in rows[2:]}
    expected = {case_pseudonym(inspection.id, ref): ref for ref in BIRTHS}
    assert set(by_pseudonym) == set(expected)
    assert all(re.fullmatch(r"P-[0-9A-F]{10}", p) for p in by_pseudonym)
    bands = {expected[p]: r["age_band"] for p, r in by_pseudonym.items()}
    assert bands == {"CRN-QZ71234": "35–49", "CRN-QZ71235": "18–24",  # 18 on 02/03/2026
                     "CRN-QZ71236": "Not recorded"}
    first, second = (case_pseudonym(inspection.id, r) for r in ("CRN-QZ71234", "CRN-QZ71235"))
    assert by_pseudonym[first]["comment"] == (
        f"Shares a hostel with {second}; DOB [date of birth removed]")
    answer_rows = list(book["Answers"].iter_rows(values_only=True))
    answers = [dict(zip(answer_rows[0], r, strict=True)) for r in answer_rows[1:]]
    victim = next(a for a in answers if a["question_key"] == "victim")
    assert victim["reference"] == first
    assert victim["evidence"] == (
        f"Record for {first} (born [date of birth removed]) names no victim")
    [example] = list(book["Practice examples"].iter_rows(values_only=True))[1:]
    assert example[0] == second and example[4] == f"{second} housing"
    assert example[6] == f"The officer found {second} a flat before release."
    interview = list(book["Interview"].iter_rows(values_only=True))[1:]
    assert [r[0] for r in interview] == [second]  # the interview date is kept: not a birth
    ratings = {(r[4], r[5]) for r in book["Ratings"].iter_rows(values_only=True)}
    assert ("Age band", "18–24") in ratings  # the breakdowns still know the ages


def test_pseudonyms_are_stable_within_an_inspection_and_differ_across(mini, inspection,
                                                                      tmp_path):
    inspection, _cases = inspection

    def pseudonyms(inspection_id, name) -> list[str]:
        path = tmp_path / name
        mini.exports.export(inspection_id=inspection_id, path=path, pseudonymise=True)
        return sorted(r[0] for r in list(load_workbook(path)["Cases"].iter_rows(
            values_only=True))[2:])

    first = pseudonyms(inspection.id, "first.xlsx")
    mini.cases.add(inspection_id=inspection.id, reference="CRN-QZ79999",
                   profile=CaseProfile(phase="community"))
    again = pseudonyms(inspection.id, "again.xlsx")
    assert set(first) < set(again) and len(again) == 4
    other = new_inspection(mini)
    for ref in BIRTHS:
        make_case(mini, ref, inspection=other)
    elsewhere = pseudonyms(other.id, "other.xlsx")
    assert len(elsewhere) == 3 and not set(elsewhere) & set(again)
    plain = tmp_path / "plain.xlsx"
    mini.exports.export(inspection_id=inspection.id, path=plain)
    about = {r[0]: r[1] for r in load_workbook(plain)["About"].iter_rows(values_only=True)}
    assert about["Pseudonymised"].startswith("No")
    assert [e.pseudonymised for e in mini.exports.log()] == [False, True, True, True]


def test_a_pseudonymised_case_form_pdf(mini, inspection, tmp_path):
    inspection, cases = inspection
    case = cases["CRN-QZ71234"]
    path = tmp_path / "form.pdf"
    mini.review.export_pdf(case.id, path, pseudonymise=True)
    reader = PdfReader(path)
    text = " ".join(page.extract_text() for page in reader.pages)
    text += " " + " ".join(str(v) for v in (reader.metadata or {}).values())
    assert case_pseudonym(inspection.id, "CRN-QZ71234") in text
    assert "Age band" in text and "35–49" in text
    for secret in ("QZ71234", "QZ71235", "1987", str(case.id), str(inspection.id)):
        assert secret.lower() not in text.lower(), secret
    [entry] = mini.exports.log()
    assert (entry.kind, entry.pseudonymised, entry.case_ids) == ("pdf", True, (case.id,))


OFFICERS = {"CRN-NM10001": "D. Campbell", "CRN-NM10002": "Priya Okonkwo-Shah",
            "CRN-NM10003": "D. Campbell"}
LEAD, SUPERVISOR, COLLEAGUE = "Ruth Evans", "Harriet Lewis", "Tomasz Nowak"


@pytest.fixture
def named(tmp_path):
    """An inspection whose records name people everywhere: officers on its cases, a team of
    three who answer, query, return and record practice, each writing colleagues' names."""
    from tests.conftest import MINI_FRAMEWORKS, new_database, open_as
    from tests.integration.test_review import complete

    path = tmp_path / "named.db"
    new_database(path, user=LEAD).close()
    lead = open_as(path, LEAD, MINI_FRAMEWORKS)
    inspection = new_inspection(lead)
    lead.inspections.add_member(inspection_id=inspection.id, person=SUPERVISOR,
                                role="supervisor")
    lead.inspections.add_member(inspection_id=inspection.id, person=COLLEAGUE,
                                role="inspector")
    cases = {ref: lead.cases.add(inspection_id=inspection.id, reference=ref,
                                 profile=CaseProfile(phase="community",
                                                     responsible_officer=officer))
             for ref, officer in OFFICERS.items()}
    first, second = cases["CRN-NM10001"], cases["CRN-NM10002"]
    lead.cases.assign(case_ids=[second.id], assignee=COLLEAGUE)
    complete(lead, first.id)
    lead.forms.record_answer(
        case_id=first.id, question_key="victim", value="no",
        evidence="Ms CAMPBELL and Priya Okonkwo-Shah agreed; d. campbell signed it off")
    lead.forms.record_answer(case_id=first.id, question_key="comment",
                             value="Discussed with Harriet; Nowak to check the OASys")
    lead.review.submit(first.id)
    colleague = open_as(path, COLLEAGUE, MINI_FRAMEWORKS)
    colleague.forms.record_answer(case_id=second.id, question_key="rosh_assessment",
                                  value="yes", evidence="Okonkwo-Shah's review was timely")
    colleague.practice.save(case_id=second.id, kind="good_practice", title="Evans's pick",
                            narrative="Priya found a flat; Ruth Evans saw the letter.")
    supervisor = open_as(path, SUPERVISOR, MINI_FRAMEWORKS)
    supervisor.review.raise_query(case_id=first.id, question_key="victim",
                                  text="Did Tomasz Nowak see what D. Campbell wrote?")
    supervisor.review.return_case(first.id, "Ruth, ask Campbell about the victim")
    yield lead, inspection, cases
    for services in (lead, colleague, supervisor):
        services.close()


def names_in(text: str) -> set[str]:
    """Every name the test inspection holds, whole or in part, found in ``text``."""
    people = set(OFFICERS.values()) | {LEAD, SUPERVISOR, COLLEAGUE}
    words = people | {w for p in people for w in re.findall(r"[^\W\d_]{3,}", p)}
    return {w for w in words
            if re.search(rf"(?<![^\W_]){re.escape(w)}(?![^\W_])", text, re.IGNORECASE)}


def test_a_pseudonymised_workbook_names_nobody(named, tmp_path):
    lead, inspection, _cases = named
    plain, path = tmp_path / "plain.xlsx", tmp_path / "shared.xlsx"
    lead.exports.export(inspection_id=inspection.id, path=plain)
    everything = " ".join(t for _, v in cells(plain) for t in shown(v))
    assert names_in(everything) == {"D. Campbell", "Campbell", "Priya Okonkwo-Shah", "Priya",
                                    "Okonkwo", "Shah", LEAD, "Ruth", "Evans", COLLEAGUE,
                                    "Tomasz", "Nowak", "Harriet"}  # the test sees them

    lead.exports.export(inspection_id=inspection.id, path=path, pseudonymise=True)
    for sheet, value in cells(path):
        for text in shown(value):
            assert not names_in(text), (sheet, text)
    with zipfile.ZipFile(path) as package:
        for name in package.namelist():
            assert not names_in(package.read(name).decode("utf-8", errors="replace")), name

    book = load_workbook(path)
    rows = list(book["Cases"].iter_rows(values_only=True))
    by_reference = {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[2:]}
    pseudonym = {ref: case_pseudonym(inspection.id, ref) for ref in OFFICERS}
    officer = {ref: by_reference[pseudonym[ref]]["responsible_officer"] for ref in OFFICERS}
    assert all(re.fullmatch(r"Officer-[0-9A-F]{8}", o) for o in officer.values())
    assert officer["CRN-NM10001"] == officer["CRN-NM10003"] != officer["CRN-NM10002"]
    colleague = by_reference[pseudonym["CRN-NM10002"]]["inspector"]
    assert re.fullmatch(r"Team-[0-9A-F]{8}", colleague)
    answers = [dict(zip(rows_[0], r, strict=True))
               for rows_ in [list(book["Answers"].iter_rows(values_only=True))]
               for r in rows_[1:]]
    victim = next(a for a in answers if a["question_key"] == "victim")
    campbell = officer["CRN-NM10001"]
    assert victim["evidence"] == (f"Ms {campbell} and {officer['CRN-NM10002']} agreed; "
                                  f"{campbell} signed it off")
    by = {a["answered_by"] for a in answers}
    assert colleague in by and len(by) == 2
    assert all(re.fullmatch(r"Team-[0-9A-F]{8}", b) for b in by)
    about = {r[0]: r[1] for r in book["About"].iter_rows(values_only=True)}
    assert re.fullmatch(r"Team-[0-9A-F]{8}", about["Exported by"])
    again = tmp_path / "again.xlsx"  # the same pseudonyms in every export of the inspection
    lead.exports.export(inspection_id=inspection.id, path=again, pseudonymise=True)
    assert [r[:12] for r in load_workbook(again)["Cases"].iter_rows(values_only=True)] == [
        r[:12] for r in rows]


def test_a_pseudonymised_case_form_pdf_names_nobody(named, tmp_path):
    lead, _inspection, cases = named
    case = cases["CRN-NM10001"]
    plain, path = tmp_path / "plain.pdf", tmp_path / "shared.pdf"

    def text_of(pdf) -> str:
        reader = PdfReader(pdf)
        return " ".join([page.extract_text() for page in reader.pages]
                        + [str(v) for v in (reader.metadata or {}).values()])

    lead.review.export_pdf(case.id, plain)
    assert {"D. Campbell", "Harriet Lewis", "Tomasz Nowak", LEAD} <= names_in(text_of(plain))
    lead.review.export_pdf(case.id, path, pseudonymise=True)
    text = text_of(path)
    assert not names_in(text)
    assert re.search(r"Officer-[0-9A-F]{8}", text) and re.search(r"Team-[0-9A-F]{8}", text)
