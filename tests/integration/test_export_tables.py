"""The inspection's tidy tables for R, Stata and Python (Parquet and CSV), read back and held
to the analysts' workbook of the same cases."""

from __future__ import annotations

import csv
import datetime as dt

import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook

from app.core.profile import CaseProfile
from app.errors import UserFacingError
from tests.integration.helpers import make_inspection
from tests.integration.test_export import rows_of

TABLES = ("cases", "answers", "interviews", "practice_examples", "questions", "dictionary")


@pytest.fixture
def demo(services, tmp_path):
    inspection = services.demo.create(cases=15, seed=21)
    workbook = services.exports.export(inspection_id=inspection.id,
                                       path=tmp_path / "book.xlsx")
    return services, inspection, load_workbook(workbook.path)


def same(mine: object, theirs: object) -> bool:
    """A table's value is the workbook's (which holds dates as moments, moments in local
    time, and numbers and flags as the cell shows them)."""
    if isinstance(mine, dt.datetime):
        return abs(mine.astimezone().replace(tzinfo=None) - theirs) < dt.timedelta(seconds=1)
    if isinstance(mine, dt.date):
        return mine == theirs.date()
    if isinstance(mine, float):
        return mine == pytest.approx(theirs)
    return mine == (None if theirs is None else str(theirs))


