"""A framework laid out as a workbook's sheets: written and read back the same, and every
problem named by sheet, row, column and value."""

from __future__ import annotations

import json

import pytest

from app.config import frameworks_dir
from app.core.framework_loader import parse_framework_text
from app.core.framework_sheets import (
    COLUMNS,
    Sheet,
    SheetProblem,
    column_letter,
    framework_from_sheets,
    framework_rows,
)
from tests.conftest import MINI_FRAMEWORKS

MINI = json.loads((MINI_FRAMEWORKS / "mini.json").read_text())


def as_sheets(rows: dict[str, list[list[object]]]) -> list[Sheet]:
    return [Sheet(name, tuple(table[0]),
                  tuple((number, tuple(cells)) for number, cells in enumerate(table[1:], 2)))
            for name, table in rows.items()]


def row_of(rows, sheet: str, key: str, column: str = "key") -> list[object]:
    at = rows[sheet][0].index(column)
    return next(r for r in rows[sheet][1:] if r[at] == key)


def set_cell(rows, sheet: str, key: str, column: str, value: object) -> int:
    """Change one cell of the row whose key is ``key``; its row number."""
    row = row_of(rows, sheet, key)
    row[rows[sheet][0].index(column)] = value
    return rows[sheet].index(row) + 1


def problems(rows) -> list[SheetProblem]:
    framework, text, found = framework_from_sheets(as_sheets(rows), "authored.xlsx")
    assert (framework is None) == bool(found) and (text == "") == bool(found)
    return found


@pytest.mark.parametrize("path", [*sorted(frameworks_dir().glob("*.json")),
                                  MINI_FRAMEWORKS / "mini.json"], ids=lambda p: p.stem)
def test_every_framework_laid_out_as_sheets_reads_back_the_same(path):
    text = path.read_text(encoding="utf-8")
    framework, written, found = framework_from_sheets(
        as_sheets(framework_rows(json.loads(text))), "round-trip.xlsx")
    assert found == []
    assert framework == parse_framework_text(text, path.name)
    assert parse_framework_text(written, "written.json") == framework
    assert framework.raw == written


def test_the_column_letters_run_as_a_spreadsheet_names_them():
    assert [column_letter(n) for n in (1, 2, 26, 27, 52, 703)] == \
        ["A", "B", "Z", "AA", "AZ", "AAA"]


def cell(found: list[SheetProblem], sheet: str, column: str) -> SheetProblem:
    matching = [p for p in found if p.sheet == sheet and p.column == column]
    assert len(matching) == 1, found
    return matching[0]


def questions_letter(column: str) -> str:
    return column_letter(COLUMNS["questions"].index(column) + 1)


@pytest.mark.parametrize(("column", "value", "said"), [
    ("applies_if", "${nowhere} = yes",
     "'nowhere' is not an earlier question in this framework"),
    ("applies_if", "${victim} = maybe", "'maybe' is not a possible answer to 'victim'"),
    ("applies_if", "${victim} =", "the rule cannot be read: the rule stops short"),
    ("applies_if", "county = north", "'county' is not a case profile field"),
    ("reasons", "no_such_reasons", "'reasons' names 'no_such_reasons', which is not a list "
                                   "on the reasons sheet"),
    ("type", "essay", "'type' is 'essay'; it must be one of yes_no"),
    ("judgement", "maybe", "must be yes or no"),
    ("section", "nowhere", "not a section on the sections sheet (its sections: case, "),
    ("min", "1", "'min' and 'max' apply to number questions only"),
    ("text", "", "'text' is missing or empty"),
    ("key_question", "yes", "a key question is a yes_no judgement or a need_matrix with the "
                            "'standard'"),
])
def test_a_question_problem_is_named_by_its_row_column_and_value(column, value, said):
    rows = framework_rows(MINI)
    number = set_cell(rows, "questions", "barriers", column, value)
    if column == "key_question":
        set_cell(rows, "questions", "barriers", "standard", "")
    found = problems(rows)
    problem = cell(found, "questions", column)
    assert (problem.row, problem.letter, problem.value) == (number, questions_letter(column),
                                                            value)
    assert said in problem.message, problem


