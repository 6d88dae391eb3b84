"""Reading a provider's case list: headers, values, dates and every problem by row and column."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.case_import import (
    COLUMN_BY_FIELD,
    COLUMNS,
    MAX_REFERENCE,
    CaseListCheck,
    check_rows,
    map_headers,
)
from app.core.profile import ETHNICITY, PROFILE_FIELD_BY_NAME, PROFILE_FIELDS, CaseProfile
from app.errors import ValidationError
from app.io.case_lists import case_list_names

TODAY = dt.date(2026, 6, 1)
#: the names the app is shipped with (resources/case_lists/aliases.json)
NAMES = case_list_names()


def check(headers, *rows, first_row: int = 2) -> CaseListCheck:
    mapping = map_headers(headers, NAMES)
    return check_rows(mapping, enumerate(rows, start=first_row), today=TODAY)


def one_value(field: str, value: object):
    """The code a single cell is read as, or the problem it gives."""
    result = check(["CRN", COLUMN_BY_FIELD[field].label], ["X1", value])
    if result.problems:
        return result.problems[0]
    return getattr(result.cases[0].profile, field)


# ---------------------------------------------------------------------------------------
# Headers


def test_columns_are_the_reference_every_profile_field_and_notes():
    assert [c.field for c in COLUMNS] == [
        "reference", *(f.name for f in PROFILE_FIELDS), "notes"]
    assert [c.field for c in COLUMNS if c.required] == ["reference"]


@pytest.mark.parametrize("text, field", [
    ("Date of Birth", "date_of_birth"), ("  date_of-BIRTH ", "date_of_birth"),
    ("D.O.B.", "date_of_birth"), ("Race / Ethnicity", "ethnicity"), ("RoSH", "rosh"),
])
def test_a_heading_is_matched_by_its_letters_and_digits_alone(text, field):
    assert map_headers(["Reference", text], NAMES).matches[1].field == field


@pytest.mark.parametrize("field, headers", [
    ("reference", ["CRN", "case reference", "Case Ref", "case id", "Reference", "URN"]),
    ("date_of_birth", ["DOB", "Date of birth", "d.o.b."]),
    ("gender", ["Sex", "Gender"]),
    ("ethnicity", ["Ethnicity", "Ethnic group", "Ethnic origin", "Race/Ethnicity"]),
    ("sentence_type", ["Sentence", "Sentence type", "Order type", "Disposal",
                       "Disposal type", "Type of sentence", "Sentence or disposal"]),
    ("phase", ["Phase", "Custody or community", "Custody/Community",
               "Custody or community phase"]),
    ("provider", ["Provider", "Agency", "Allocated agency", "Organisation"]),
    ("rosh", ["RoSH", "Risk of serious harm", "RoSH level", "Risk level"]),
    ("mappa", ["MAPPA", "MAPPA level", "mappa_level"]),
    ("vulnerability", ["Vulnerability", "Vulnerability level", "Safety and wellbeing"]),
    ("disability", ["Disability", "Disabled"]),
    ("responsible_officer", ["Responsible officer", "Offender manager", "Case manager",
                             "Practitioner", "Probation practitioner"]),
    ("assignee", ["Inspector", "Assigned inspector"]),
    ("notes", ["Notes", "Comments"]),
])
def test_header_aliases(field, headers):
    for header in headers:
        for written in (header, header.upper(), f"  {header.lower()} ",
                        header.replace(" ", "_"), header.replace(" ", "-")):
            assert map_headers([written], NAMES).matches[0].field == field, written


def test_every_label_maps_to_its_own_column():
    mapping = map_headers([c.label for c in COLUMNS], NAMES)
    assert [m.field for m in mapping.matches] == [c.field for c in COLUMNS]
    assert mapping.ok


def test_unknown_and_blank_headers_are_ignored_columns():
    mapping = map_headers(["CRN", "Team", None, "", 42], NAMES)
    assert [(m.column_index, m.header, m.field) for m in mapping.matches] == [
        (0, "CRN", "reference"), (1, "Team", None), (2, "", None), (3, "", None),
        (4, "42", None)]
    assert mapping.ok


def test_missing_reference_column():
    mapping = map_headers(["Sex", "DOB"], NAMES)
    assert mapping.missing_required == ("reference",)
    assert not mapping.ok
    with pytest.raises(ValidationError) as info:
        check_rows(mapping, [])
    assert "Case reference" in info.value.details[0]


def test_duplicated_fields():
    mapping = map_headers(["CRN", "Sex", "Gender", "DOB", "Date of birth", "Sex"], NAMES)
    assert mapping.duplicated == ("gender", "date_of_birth")
    assert not mapping.ok
    with pytest.raises(ValidationError) as info:
        check_rows(mapping, [])
    assert info.value.details == ["3 columns hold the gender: 'Sex', 'Gender', 'Sex'.",
                                  "2 columns hold the date of birth: 'DOB', 'Date of birth'."]


# ---------------------------------------------------------------------------------------
# Coded values

VALUE_CASES = {
    "gender": [("M", "male"), ("f", "female"), ("Male", "male"), ("FEMALE", "female"),
               ("man", "male"), ("Woman", "female"), ("Another gender identity", "other"),
               ("non-binary", "other"), ("not known", "not_recorded"), ("NK", "not_recorded")],
    "rosh": [("L", "low"), ("m", "medium"), ("H", "high"), ("VH", "very_high"),
             ("low", "low"), ("Medium", "medium"), ("HIGH", "high"), ("Very high", "very_high"),
             ("very_high", "very_high"), ("unknown", "not_recorded")],
    "vulnerability": [("VH", "very_high"), ("Low", "low"), ("not recorded", "not_recorded")],
    "mappa": [(1, "level_1"), (2.0, "level_2"), ("3", "level_3"), ("Level 1", "level_1"),
              ("L2", "level_2"), ("MAPPA level 3", "level_3"), ("none", "none"),
              ("N/A", "none"), ("n/a", "none"), ("Not managed under MAPPA", "none"),
              ("not stated", "not_recorded")],
    "disability": [("Y", "yes"), ("n", "no"), ("Yes", "yes"), ("NO", "no"),
                   ("not recorded", "not_recorded"), ("refused", "prefer_not_to_say")],
    "provider": [("NPS", "nps"), ("crc", "crc"), ("National Probation Service", "nps"),
                 ("Community Rehabilitation Company", "crc"), ("YOT", "yot"), ("YOS", "yot"),
                 ("Youth Offending Team", "yot"), ("Probation Service", "probation_service"),
                 ("PS", "probation_service"), ("Other provider", "other")],
    "phase": [("custody", "custody"), ("In custody", "custody"), ("Community", "community"),
              ("licence", "licence"), ("License", "licence"), ("on licence", "licence"),
              ("Post-release", "licence")],
    "sentence_type": [
        ("CO", "community_order"), ("community order", "community_order"),
        ("SSO", "suspended_sentence_order"), ("SSSO", "suspended_sentence_order"),
        ("Suspended Sentence Order", "suspended_sentence_order"), ("licence", "licence"),
        ("Licence (post-release)", "licence"), ("PSS", "post_sentence_supervision"),
        ("post sentence supervision", "post_sentence_supervision"),
        ("Post-sentence supervision", "post_sentence_supervision"),
        ("referral order", "referral_order"), ("YRO", "youth_rehabilitation_order"),
        ("YRO with ISS", "yro_iss"), ("YRO ISS", "yro_iss"), ("YRO (ISS)", "yro_iss"),
        ("DTO", "detention_training_order"),
        ("Detention and training order", "detention_training_order"),
        ("youth caution", "youth_caution"), ("Youth conditional caution",
                                             "youth_conditional_caution"),
        ("YCC", "youth_conditional_caution"), ("community resolution", "community_resolution"),
        ("Other", "other")],
    "ethnicity": [
        ("White: Irish", "white_irish"), ("White - Irish", "white_irish"),
        ("Irish", "white_irish"), ("white irish", "white_irish"),
        ("White: English, Welsh, Scottish, Northern Irish or British", "white_british"),
        ("White British", "white_british"), ("Asian or Asian British: Indian", "asian_indian"),
        ("Asian - Pakistani", "asian_pakistani"), ("Black African", "black_african"),
        ("Mixed: White and Asian", "mixed_white_asian"), ("Other ethnic group: Arab",
                                                          "other_arab"),
        ("Gypsy or Irish Traveller", "white_gypsy_traveller"), ("Roma", "white_roma"),
        ("not recorded", "not_recorded"), ("Not known", "not_recorded"),
        ("not stated", "not_recorded"), ("unknown", "not_recorded"), ("NK", "not_recorded"),
        ("prefer not to say", "prefer_not_to_say"), ("Refused", "prefer_not_to_say"),
        ("declined", "prefer_not_to_say"), ("Not disclosed", "prefer_not_to_say")],
}


@pytest.mark.parametrize("field, raw, code", [
    (field, raw, code) for field, pairs in VALUE_CASES.items() for raw, code in pairs])
def test_coded_values(field, raw, code):
    assert one_value(field, raw) == code


@pytest.mark.parametrize("code, expected", [
    ("W1", "white_british"), ("W2", "white_irish"), ("W3", "white_gypsy_traveller"),
    ("W4", "white_roma"), ("W9", "white_other"), ("M1", "mixed_white_black_caribbean"),
    ("M2", "mixed_white_black_african"), ("M3", "mixed_white_asian"), ("M9", "mixed_other"),
    ("A1", "asian_indian"), ("A2", "asian_pakistani"), ("A3", "asian_bangladeshi"),
    ("A4", "asian_chinese"), ("A9", "asian_other"), ("B1", "black_caribbean"),
    ("B2", "black_african"), ("B9", "black_other"), ("O1", "asian_chinese"),
    ("O2", "other_arab"), ("O9", "other_any"), ("NS", "not_recorded"),
])
def test_census_style_ethnicity_codes(code, expected):
    assert one_value("ethnicity", code) == expected
    assert one_value("ethnicity", code.lower()) == expected


@pytest.mark.parametrize("field", ["provider", "sentence_type", "phase", "gender", "ethnicity",
                                   "rosh", "mappa", "vulnerability", "disability"])
def test_every_code_and_label_is_accepted(field):
    for choice in PROFILE_FIELD_BY_NAME[field].vocabulary.choices:
        assert one_value(field, choice.code) == choice.code
        assert one_value(field, f" {choice.label.upper()} ") == choice.code


def test_every_ethnicity_label_is_accepted_with_its_group():
    for choice in ETHNICITY.choices:
        if choice.group != "Not known":
            assert one_value("ethnicity", f"{choice.group}: {choice.label}") == choice.code
            assert one_value("ethnicity", f"{choice.group} - {choice.label}") == choice.code


def test_not_recorded_and_prefer_not_to_say_are_kept_apart():
    result = check(["CRN", "Ethnicity", "Disability"],
                   ["A", "Not recorded", "not known"], ["B", "Prefer not to say", "declined"])
    assert [(c.profile.ethnicity, c.profile.disability) for c in result.cases] == [
        ("not_recorded", "not_recorded"), ("prefer_not_to_say", "prefer_not_to_say")]


def test_prefer_not_to_say_is_refused_where_the_list_has_no_such_answer():
    problem = one_value("gender", "Prefer not to say")
    assert problem.expected.startswith("one of: Male (M); Female (F)")


@pytest.mark.parametrize("field, raw", [
    ("ethnicity", "White"), ("ethnicity", "Asian"), ("ethnicity", "W5"),
    ("mappa", "4"), ("mappa", "category 1"), ("rosh", "extreme"), ("gender", "X"),
    ("provider", "Acme"), ("sentence_type", "fine"), ("phase", "remand"),
    ("disability", "maybe"), ("disability", 7),
])
def test_unknown_coded_value_lists_what_is_accepted(field, raw):
    problem = one_value(field, raw)
    assert (problem.row, problem.column, problem.value) == (
        2, COLUMN_BY_FIELD[field].label, str(raw))
    vocabulary = PROFILE_FIELD_BY_NAME[field].vocabulary
    assert problem.expected.startswith("one of: ")
    for choice in vocabulary.choices:
        assert choice.label in problem.expected
    assert not re.search(r"(\([A-Z]+\)) \1", problem.expected)  # not "(NPS) (NPS)"


def test_unknown_value_problem_names_the_header_as_written():
    result = check(["  CRN ", "Ethnic Group "], ["X1", "Martian"])
    assert result.problems[0].column == "Ethnic Group"
    assert "Irish (W2)" in result.problems[0].expected


# ---------------------------------------------------------------------------------------
# Dates


@pytest.mark.parametrize("raw", [
    "31/01/1990", "31/1/1990", " 31/01/1990 ", "31-01-1990", "31.01.1990", "1990-01-31",
    "1990-1-31", "1990-01-31 00:00:00", "1990-01-31T00:00:00", "31/01/1990 00:00",
    "31 Jan 1990", "31-JAN-1990", "31 January 1990", "31 Ionawr 1990", "31 Ion 1990",
    "31-IONAWR-1990",
    dt.date(1990, 1, 31), dt.datetime(1990, 1, 31), dt.datetime(1990, 1, 31, 13, 5),
])
def test_dates_accepted(raw):
    assert one_value("date_of_birth", raw) == dt.date(1990, 1, 31)


@pytest.mark.parametrize(("raw", "day"), [
    ("1 Chwefror 1990", dt.date(1990, 2, 1)), ("2 Mawrth 1990", dt.date(1990, 3, 2)),
    ("3 Ebrill 1990", dt.date(1990, 4, 3)), ("4 Mai 1990", dt.date(1990, 5, 4)),
    ("5 Mehefin 1990", dt.date(1990, 6, 5)), ("6 Gorffennaf 1990", dt.date(1990, 7, 6)),
    ("7 Awst 1990", dt.date(1990, 8, 7)), ("8 Medi 1990", dt.date(1990, 9, 8)),
    ("9 Hydref 1990", dt.date(1990, 10, 9)), ("10 Tachwedd 1990", dt.date(1990, 11, 10)),
    ("11 Rhagfyr 1990", dt.date(1990, 12, 11)), ("12 Gorff 1990", dt.date(1990, 7, 12))])
def test_welsh_month_names(raw, day):
    assert one_value("date_of_birth", raw) == day


def test_day_first_even_when_both_could_be_a_month():
    assert one_value("date_of_birth", "1/2/1990") == dt.date(1990, 2, 1)
    assert one_value("date_of_birth", "12/05/1990") == dt.date(1990, 5, 12)


UNREADABLE = "a date written day/month/year such as 31/01/1990"


@pytest.mark.parametrize("raw, expected", [
    ("01/31/1990", "(month first is not accepted)"),
    ("12/31/1990", "(month first is not accepted)"),
    ("31/02/1990", "a date that exists"),
    ("29/02/1990", "a date that exists"),
    ("1990-02-30", "a date that exists"),
    ("32/01/1990", "a date that exists"),
    ("31/01/90", UNREADABLE),
    ("1990/01/31", UNREADABLE),
    ("yesterday", UNREADABLE),
    ("31 Smarch 1990", UNREADABLE),
    (32904, UNREADABLE),
    (dt.time(9, 30), UNREADABLE),
    ("02/06/2026", "not in the future"),
    (dt.date(2030, 1, 1), "not in the future"),
    ("31/05/1916", "within the last 110 years"),
])
def test_dates_refused(raw, expected):
    problem = one_value("date_of_birth", raw)
    assert expected in problem.expected
    assert problem.column == "Date of birth"


def test_date_limits_are_inclusive():
    assert one_value("date_of_birth", "01/06/2026") == TODAY
    assert one_value("date_of_birth", "01/06/1916") == dt.date(1916, 6, 1)


def test_a_leap_day_today_still_has_a_limit_110_years_back():
    result = check_rows(map_headers(["CRN", "DOB"], NAMES), [(2, ["A", "28/02/1914"])],
                        today=dt.date(2024, 2, 29))
    assert result.cases[0].profile.date_of_birth == dt.date(1914, 2, 28)


# ---------------------------------------------------------------------------------------
# Problems and rows


def test_missing_reference_in_a_row():
    result = check(["CRN", "Sex"], ["X1", "M"], [None, "F"], ["   ", "F"], first_row=5)
    assert [(p.row, p.column, p.value, p.expected) for p in result.problems] == [
        (6, "CRN", "", "a case reference, such as the CRN"),
        (7, "CRN", "", "a case reference, such as the CRN")]
    assert [c.reference for c in result.cases] == ["X1"]


def test_reference_too_long():
    long = "X" * (MAX_REFERENCE + 1)
    result = check(["Case ref"], [long], ["Y" * MAX_REFERENCE])
    assert [(p.row, p.column, p.value, p.expected) for p in result.problems] == [
        (2, "Case ref", long, "text of at most 60 characters")]
    assert len(result.cases) == 1


def test_the_same_reference_twice_names_the_earlier_row():
    result = check(["CRN"], ["X1"], ["X2"], ["X1"], [" x2 "])
    assert [(p.row, p.column, p.value, p.expected) for p in result.problems] == [
        (4, "CRN", "X1", "a reference used only once (row 2 has the same reference)"),
        (5, "CRN", "x2", "a reference used only once (row 3 has the same reference)")]
    assert [c.reference for c in result.cases] == ["X1", "X2"]


def test_free_text_is_limited():
    result = check(["CRN", "Notes", "Offender manager", "Inspector"],
                   ["X1", "n" * 200, "o" * 120, "i" * 120],
                   ["X2", "n" * 201, "o" * 121, "i" * 121])
    assert result.cases[0].notes == "n" * 200
    assert [(p.row, p.column, p.expected) for p in result.problems] == [
        (3, "Notes", "text of at most 200 characters"),
        (3, "Offender manager", "text of at most 120 characters"),
        (3, "Inspector", "text of at most 120 characters")]
    assert result.problems[0].value == "n" * 100 + "…"  # long text is cut short


def test_every_problem_in_a_row_is_reported_and_the_row_gives_no_case():
    result = check(["CRN", "Sex", "DOB", "RoSH", "MAPPA"],
                   ["X1", "Q", "31/13/1990", "extreme", "9"],
                   ["X2", "F", "01/01/1990", "H", "2"])
    assert [(p.row, p.column, p.value) for p in result.problems] == [
        (2, "Sex", "Q"), (2, "DOB", "31/13/1990"), (2, "RoSH", "extreme"), (2, "MAPPA", "9")]
    assert [c.reference for c in result.cases] == ["X2"]
    assert not result.ok


def test_a_case_is_read_in_full():
    headers = ["CRN", "Agency", "Disposal", "Custody/community", "Sex", "Ethnic group", "DOB",
               "RoSH", "MAPPA level", "Safety and wellbeing", "Disabled", "Offender manager",
               "Assigned inspector", "Comments", "Team"]
    result = check(headers, [" X123 ", "CRC", "SSO", "community", "F", "W2",
                             dt.datetime(1990, 1, 31), "VH", 2, "low", "N", " Sam Jones ",
                             "Ann Inspector", "Priority case", "North"])
    assert result.ok and result.rows_read == 1 and result.blank_rows == 0
    (case,) = result.cases
    assert (case.row, case.reference, case.notes) == (2, "X123", "Priority case")
    assert case.profile == CaseProfile(
        provider="crc", sentence_type="suspended_sentence_order", phase="community",
        gender="female", ethnicity="white_irish", date_of_birth=dt.date(1990, 1, 31),
        rosh="very_high", mappa="level_2", vulnerability="low", disability="no",
        responsible_officer="Sam Jones", assignee="Ann Inspector")


def test_blank_cells_leave_the_profile_empty_and_numbers_read_as_text():
    result = check(["CRN", "Sex", "Notes"], [1234567, "  ", None], [12.0])
    assert [(c.reference, c.profile, c.notes) for c in result.cases] == [
        ("1234567", CaseProfile(), ""), ("12", CaseProfile(), "")]


def test_blank_rows_are_skipped_and_counted():
    result = check(["CRN", "Sex", "Team"], ["X1", "M", None], [None, None, None],
                   ["", "  ", "\t"], [], ["X2", "F", None])
    assert [c.row for c in result.cases] == [2, 6]
    assert (result.rows_read, result.blank_rows) == (5, 3)


def test_a_row_with_only_an_ignored_column_filled_is_not_blank():
    result = check(["CRN", "Team"], ["X1", "North"], [None, "Total: 1"])
    assert [(p.row, p.column) for p in result.problems] == [(3, "CRN")]


def test_short_rows_and_cells_beyond_the_headers():
    result = check(["CRN", "Sex", "DOB"], ["X1"], ["X2", "F", "01/01/1990", "extra"])
    assert [c.profile.gender for c in result.cases] == [None, "female"]


def test_column_report_for_the_preview():
    result = check(["CRN", "Sex", "Team"],
                   ["X1", "M", None], ["X2", "M", "North"], ["X3", "F", None],
                   ["X4", "M", "South"], ["X5", "NK", "East"], ["X6", "F", "West"])
    assert [(c.header, c.field, c.label, c.examples) for c in result.columns] == [
        ("CRN", "reference", "Case reference", ("X1", "X2", "X3")),
        ("Sex", "gender", "Gender", ("M", "F", "NK")),
        ("Team", None, "Not imported", ("North", "South", "East"))]


def test_no_rows():
    result = check(["CRN"])
    assert result.ok and result.cases == () and result.rows_read == 0


# ---------------------------------------------------------------------------------------
# Generated messy tables

# (cell as written, code read) for each field; every cell is then re-spaced and re-cased.
GOOD = {
    "provider": [("NPS", "nps"), ("Community Rehabilitation Company", "crc"), ("yos", "yot")],
    "sentence_type": [("CO", "community_order"), ("YRO with ISS", "yro_iss"),
                      ("detention and training order", "detention_training_order")],
    "phase": [("in custody", "custody"), ("licence", "licence"), ("Community", "community")],
    "gender": [("M", "male"), ("woman", "female"), ("Not recorded", "not_recorded")],
    "ethnicity": [("W1", "white_british"), ("Asian: Bangladeshi", "asian_bangladeshi"),
                  ("refused", "prefer_not_to_say"), ("unknown", "not_recorded")],
    "rosh": [("VH", "very_high"), ("medium", "medium"), ("L", "low")],
    "mappa": [("L1", "level_1"), ("n/a", "none"), (3, "level_3")],
    "vulnerability": [("high", "high"), ("NK", "not_recorded")],
    "disability": [("Y", "yes"), ("no", "no"), ("declined", "prefer_not_to_say")],
}
BAD = {field: ["zzz", "??", "level 9"] for field in GOOD}
GOOD["date_of_birth"] = [("31/01/1990", dt.date(1990, 1, 31)), ("1975-12-02", dt.date(1975, 12, 2)),
                         (dt.datetime(2001, 7, 4), dt.date(2001, 7, 4))]
BAD["date_of_birth"] = ["31/02/1990", "01/31/1990", "soon", "01/01/2099"]
GOOD["responsible_officer"] = [("Sam Jones", "Sam Jones"), ("A. Officer", "A. Officer")]
BAD["responsible_officer"] = ["x" * 121]
GOOD["notes"] = [("Seen weekly", "Seen weekly")]
BAD["notes"] = ["y" * 201]
HEADER_CHOICES = {c.field: (c.label, c.field, *c.aliases) for c in NAMES.columns}


def messy(text: str, draw) -> str:
    """The same words with the spacing, case and separators a real export might have."""
    words = text.split(" ")
    joiner = draw(st.sampled_from([" ", "  ", "_", "-", ""]))
    spaced = joiner.join(words)
    cased = draw(st.sampled_from([spaced, spaced.upper(), spaced.lower(), spaced.title()]))
    return draw(st.sampled_from(["", " ", "\t"])) + cased + draw(st.sampled_from(["", "  "]))


def messy_value(text: str, draw) -> str:
    """A coded value with its case and outer spaces changed (its letters kept)."""
    cased = draw(st.sampled_from([text, text.upper(), text.lower(), text.title()]))
    return draw(st.sampled_from(["", " "])) + cased + draw(st.sampled_from(["", "  "]))


@st.composite
def tables(draw):
    fields = draw(st.lists(st.sampled_from(sorted(GOOD)), unique=True, max_size=len(GOOD)))
    order = draw(st.permutations(["reference", *fields, "ignored"]))
    headers = []
    for field in order:
        name = "Team" if field == "ignored" else draw(st.sampled_from(HEADER_CHOICES[field]))
        headers.append(messy(name, draw))
    rows, expected_cases, expected_bad = [], [], set()
    for n in range(draw(st.integers(0, 12))):
        number = n + 2
        if draw(st.integers(0, 5)) == 0:
            rows.append((number, [draw(st.sampled_from([None, "", "  "])) for _ in order]))
            continue
        cells, values, bad = [], {}, []
        for field, header in zip(order, headers, strict=True):
            if field == "reference":
                cells.append(f"X{n}")
                continue
            if field == "ignored":
                cells.append(draw(st.sampled_from([None, "North", 7])))
                continue
            kind = draw(st.sampled_from(["good", "good", "blank", "bad"]))
            if kind == "blank":
                cells.append(None)
            elif kind == "good":
                raw, code = draw(st.sampled_from(GOOD[field]))
                cells.append(messy_value(raw, draw) if isinstance(raw, str) and field not in (
                    "date_of_birth", "notes", "responsible_officer") else raw)
                values[field] = code
            else:
                cells.append(draw(st.sampled_from(BAD[field])))
                bad.append((number, header.strip()))
        rows.append((number, cells))
        if bad:
            expected_bad.update(bad)
        else:
            notes = values.pop("notes", "")
            expected_cases.append((number, f"X{n}", CaseProfile(**values), notes))
    return headers, rows, expected_cases, expected_bad


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_messy_tables_give_exactly_the_cases_or_a_problem_for_each_bad_cell(table):
    headers, rows, expected_cases, expected_bad = table
    mapping = map_headers(headers, NAMES)
    assert mapping.ok, headers
    result = check_rows(mapping, rows, today=TODAY)
    assert [(c.row, c.reference, c.profile, c.notes) for c in result.cases] == expected_cases
    assert {(p.row, p.column) for p in result.problems} == expected_bad
    assert len(result.problems) == len(expected_bad)
    assert result.rows_read == len(rows)


@settings(max_examples=300)
@given(st.lists(st.lists(st.one_of(
    st.none(), st.text(max_size=30), st.integers(), st.floats(allow_nan=True),
    st.booleans(), st.dates(), st.datetimes(), st.times()), max_size=8), max_size=10))
def test_any_cells_at_all_never_raise(cells):
    headers = ["CRN", "Sex", "DOB", "MAPPA", "Ethnicity", "Notes", "Other"]
    result = check_rows(map_headers(headers, NAMES), enumerate(cells, start=2), today=TODAY)
    assert result.rows_read == len(cells)
    assert len(result.cases) + result.blank_rows + len({p.row for p in result.problems}) == len(
        cells)
