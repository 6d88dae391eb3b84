"""Workbooks for analysts: written with ``write_workbook`` and read back with openpyxl."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
import re
import subprocess
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet import _writer as openpyxl_sheet_writer

from app.errors import AppError, UserFacingError
from app.io.excel_cells import CELL_TEXT_LIMIT
from app.io.excel_workbook import (
    BarChart,
    Column,
    ExportCancelled,
    ExportError,
    Sheet,
    WrittenWorkbook,
    write_workbook,
)

ROOT = Path(__file__).resolve().parents[2]
# Root ignores file permissions; drop that override so read-only folders really are.
UNPRIVILEGED = (["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner"]
                if os.geteuid() == 0 else [])

QUESTIONS = (
    Column("case_reference", note="The case reference in the case management system"),
    Column("q1_risk_assessed", note="Was the risk of serious harm assessed well enough?"),
    Column("q2_score", kind="number"),
    Column("q3_share", kind="percent", note="Proportion of contacts that were face to face"),
    Column("assessed_on", kind="date"),
    Column("submitted_at", kind="datetime"),
    Column("reasons", wrap=True, note="The inspector's reasons for the judgement"),
)
WORDING = ("Case reference", "Was the risk of serious harm assessed well enough?", "Score",
           "Face to face", "Date of assessment", "Submitted", "Reasons")


def sample_rows(count: int):
    for n in range(count):
        yield (f"X{100000 + n}", n % 3 != 0, n, (n % 10) / 10, dt.date(2026, 1, 1 + n % 28),
               dt.datetime(2026, 9, 7, 9, 30) + dt.timedelta(hours=n),
               "The plan addressed contact with children. " * 3)


def cases_sheet(count: int = 5, **changes) -> Sheet:
    fields = {"title": "Cases", "columns": QUESTIONS, "rows": sample_rows(count),
              "second_header": WORDING, "freeze_columns": 1, **changes}
    return Sheet(**fields)


def one_column(values, column: Column | None = None, **changes) -> Sheet:
    return Sheet("Answers", (column or Column("answer"),), [(v,) for v in values], **changes)


def sheet_xml(path: Path, number: int = 1) -> str:
    with zipfile.ZipFile(path) as archive:
        return archive.read(f"xl/worksheets/sheet{number}.xml").decode("utf-8")


def leftovers(folder: Path, keep: Path | None = None) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p != keep)


# --- what is written --------------------------------------------------------------------------


def test_sheets_titles_and_both_header_rows(tmp_path):
    summary = Sheet("Summary", (Column("question"), Column("yes", kind="percent")),
                    [("q1_risk_assessed", 0.5)])
    written = write_workbook(tmp_path / "sample.xlsx", [cases_sheet(), summary])
    workbook = load_workbook(written.path)
    assert workbook.sheetnames == ["Cases", "Summary"]
    cases = workbook["Cases"]
    assert [c.value for c in cases[1]] == [c.header for c in QUESTIONS]
    assert [c.value for c in cases[2]] == list(WORDING)
    assert all(c.font.b for c in cases[1]) and not any(c.font.i for c in cases[1])
    assert all(c.font.i for c in cases[2]) and not any(c.font.b for c in cases[2])
    assert cases["A3"].value == "X100000" and cases.max_row == 7
    assert [c.value for c in workbook["Summary"][1]] == ["question", "yes"]
    assert written.rows == {"Cases": 5, "Summary": 1}


def test_header_comments_hold_the_full_wording(tmp_path):
    path = write_workbook(tmp_path / "sample.xlsx", [cases_sheet()]).path
    cases = load_workbook(path)["Cases"]
    assert cases["B1"].comment.text == "Was the risk of serious harm assessed well enough?"
    assert cases["A1"].comment.text == "The case reference in the case management system"
    assert cases["C1"].comment is None
    assert cases["B2"].comment is None and cases["B3"].comment is None


def test_freeze_panes_below_the_headers_and_after_leading_columns(tmp_path):
    two_rows = write_workbook(tmp_path / "a.xlsx", [cases_sheet(freeze_columns=0)]).path
    one_row = write_workbook(tmp_path / "b.xlsx",
                             [cases_sheet(second_header=None, freeze_columns=1)]).path
    assert load_workbook(two_rows)["Cases"].freeze_panes == "A3"
    assert load_workbook(one_row)["Cases"].freeze_panes == "B2"


def test_autofilter_covers_exactly_the_written_range(tmp_path):
    paths = {
        "two header rows": write_workbook(tmp_path / "a.xlsx", [cases_sheet(1234)]).path,
        "one header row": write_workbook(tmp_path / "b.xlsx",
                                         [cases_sheet(3, second_header=None)]).path,
        "no rows": write_workbook(tmp_path / "c.xlsx", [cases_sheet(0, second_header=None)]).path,
        "no filter": write_workbook(tmp_path / "d.xlsx", [cases_sheet(3, table=False)]).path,
    }
    refs = {name: load_workbook(path)["Cases"].auto_filter.ref for name, path in paths.items()}
    # the filter buttons sit on the header row next to the data
    assert refs == {"two header rows": "A2:G1236", "one header row": "A1:G4",
                    "no rows": "A1:G1", "no filter": None}
    sheet = load_workbook(paths["two header rows"])["Cases"]
    assert sheet.max_row == 1236 and sheet.max_column == 7


def test_widths_and_wrapped_columns(tmp_path):
    columns = (Column("ref"), Column("fixed", width=23.5), Column("reasons", wrap=True),
               Column("narrow_wrap", wrap=True, width=30), Column("long_text"),
               Column("a_rather_long_question_key_for_a_header"))
    rows = [("X1", "a", "why " * 40, "b", "word " * 100, 1)]
    path = write_workbook(tmp_path / "w.xlsx", [Sheet("Cases", columns, rows)]).path
    sheet = load_workbook(path)["Cases"]
    widths = {letter: sheet.column_dimensions[letter].width for letter in "ABCDEF"}
    assert widths["B"] == 23.5 and widths["C"] == 60 and widths["D"] == 30
    assert 8 <= widths["A"] <= 12  # a short header and short values
    assert widths["E"] == 50  # long text without wrapping is capped
    assert widths["F"] >= len("a_rather_long_question_key_for_a_header")
    for cell in (sheet["C2"], sheet["D2"]):
        assert cell.alignment.wrap_text and cell.alignment.vertical == "top"
    assert not sheet["E2"].alignment.wrap_text


def test_number_formats_and_real_dates(tmp_path):
    path = write_workbook(tmp_path / "f.xlsx", [cases_sheet(3)]).path
    sheet = load_workbook(path)["Cases"]
    row = {c.header: cell for c, cell in zip(QUESTIONS, sheet[4], strict=True)}
    assert row["q2_score"].value == 1 and row["q2_score"].number_format == "General"
    assert row["q3_share"].value == 0.1 and row["q3_share"].number_format == "0.0%"
    assert row["assessed_on"].is_date and row["assessed_on"].number_format == "dd/mm/yyyy"
    assert row["assessed_on"].value == dt.datetime(2026, 1, 2)
    assert row["submitted_at"].is_date
    assert row["submitted_at"].number_format == "dd/mm/yyyy hh:mm"
    assert row["submitted_at"].value == dt.datetime(2026, 9, 7, 10, 30)


def test_dates_are_dates_in_any_column(tmp_path):
    when = dt.datetime(2026, 3, 4, 15, 5)
    path = write_workbook(tmp_path / "d.xlsx", [Sheet("S", (
        Column("text"), Column("date_only", kind="date"), Column("number", kind="number")),
        [(dt.date(2026, 3, 4), when, when)])]).path
    first, second, third = load_workbook(path)["S"][2]
    assert first.is_date and first.number_format == "dd/mm/yyyy"
    assert second.is_date and second.number_format == "dd/mm/yyyy" and second.value == when
    assert third.is_date and third.number_format == "dd/mm/yyyy hh:mm"


FORMULA_LIKE = ["=1+1", "=HYPERLINK(\"http://example.com\",\"Open\")", "+44 20 7946 0000",
                "-5", "-", "@SUM(A1:A2)", "=cmd|' /C calc'!A0", "#N/A", "#DIV/0!"]


def test_formula_like_text_stays_text(tmp_path):
    columns = (Column("=header"), Column("wrapped", wrap=True))
    rows = [(text, text) for text in FORMULA_LIKE]
    path = write_workbook(tmp_path / "t.xlsx", [Sheet("Answers", columns, rows,
                                                      second_header=["@wording", "x"])]).path
    sheet = load_workbook(path)["Answers"]
    assert sheet["A1"].value == "=header" and sheet["A1"].data_type == "s"
    assert sheet["A2"].value == "@wording" and sheet["A2"].data_type == "s"
    for number, text in enumerate(FORMULA_LIKE, start=3):
        for cell in sheet[number]:
            assert cell.value == text and cell.data_type == "s", (cell.coordinate, cell.value)
            if text[0] in "=+-@":
                assert cell.quotePrefix, cell.coordinate
    xml = sheet_xml(path)
    assert "<f>" not in xml and "<f " not in xml and 't="e"' not in xml
    assert 't="str"' not in xml


def test_characters_a_cell_cannot_hold_are_replaced_and_the_rest_kept(tmp_path):
    values = ["before\x00after", "bell\x07 and\x1b escape", "tab\tand\nnewline kept",
              "lone \ud800 surrogate", "not a character: \uffff"]
    path = write_workbook(tmp_path / "c.xlsx", [one_column(values)]).path
    got = [row[0].value for row in load_workbook(path)["Answers"].iter_rows(min_row=2)]
    assert got == ["before\ufffdafter", "bell\ufffd and\ufffd escape", "tab\tand\nnewline kept",
                   "lone \ufffd surrogate", "not a character: \ufffd"]


def test_over_long_text_is_cut_with_a_marker(tmp_path):
    long = "".join(f"{n:05d} " for n in range(7000))  # 42,000 characters
    exact = "y" * CELL_TEXT_LIMIT
    emoji = "\U0001F600" * 20_000  # two UTF-16 units each: 40,000 units in Excel's count
    path = write_workbook(tmp_path / "l.xlsx", [one_column([long, exact, emoji])]).path
    cut, kept, cut_emoji = (r[0].value for r in load_workbook(path)["Answers"].iter_rows(min_row=2))
    match = re.search(r" … \[cut: (\d+) characters\]$", cut)
    assert match and len(cut) <= CELL_TEXT_LIMIT
    removed = int(match.group(1))
    assert long.startswith(cut[:match.start()]) and match.start() + removed == len(long)
    assert kept == exact
    match = re.search(r" … \[cut: (\d+) characters\]$", cut_emoji)
    assert match and len(cut_emoji.encode("utf-16-le")) // 2 <= CELL_TEXT_LIMIT
    assert set(cut_emoji[:match.start()]) == {"\U0001F600"}
    assert match.start() + int(match.group(1)) == len(emoji)


def test_yes_no_values_read_yes_and_no(tmp_path):
    path = write_workbook(tmp_path / "b.xlsx", [one_column([True, False, None, True])]).path
    got = [row[0].value for row in load_workbook(path)["Answers"].iter_rows(min_row=2)]
    assert got == ["Yes", "No", None, "Yes"]


class Unprintable:
    def __str__(self):
        raise RuntimeError("no text")


def test_unusual_values_never_stop_the_export(tmp_path):
    aware = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
    values = [math.nan, math.inf, -math.inf, 2**80, Decimal("2.50"), Decimal("NaN"), aware,
              dt.date(1850, 5, 1), dt.time(14, 30), b"bytes", Unprintable(), ["a", 1]]
    path = write_workbook(tmp_path / "u.xlsx", [one_column(values)]).path
    got = [row[0] for row in load_workbook(path)["Answers"].iter_rows(min_row=2)]
    assert [c.value for c in got[:4]] == ["nan", "inf", "-inf", str(2**80)]
    assert got[2].data_type == "s" and got[2].quotePrefix
    assert got[4].value == 2.5 and got[5].value == "NaN"
    assert got[6].is_date and got[6].value == aware.astimezone().replace(tzinfo=None)
    assert got[7].value == "01/05/1850"  # before Excel's first date: kept as text
    assert got[8].value == dt.time(14, 30)
    assert got[9].value == "b'bytes'" and got[10].value == "Unprintable"
    assert got[11].value == "['a', 1]"


def test_rows_longer_than_the_columns_keep_their_extra_cells(tmp_path):
    path = write_workbook(tmp_path / "x.xlsx", [Sheet("S", (Column("a"),),
                                                      [("1", "=extra"), None, ("2",)])]).path
    sheet = load_workbook(path)["S"]
    assert [[c.value for c in row] for row in sheet.iter_rows(min_row=2)] == [
        ["1", "=extra"], [None, None], ["2", None]]
    assert sheet["B2"].data_type == "s" and sheet.auto_filter.ref == "A1:A4"


def test_bar_chart_is_placed_on_its_sheet_over_the_right_ranges(tmp_path):
    summary = Sheet("Summary of answers", (Column("question"), Column("n", kind="number"),
                                           Column("yes", kind="percent")),
                    [(f"q{n}", 20, n / 10) for n in range(1, 9)], second_header=["Q", "N", "%"])
    chart = BarChart(sheet="Summary of answers", title="Judgements: % yes",
                     category_column=1, value_column=3, first_row=3, last_row=10, anchor="H2")
    path = write_workbook(tmp_path / "chart.xlsx", [cases_sheet(), summary], [chart]).path
    workbook = load_workbook(path)
    assert workbook["Cases"]._charts == []
    [loaded] = workbook["Summary of answers"]._charts
    [series] = loaded.series
    assert series.val.numRef.f == "'Summary of answers'!$C$3:$C$10"
    assert series.cat.strRef.f == "'Summary of answers'!$A$3:$A$10"
    assert loaded.anchor._from.col == 7 and loaded.anchor._from.row == 1  # H2, 0-based
    with zipfile.ZipFile(path) as archive:
        xml = archive.read("xl/charts/chart1.xml").decode("utf-8")
        drawing_rels = archive.read("xl/worksheets/_rels/sheet2.xml.rels").decode("utf-8")
    assert "'Summary of answers'!$C$3:$C$10" in xml and "Judgements: % yes" in xml
    assert "% yes" in xml and 'formatCode="0%"' in xml
    assert "drawing" in drawing_rels


def test_progress_is_reported_as_rows_are_written_across_sheets(tmp_path):
    reported = []
    write_workbook(tmp_path / "p.xlsx", [cases_sheet(1234), one_column(range(300))],
                   progress=reported.append)
    assert reported == [500, 1000, 1500, 1534]


def test_rows_are_taken_from_the_iterator_as_they_are_written(tmp_path):
    pulled = 0

    def rows():
        nonlocal pulled
        for row in sample_rows(3000):
            pulled += 1
            yield row

    seen = []
    write_workbook(tmp_path / "s.xlsx", [cases_sheet(rows=rows())],
                   progress=lambda n: seen.append((n, pulled)))
    # never more than the few rows read ahead to size the columns
    assert all(taken - written <= 50 for written, taken in seen)
    assert seen[-1] == (3000, 3000)


def test_result_names_the_file_with_its_size_and_sha256(tmp_path):
    written = write_workbook(tmp_path / "sample", [cases_sheet()])
    assert isinstance(written, WrittenWorkbook)
    assert written.path == tmp_path / "sample.xlsx" and written.path.exists()
    data = written.path.read_bytes()
    assert written.bytes == len(data)
    assert written.sha256 == hashlib.sha256(data).hexdigest()
    assert leftovers(tmp_path) == ["sample.xlsx"]


def test_an_existing_workbook_is_replaced_whole(tmp_path):
    target = tmp_path / "sample.xlsx"
    write_workbook(target, [cases_sheet(2)])
    written = write_workbook(target, [cases_sheet(7)])
    assert written.rows == {"Cases": 7} and load_workbook(target)["Cases"].max_row == 9
    assert leftovers(tmp_path) == ["sample.xlsx"]


def test_descriptions_that_cannot_be_a_workbook_are_refused_before_writing(tmp_path):
    target = tmp_path / "bad.xlsx"
    bad = [
        [cases_sheet(title="x" * 32)],
        *([cases_sheet(title=f"A{char}B")] for char in "[]:*?/\\"),
        [cases_sheet(title="")],
        [cases_sheet(), cases_sheet(title="CASES")],
        [Sheet("S", (Column("a", kind="money"),), [])],
        [Sheet("S", (), [])],
        [],
    ]
    for sheets in bad:
        with pytest.raises(ValueError):
            write_workbook(target, sheets)
    with pytest.raises(ValueError):
        write_workbook(target, [cases_sheet()], [BarChart("Nowhere", "t", 1, 2, 2, 3, "H2")])
    assert list(tmp_path.iterdir()) == []
    write_workbook(target, [cases_sheet(title="x" * 31)])


# --- whole or not at all ----------------------------------------------------------------------


@pytest.fixture
def existing(tmp_path) -> Path:
    """A workbook already saved where the next export will go."""
    target = tmp_path / "sample.xlsx"
    write_workbook(target, [one_column(["earlier export"])])
    return target


def openpyxl_buffers_left(before: set[str]) -> list[str]:
    return [p for p in openpyxl_sheet_writer.ALL_TEMP_FILES
            if p not in before and os.path.exists(p)]


# The export below asks 19 times: before each sheet, every 100 rows (10 + 5), before the
# workbook is saved and once more before it is moved into place.
@pytest.mark.parametrize("after_checks", [0, 1, 7, 11, 16, 17, 18])
def test_cancelling_leaves_the_target_untouched_and_nothing_behind(existing, after_checks):
    before = existing.read_bytes()
    buffers = set(openpyxl_sheet_writer.ALL_TEMP_FILES)
    checks = 0

    def cancelled():
        nonlocal checks
        checks += 1
        return checks > after_checks

    with pytest.raises(ExportCancelled) as raised:
        write_workbook(existing, [cases_sheet(1000), one_column(range(500))],
                       cancelled=cancelled)
    assert isinstance(raised.value, AppError) and not isinstance(raised.value, UserFacingError)
    assert existing.read_bytes() == before
    assert leftovers(existing.parent) == ["sample.xlsx"]
    assert openpyxl_buffers_left(buffers) == []


def test_a_failing_row_source_leaves_the_target_untouched(existing):
    before = existing.read_bytes()

    def rows():
        yield from sample_rows(700)
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError, match="went away"):
        write_workbook(existing, [cases_sheet(rows=rows())])
    assert existing.read_bytes() == before
    assert leftovers(existing.parent) == ["sample.xlsx"]


def test_missing_folder(tmp_path):
    target = tmp_path / "not here" / "sample.xlsx"
    with pytest.raises(ExportError) as raised:
        write_workbook(target, [cases_sheet()])
    assert str(target) in raised.value.message and "does not exist" in raised.value.problem
    assert "folder" in raised.value.advice
    assert list(tmp_path.iterdir()) == []


def test_read_only_target_file(existing):
    before = existing.read_bytes()
    existing.chmod(0o444)
    try:
        with pytest.raises(ExportError) as raised:
            write_workbook(existing, [cases_sheet()])
    finally:
        existing.chmod(0o644)
    assert str(existing) in raised.value.problem and "read-only" in raised.value.problem
    assert "another file name" in raised.value.advice
    assert existing.read_bytes() == before
    assert leftovers(existing.parent) == ["sample.xlsx"]


def test_target_open_in_excel(existing):
    before = existing.read_bytes()
    owner = existing.with_name("~$sample.xlsx")
    owner.write_bytes(b"inspector.one")
    with pytest.raises(ExportError) as raised:
        write_workbook(existing, [cases_sheet()])
    assert str(existing) in raised.value.problem and "open in Excel" in raised.value.problem
    assert "Close sample.xlsx in Excel" in raised.value.advice
    assert existing.read_bytes() == before
    assert leftovers(existing.parent, keep=owner) == ["sample.xlsx"]


def test_target_locked_by_another_program_when_moving_into_place(existing, monkeypatch):
    before = existing.read_bytes()

    def locked(source, target):
        raise PermissionError(13, "The process cannot access the file", str(target))

    monkeypatch.setattr(os, "replace", locked)
    with pytest.raises(ExportError) as raised:
        write_workbook(existing, [cases_sheet()])
    monkeypatch.undo()
    assert "open in another program" in raised.value.problem
    assert str(existing) in raised.value.problem and "Close sample.xlsx" in raised.value.advice
    assert existing.read_bytes() == before
    assert leftovers(existing.parent) == ["sample.xlsx"]


READ_ONLY_FOLDER_EXPORT = """
import json, sys
from pathlib import Path
from app.io.excel_workbook import Column, ExportError, Sheet, write_workbook
try:
    write_workbook(Path(sys.argv[1]), [Sheet("Cases", (Column("a"),), [("X1",)])])
except ExportError as exc:
    print(json.dumps(exc.as_dict()))
else:
    print(json.dumps({"error": None}))
"""


def test_read_only_folder(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    target = folder / "sample.xlsx"
    write_workbook(target, [one_column(["earlier export"])])
    before = target.read_bytes()
    folder.chmod(0o555)
    try:
        result = subprocess.run(
            [*UNPRIVILEGED, sys.executable, "-c", READ_ONLY_FOLDER_EXPORT, str(target)],
            capture_output=True, text=True, cwd=ROOT, timeout=120)
    finally:
        folder.chmod(0o755)
    assert result.returncode == 0, result.stderr
    error = json.loads(result.stdout)
    assert error["error"] == "ExportError"
    assert str(target) in error["problem"] and "cannot save files in" in error["problem"]
    assert "Choose another folder" in error["advice"]
    assert target.read_bytes() == before
    assert leftovers(folder) == ["sample.xlsx"]