def test_an_options_list_that_does_not_exist_is_named_at_its_question():
    rows = framework_rows(MINI)
    number = set_cell(rows, "questions", "needs", "options", "neds")
    problem = cell(problems(rows), "questions", "options")
    assert (problem.row, problem.value) == (number, "neds")
    assert str(problem) == (f"sheet 'questions', row {number}, column "
                            f"{questions_letter('options')} (options) [neds]: 'options' names "
                            "'neds', which is not a list on the choices sheet")


def test_a_circular_rule_is_named_once_at_the_question_that_starts_it():
    rows = framework_rows(MINI)
    number = set_cell(rows, "questions", "victim", "applies_if", "${barriers} = yes")
    set_cell(rows, "questions", "barriers", "applies_if", "${victim} = yes")
    found = problems(rows)
    circular = [p for p in found if "circular" in p.message]
    assert [(p.row, p.column, p.message) for p in circular] == [
        (number, "applies_if", "a circular rule: victim → barriers → victim")]


def test_a_key_used_twice_is_named_at_its_second_row():
    rows = framework_rows(MINI)
    first = rows["questions"].index(row_of(rows, "questions", "barriers")) + 1
    rows["questions"].append(list(row_of(rows, "questions", "barriers")))
    problem = cell(problems(rows), "questions", "key")
    assert (problem.row, problem.value) == (len(rows["questions"]), "barriers")
    assert f"first in row {first}" in problem.message


def test_a_code_used_twice_in_a_list_and_a_missing_label_are_named_at_their_rows():
    rows = framework_rows(MINI)
    rows["choices"].append(list(rows["choices"][1]))
    rows["reasons"].append(["general", "late", ""])
    found = problems(rows)
    code = cell(found, "choices", "code")
    label = cell(found, "reasons", "label")
    assert (code.row, code.value) == (len(rows["choices"]), rows["choices"][1][1])
    assert (label.row, label.letter) == (len(rows["reasons"]), "C")
    assert "the label is missing" in label.message


def test_sheets_and_columns_that_are_missing_or_unknown_are_named():
    rows = framework_rows(MINI)
    del rows["sections"]
    rows["questions"][0][rows["questions"][0].index("guidance")] = "gudance"
    rows["questions"][0].append("notes for reviewers")
    found = problems(rows)
    assert SheetProblem("sections", 0, "", "", "", "the workbook has no 'sections' sheet") \
        in found
    unknown = cell(found, "questions", "gudance")
    assert (unknown.row, unknown.letter) == (1, questions_letter("guidance"))
    assert "'gudance' is not a column of this sheet" in unknown.message
    assert not any(p.column.startswith("notes") for p in found)  # a note column is the author's


def test_a_setting_is_named_at_its_value_and_a_missing_one_by_name():
    rows = framework_rows(MINI)
    rows["settings"] = [r for r in rows["settings"] if r[0] != "title"]
    programme = next(n for n, r in enumerate(rows["settings"], 1) if r[0] == "programme")
    rows["settings"][programme - 1][1] = "prisons"
    found = problems(rows)
    assert SheetProblem("settings", programme, "value", "B", "prisons",
                        "'prisons' is not one of adult_probation, youth_offending, thematic") \
        in found
    assert any(p.sheet == "settings" and p.row == 0 and "sets no 'title'" in p.message
               for p in found)


def test_standards_are_read_and_a_question_must_name_a_listed_one():
    rows = framework_rows(MINI)
    rows["standards"].append(["assessment", "2.1 Assessment", "key_questions"])
    rows["standards"].append(["leadership", "1.1 Leadership", "judgement"])
    framework, _, found = framework_from_sheets(as_sheets(rows), "authored.xlsx")
    assert found == []
    assert [(s.key, s.title, s.rated_by) for s in framework.standards] == [
        ("assessment", "2.1 Assessment", "key_questions"),
        ("leadership", "1.1 Leadership", "judgement")]
    assert framework.question("rosh_assessment").key_question
    number = set_cell(rows, "questions", "rosh_assessment", "standard", "assesment")
    problem = cell(problems(rows), "questions", "standard")
    assert (problem.row, problem.value) == (number, "assesment")
    assert "which the standards do not list (assessment, leadership)" in problem.message