def read_csv(path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_parquet_tables_hold_what_the_workbook_holds_with_types_and_a_dictionary(demo,
                                                                                 tmp_path):
    services, inspection, book = demo
    result = services.exports.export_tables(inspection_id=inspection.id,
                                            folder=tmp_path / "tables", file_format="parquet")
    assert sorted(p.name for p in result.files) == sorted(f"{t}.parquet" for t in TABLES)
    tables = {t: pq.read_table(tmp_path / "tables" / f"{t}.parquet") for t in TABLES}
    # the same cases and answers as the workbook's sheets, column for column
    for table, sheet, header_rows in (("cases", "Cases", 2), ("answers", "Answers", 1),
                                      ("interviews", "Interview", 1),
                                      ("practice_examples", "Practice examples", 1)):
        expected = rows_of(book[sheet], header_rows)
        got = tables[table].to_pylist()
        assert len(got) == len(expected) and (got or table == "interviews")
        headings = next(book[sheet].iter_rows(max_row=1, values_only=True))
        assert tables[table].column_names == list(headings)
        for mine, theirs in zip(got, expected, strict=True):
            for column, value in theirs.items():
                assert same(mine[column], value), (table, column, mine[column], value)
    assert str(tables["cases"].schema.field("date_of_birth").type) == "date32[day]"
    assert str(tables["answers"].schema.field("answered_at").type).startswith("timestamp")
    # every question, and every column of every table in the dictionary
    keys = {r["question_key"] for r in tables["questions"].to_pylist()}
    framework = services.frameworks.framework(inspection.framework_key)
    assert keys == set(framework.question_keys())
    described = {(r["table"], r["column"]) for r in tables["dictionary"].to_pylist()}
    assert described == {(t, c) for t in TABLES if t != "dictionary"
                         for c in tables[t].column_names} | {
        ("dictionary", c) for c in ("table", "column", "meaning")}
    assert tables["answers"].schema.metadata[b"framework"].startswith(b"adult-probation")
    # each file is in the export log
    logged = [e for e in services.exports.log(inspection.id) if e.kind == "table"]
    assert sorted(e.file_name for e in logged) == sorted(p.name for p in result.files)


def test_csv_tables_are_plain_utf8_and_pseudonymised_ones_name_nobody(services, tmp_path):
    inspection = make_inspection(services, "adult-probation")
    case = services.cases.add(inspection_id=inspection.id, reference="=1+1",
                              profile=CaseProfile(phase="community",
                                                  date_of_birth=dt.date(1990, 2, 3)))
    services.forms.record_answer(case_id=case.id, question_key="rosh_assessment", value="no",
                                 reasons=["other"], evidence="=HYPERLINK(\"x\") — Siân’s view")
    result = services.exports.export_tables(inspection_id=inspection.id,
                                            folder=tmp_path / "csv", file_format="csv")
    answers = read_csv(tmp_path / "csv" / "answers.csv")
    # a text a spreadsheet would take for a formula is written after an apostrophe
    assert answers[0]["reference"] == "'=1+1"
    assert answers[0]["evidence"] == "'=HYPERLINK(\"x\") — Siân’s view"
    cases = read_csv(tmp_path / "csv" / "cases.csv")
    assert cases[0]["date_of_birth"] == "1990-02-03"
    assert result.cases == 1 and len(result.files) == len(TABLES)
    hidden = services.exports.export_tables(inspection_id=inspection.id,
                                            folder=tmp_path / "hidden", file_format="csv",
                                            pseudonymise=True)
    for path in hidden.files:
        text = path.read_text(encoding="utf-8")
        assert "=1+1" not in text and "1990-02-03" not in text, path.name
    assert "age_band" in read_csv(tmp_path / "hidden" / "cases.csv")[0]


def test_tables_are_refused_in_another_format_or_where_they_cannot_go(services, tmp_path):
    inspection = make_inspection(services, "adult-probation")
    with pytest.raises(UserFacingError, match="not a format"):
        services.exports.export_tables(inspection_id=inspection.id, folder=tmp_path / "t",
                                       file_format="sav")
    blocked = tmp_path / "a file"
    blocked.write_text("in the way")
    with pytest.raises(UserFacingError) as refused:
        services.exports.export_tables(inspection_id=inspection.id, folder=blocked,
                                       file_format="csv")
    assert "a file" in refused.value.problem


def test_an_inspections_answers_read_as_stored_are_those_the_typed_read_gives(services):
    """The quick read of a whole inspection's answers (ids, JSON and moments taken from
    their stored text) gives exactly the records the typed read of the same cases does."""
    from app.db import repositories as repo

    inspection = services.demo.create(cases=12, seed=5)
    case = services.cases.list(inspection.id)[0]
    services.forms.record_answer(case_id=case.id, question_key="rosh_assessment", value="no",
                                 reasons=["other"], evidence="Siân’s note, “quoted”")
    with services._db.read() as session:
        quick = repo.answer_records_for_inspection(session, inspection.id)
        typed = repo.answer_records_for_cases(session, list(quick))
    assert quick == typed and sum(map(len, quick.values())) > 100
    assert all(r.answered_at.tzinfo is not None for a in quick.values() for r in a.values())
    # of the cases with given statuses only, as the ratings read them
    statuses = {c.id: c.status for c in services.cases.list(inspection.id)}
    chosen = {k for k, status in statuses.items() if status == statuses[case.id]}
    assert chosen and chosen != set(quick)
    with services._db.read() as session:
        counted = repo.answer_records_for_inspection(session, inspection.id,
                                                     statuses=[statuses[case.id]])
    assert counted == {k: v for k, v in quick.items() if k in chosen}


def test_the_command_line_writes_the_tables_in_a_folder(tmp_path):
    from tests.cli import as_json, aspire

    db = tmp_path / "t.db"
    demo = as_json(aspire("demo", "--cases", "6", "--seed", "3", "--json", db=db))
    written = as_json(aspire("export", "--inspection", demo["id"], "--format", "parquet",
                             "--all-cases", "--pseudonymise", "-o", str(tmp_path / "out"),
                             "--json", db=db))
    assert written["cases"] == 6 and written["pseudonymised"] is True
    assert sorted(p.rsplit("/", 1)[-1] for p in written["files"]) == sorted(
        f"{t}.parquet" for t in TABLES)
    assert pq.read_table(tmp_path / "out" / "cases.parquet").num_rows == 6
    for extra, named in ((["-o", "-"], "standard output"),
                         (["-o", str(tmp_path / "x"), "--provisional-ratings"], "ratings")):
        refused = aspire("export", "--inspection", demo["id"], "--format", "csv", *extra, db=db)
        assert refused.returncode == 1 and named in refused.stderr, refused.stderr


def test_a_case_list_read_as_plain_columns_says_what_each_case_read_alone_says(services):
    """The list of an inspection's cases (read as plain columns, for thousands of them)
    and each case read on its own give the same summary, progress and profile included."""
    import dataclasses

    inspection = services.demo.create(cases=12, seed=7)
    listed = services.cases.list(inspection.id)
    assert len(listed) == 12 and any(c.percent for c in listed)
    for case in listed:
        alone = services.cases.get(case.id)
        assert case == dataclasses.replace(alone, sample_status=case.sample_status)
