"""Importing a case list into an inspection: all of it or none of it, never a duplicate."""

from __future__ import annotations

import contextlib

import pytest

from app.errors import ValidationError
from app.io import case_lists
from app.services.case_import import ImportRefused
from tests.conftest import raw_connection
from tests.integration.case_list_builders import (
    binary_file,
    csv_file,
    not_a_zip,
    simple_xlsx,
    xlsx,
)
from tests.integration.helpers import make_case, make_inspection

GOOD = [["X1", "M", "31/01/1990", "H", "first"], ["X2", "F", "02/03/1985", "low", None],
        ["X3", "Male", "1990-05-04", "Medium", ""]]


def stored(db_path) -> dict[str, int]:
    """Row counts of everything an import could touch."""
    with contextlib.closing(raw_connection(db_path)) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("cases", "outbox", "case_progress")}


def bad_value(path):
    return simple_xlsx(path, [*GOOD, ["X4", "Q", "31/01/1990", "H", ""]])


def bad_date(path):
    return simple_xlsx(path, [*GOOD, ["X4", "M", "1990/31/01", "H", ""]])


def missing_reference(path):
    return simple_xlsx(path, [*GOOD, [None, "M", "31/01/1990", "H", "no reference"]])


def duplicate_reference(path):
    return simple_xlsx(path, [*GOOD, ["x2", "M", "31/01/1990", "H", ""]])


def no_header(path):
    return xlsx(path, ("Cases", [["Name", "Sex"], ["A", "M"]], "visible"))


def only_hidden_sheet(path):
    return xlsx(path, ("Cases", [["CRN", "Sex"], ["X1", "M"]], "hidden"),
                ("Notes", [["Some notes"]], "visible"))


ERROR_KINDS = {
    "unknown coded value": (bad_value, "case.xlsx"),
    "unreadable date": (bad_date, "case.xlsx"),
    "missing reference": (missing_reference, "case.xlsx"),
    "reference twice in the file": (duplicate_reference, "case.xlsx"),
    "no sheet with the headers": (no_header, "case.xlsx"),
    "headers only on a hidden sheet": (only_hidden_sheet, "case.xlsx"),
    "not a spreadsheet": (lambda p: p.write_text("hello") and p, "case.txt"),
    "xlsx that is not a zip": (not_a_zip, "case.xlsx"),
    "binary csv": (binary_file, "case.csv"),
}


@pytest.mark.parametrize("kind", list(ERROR_KINDS))
def test_every_bad_file_leaves_the_database_unchanged(mini, db_path, tmp_path, kind):
    inspection = make_inspection(mini)
    make_case(mini, "X9", inspection=inspection)
    before = stored(db_path)
    build, name = ERROR_KINDS[kind]
    path = build(tmp_path / name)
    with pytest.raises(ValidationError) as info:
        mini.imports.import_file(inspection_id=inspection.id, path=path)
    assert path.name in info.value.problem or info.value.details
    assert stored(db_path) == before


def test_problems_are_listed_with_row_column_value_and_expected(mini, tmp_path):
    inspection = make_inspection(mini)
    path = simple_xlsx(tmp_path / "cases.xlsx", [*GOOD, ["X4", "Q", "1990/31/01", "H", ""]])
    with pytest.raises(ImportRefused) as info:
        mini.imports.import_file(inspection_id=inspection.id, path=path)
    problems = info.value.as_dict()["problems"]
    assert [(p["row"], p["column"], p["value"]) for p in problems] == [
        (5, "Sex", "Q"), (5, "DOB", "1990/31/01")]
    assert all(p["expected"] for p in problems)
    assert info.value.details[0].startswith("row 5, column 'Sex': 'Q' — expected")


def test_good_file_is_imported_whole_and_existing_cases_are_recognised(mini, db, tmp_path):
    inspection = make_inspection(mini)
    make_case(mini, "x2", inspection=inspection)  # already there, typed in lower case
    path = csv_file(tmp_path / "cases.csv", [["CRN", "Sex", "DOB", "RoSH", "Notes"], *GOOD])
    preview, report = mini.imports.import_file(inspection_id=inspection.id, path=path,
                                               dry_run=True)
    assert report.dry_run and report.imported == 0
    assert [c.reference for c in preview.new_cases] == ["X1", "X3"]
    assert preview.existing_references == ("X2",)
    assert {c.header: c.field for c in preview.columns}["DOB"] == "date_of_birth"
    assert len(mini.cases.list(inspection.id)) == 1
    _, report = mini.imports.import_file(inspection_id=inspection.id, path=path)
    assert (report.imported, report.already_present) == (2, 1)
    cases = {c.reference: c for c in mini.cases.list(inspection.id)}
    assert sorted(cases) == ["X1", "X3", "x2"]
    assert cases["X1"].profile.gender == "male" and cases["X1"].profile.rosh == "high"
    assert cases["X3"].applicable > 0 and cases["X3"].status == "not_started"
    _, again = mini.imports.import_file(inspection_id=inspection.id, path=path)
    assert (again.imported, again.already_present) == (0, 3)
    assert len(mini.cases.list(inspection.id)) == 3


def test_imported_cases_carry_their_outbox_rows(mini, db_path, tmp_path):
    inspection = make_inspection(mini)
    path = simple_xlsx(tmp_path / "cases.xlsx", GOOD)
    mini.imports.import_file(inspection_id=inspection.id, path=path)
    with contextlib.closing(raw_connection(db_path)) as conn:
        orphans = conn.execute(
            "SELECT count(*) FROM cases c WHERE NOT EXISTS (SELECT 1 FROM outbox o "
            "WHERE o.entity_id = c.id AND o.op = 'insert' AND o.rev = 1)").fetchone()[0]
        payload = conn.execute("SELECT payload FROM outbox WHERE entity = 'cases' "
                               "ORDER BY seq DESC LIMIT 1").fetchone()[0]
    assert orphans == 0 and '"reference": "X3"' in payload


def test_cancelled_reading_stores_nothing(mini, db_path, tmp_path, monkeypatch):
    from app.services import case_import
    monkeypatch.setattr(case_import, "PROGRESS_EVERY", 1)
    inspection = make_inspection(mini)
    before = stored(db_path)
    path = simple_xlsx(tmp_path / "cases.xlsx", GOOD)
    with pytest.raises(case_import.ImportCancelled):
        mini.imports.check(inspection_id=inspection.id, path=path, cancelled=lambda: True)
    assert stored(db_path) == before


def test_a_too_large_file_is_refused_before_reading(mini, tmp_path, monkeypatch):
    monkeypatch.setattr(case_lists, "MAX_FILE_BYTES", 100)
    inspection = make_inspection(mini)
    with pytest.raises(ValidationError, match=r"cases\.xlsx"):
        mini.imports.import_file(inspection_id=inspection.id,
                                 path=simple_xlsx(tmp_path / "cases.xlsx", GOOD))