@pytest.mark.parametrize(("setting", "value", "said"), [
    ("version", "beta", "'beta' is not a version number: use numbers separated by dots"),
    ("version", "../../../tmp/evil", "is not a version number"),
    ("version", "1." * 15 + "1", "the version is 31 characters long; at most 20"),
    ("id", "a" * 300, "the id is 300 characters long; at most 60"),
])
def test_an_id_or_version_a_laptop_cannot_keep_is_refused_at_its_cell(setting, value, said):
    rows = framework_rows(MINI)
    row = next(n for n, r in enumerate(rows["settings"], 1) if r[0] == setting)
    rows["settings"][row - 1][1] = value
    problem = next(p for p in problems(rows) if p.sheet == "settings" and p.row == row)
    assert said in problem.message and problem.column == "value"


def test_a_formula_a_nameless_column_and_a_second_sheet_of_a_name_are_each_refused():
    from app.core.framework_sheets import FormulaText

    rows = framework_rows(MINI)
    number = set_cell(rows, "questions", "barriers", "applies_if",
                      FormulaText("=${victim} = yes"))
    rows["questions"][0].append(None)  # a column with no name...
    rows["questions"][3].append("kept for later")  # ...that holds a value
    sheets = [*as_sheets(rows), Sheet("Questions", ("key",), ())]
    found = framework_from_sheets(sheets, "authored.xlsx")[2]
    formula = next(p for p in found if p.column == "applies_if")
    assert (formula.row, formula.message) == (number, "a formula: type the value itself (the "
                                              "framework is read from values, not formulas)")
    assert any("holds values but has no name in row 1" in p.message and p.row == 4
               for p in found), found
    assert any("two sheets are named 'questions'" in p.message for p in found), found


def test_deeply_nested_rules_and_long_chains_of_rules_are_refused_not_crashed_on():
    rows = framework_rows(MINI)
    set_cell(rows, "questions", "barriers", "applies_if",
             "(" * 400 + "${victim} = yes" + ")" * 400)
    nested = next(p for p in problems(rows) if p.column == "applies_if")
    assert "nested more than 12 deep" in nested.message
    set_cell(rows, "questions", "barriers", "applies_if", "not " * 600 + "${victim} = yes")
    assert "nested more than 12 deep" in next(
        p for p in problems(rows) if p.column == "applies_if").message


def test_bounds_codes_and_text_are_held_to_what_a_form_and_an_analyst_can_use():
    rows = framework_rows(MINI)
    set_cell(rows, "questions", "officers", "min", 10)
    set_cell(rows, "questions", "officers", "max", 1)
    set_cell(rows, "questions", "victim", "text", "W" * 40_000)
    rows["choices"][1][1] = "Bad Code!"
    found = problems(rows)
    messages = " | ".join(p.message for p in found)
    assert "'min' (10) is more than 'max' (1)" in messages
    assert "'text' is 40,000 characters long; at most 1,000" in messages
    assert "the code 'Bad Code!' must be letters, digits" in messages


def test_coded_values_are_read_whatever_their_capitals_and_a_wrong_answer_lists_the_right():
    rows = framework_rows(MINI)
    set_cell(rows, "questions", "barriers", "type", "Yes_No")
    rows["sections"][2][rows["sections"][0].index("stage")] = "Evaluation"
    number = set_cell(rows, "questions", "victim_assessment", "applies_if", "${victim} = Yes")
    [problem] = problems(rows)  # the capitals of the type and the stage are no problem
    assert problem.row == number
    assert problem.message == "'Yes' is not a possible answer to 'victim' (its answers: na, " \
                              "no, yes)"
