"""Case lists as real files: Excel workbooks and CSV files written into a temporary folder."""

from __future__ import annotations

import codecs
import datetime as dt
import json
import sys
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from app.config import ENV_CASE_LIST_NAMES, case_list_names_file
from app.core.profile import DISABILITY, ETHNICITY, MAPPA, PROVIDER, SENTENCE_TYPE
from app.errors import ValidationError
from app.io import case_lists
from app.io.case_lists import CaseListError, check_case_list
from app.io.case_template import CASES_SHEET, TemplateError, write_case_template
from tests.integration.case_list_builders import (
    HEADERS,
    ROWS,
    binary_file,
    csv_file,
    doctored_xlsx,
    not_a_zip,
    patched_xlsx,
    sheet_xml_workbook,
    simple_xlsx,
    with_cached_values,
    xlsx,
)

TODAY = dt.date(2026, 6, 1)


def problem_of(path: Path) -> CaseListError:
    with pytest.raises(CaseListError) as info:
        check_case_list(path)[0]
    assert path.name in info.value.problem
    assert info.value.advice
    return info.value


def checked(path: Path):
    return check_case_list(path, today=TODAY)


# ---------------------------------------------------------------------------------------
# Files that are not case lists


@pytest.mark.parametrize("name, advice", [
    ("cases.txt", "Export the case list"), ("cases.pdf", "Export the case list"),
    ("cases.xls", "save it as an Excel workbook (.xlsx)"), ("cases", "Export the case list")])
def test_not_a_spreadsheet(tmp_path, name, advice):
    path = tmp_path / name
    path.write_text("CRN\nX1\n")
    error = problem_of(path)
    assert "must be an Excel workbook (.xlsx or .xlsm) or a CSV file" in error.problem
    assert advice in error.advice


def test_xlsx_that_is_not_a_zip(tmp_path):
    error = problem_of(not_a_zip(tmp_path / "cases.xlsx"))
    assert "is not an Excel workbook, although its name ends in .xlsx" in error.problem


def test_password_protected_or_old_excel_file(tmp_path):
    path = tmp_path / "cases.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512))
    assert "password-protected" in problem_of(path).problem


def test_zip_that_is_not_a_workbook(tmp_path):
    path = tmp_path / "cases.xlsm"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert "is not an Excel workbook, although its name ends in .xlsm" in problem_of(
        path).problem


@pytest.mark.parametrize(("zeros", "says", "why"), [
    (0, 2**31, "says it unpacks to 2,048 MB"),
    (0, 200 * 1024 * 1024, "compressed"),
    (32 * 1024 * 1024, 10 * 1024, "unpacks to more than it says"),
])
def test_a_workbook_that_would_unpack_to_more_than_a_case_list_is_refused_unread(
        tmp_path, zeros, says, why):
    """A small file that unpacks to gigabytes (a zip bomb) is looked over first and refused,
    whatever its directory says, without ever being unpacked whole."""
    import tracemalloc

    path = doctored_xlsx(tmp_path / "cases.xlsx", zeros=zeros, says=says)
    tracemalloc.start()
    try:
        error = problem_of(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert why in error.problem and "is not read" in error.problem
    assert "copy the case list alone into a new workbook" in error.advice
    assert peak < 32 * 1024 * 1024


def test_a_workbook_is_unpacked_to_be_looked_over_exactly_as_its_directory_says(tmp_path):
    from app.io.zip_guard import check_unpacking

    path = xlsx(tmp_path / "cases.xlsx", ("Cases", [HEADERS, *ROWS * 5000], "visible"))
    with zipfile.ZipFile(path) as archive:
        said = sum(part.file_size for part in archive.infolist())
    looked = check_unpacking(path, most=case_lists.MAX_UNPACKED_BYTES,
                             most_ratio=case_lists.MAX_COMPRESSION)
    assert looked.unpacked == said > 1024 * 1024
    assert 1 < looked.ratio < case_lists.MAX_COMPRESSION


def test_a_damaged_part_is_reported_as_damage(tmp_path):
    path = simple_xlsx(tmp_path / "cases.xlsx")
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        part = archive.getinfo("xl/worksheets/sheet1.xml")
    start = part.header_offset + 30 + len(part.filename) + len(part.extra)
    data[start:start + part.compress_size] = bytes([0xFF]) * part.compress_size
    path.write_bytes(bytes(data))
    assert "looks damaged" in problem_of(path).problem


def far_workbook(path: Path, *far: str, hidden_far: bool = False) -> Path:
    """The simple case list with a value typed at each of the cells ``far`` (in a hidden
    sheet of its own if ``hidden_far``)."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Cases"
    for row in [HEADERS, *ROWS]:
        sheet.append(row)
    stray = workbook.create_sheet("Old") if hidden_far else sheet
    if hidden_far:
        stray.sheet_state = "hidden"
    for cell in far:
        stray[cell] = " "
    workbook.save(path)
    return path


@pytest.mark.parametrize(("far", "reach"), [
    (("ZZ200000",), "row 200,000 and column ZZ"), (("XFD3",), "column XFD"),
    (("A900000",), "row 900,000"), (("CZ5", "A150000"), "row 150,000 and column CZ")])
def test_a_sheet_stretched_by_a_value_far_off_is_refused_before_it_is_read(
        tmp_path, far, reach):
    """One value typed far below or to the right of the list (even a space) stretches the
    grid the reader would hold to gigabytes: the sheet is measured first and refused."""
    error = problem_of(far_workbook(tmp_path / "cases.xlsx", *far))
    assert f"Sheet 'Cases' of cases.xlsx has cells as far as {reach}" in error.problem
    assert "delete them" in error.advice


def test_a_hidden_sheet_stretched_far_off_does_not_stop_the_list_being_read(tmp_path):
    table, result = checked(far_workbook(tmp_path / "cases.xlsx", "ZZ200000", hidden_far=True))
    assert table.sheet == "Cases" and len(result.cases) == len(ROWS)


def test_a_wide_list_is_measured_closely_and_read(tmp_path):
    headers = [*HEADERS, *(f"Extra {n}" for n in range(60))]  # to column BR
    rows = [[*row, *range(60)] for row in ROWS * 200]
    rows = [[f"X{n}", *row[1:]] for n, row in enumerate(rows)]
    table, result = checked(xlsx(tmp_path / "cases.xlsx", ("Cases", [headers, *rows],
                                                           "visible")))
    assert len(table.headers) == 65 and len(result.cases) == 400


@pytest.mark.parametrize("sheet_data, root_extra", [
    ('<row r="1"><c t="inlineStr"><is><t>CRN</t></is></c></row>'
     '<row r="2"><c t="inlineStr"><is><t>X1</t></is></c></row>', ""),
    ('<row r="1"><c t="inlineStr" r="A1"><is><t>CRN</t></is></c></row>', ""),
    ('<row r="1"><c\tr="A1" t="inlineStr"><is><t>CRN</t></is></c></row>', ""),
    ('<x:row r="1"><x:c r="XFD99999" t="inlineStr"><x:is><x:t>CRN</x:t></x:is></x:c>'
     '</x:row>', ' xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'),
])
def test_cells_that_do_not_say_where_they_stand_as_excel_writes_them_are_refused(
        tmp_path, sheet_data, root_extra):
    path = sheet_xml_workbook(tmp_path / "cases.xlsx", sheet_data, root_extra)
    error = problem_of(path)
    assert "holds cells that do not say where they stand" in error.problem
    assert "save it again as an Excel workbook" in error.advice


def test_a_file_that_stops_the_reader_is_refused_and_the_app_goes_on(tmp_path):
    """The reader (Rust) ends its whole process when a file makes it ask for terabytes:
    it reads in a process of its own, so the app only says the file cannot be read."""
    cells = ('<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
             '<row r="2"><c r="A2" t="inlineStr"><is><t>X1</t></is></c></row>')
    crafted = sheet_xml_workbook(tmp_path / "crafted.xlsx", cells, shared_strings=(
        'count="1" uniqueCount="1000000000000"><si><t>CRN</t></si>'))
    error = problem_of(crafted)
    assert "cannot be read as a case list: it stopped the reader" in error.problem
    sound = sheet_xml_workbook(tmp_path / "cases.xlsx", cells, shared_strings=(
        'count="1" uniqueCount="1"><si><t>CRN</t></si>'))
    assert [c.reference for c in checked(sound)[1].cases] == ["X1"]  # read as ever


def test_a_panic_in_the_reader_is_a_file_that_cannot_be_read(tmp_path):
    crafted = patched_xlsx(tmp_path / "cases.xlsx",
                           [HEADERS, ["X1", "M", dt.datetime(1990, 1, 31)]],
                           "xl/worksheets/sheet1.xml", b"<v>32904</v>", b"<v>-1e300</v>")
    error = problem_of(crafted)
    assert "cannot be read as a case list: it could not be read (PanicException" \
        in error.problem


@pytest.mark.skipif(sys.platform == "win32", reason="the reader's memory is limited on Linux "
                    "and macOS only")
def test_the_reader_stops_at_its_memory_limit(tmp_path):
    """One long shared text used by every cell is copied into each: the reader runs out
    of the memory it may use, and says so, rather than taking the laptop's."""
    from app.io.sheet_reader import ReaderFailed, SheetReader

    cells = "".join(f'<row r="{n}"><c r="A{n}" t="s"><v>0</v></c></row>'
                    for n in range(1, 601))
    path = sheet_xml_workbook(tmp_path / "cases.xlsx", cells, shared_strings=(
        f'count="600" uniqueCount="1"><si><t>{"x" * 1024 * 1024}</t></si>'))
    with SheetReader(path, memory=400 * 1024 * 1024) as reader, \
            pytest.raises(ReaderFailed):
        list(reader.rows("Cases", 1))
    with SheetReader(path, memory=2 * 1024**3) as reader:  # within more, it is read
        assert sum(1 for _ in reader.rows("Cases", 1)) == 600


def test_workbook_named_csv(tmp_path):
    path = simple_xlsx(tmp_path / "cases.xlsx").rename(tmp_path / "cases.csv")
    assert "is an Excel workbook, although its name ends in .csv" in problem_of(path).problem


def test_binary_csv(tmp_path):
    assert "is not a text (CSV) file" in problem_of(binary_file(tmp_path / "c.csv")).problem


@pytest.mark.parametrize("encoding, delimiter", [("utf-16", ","), ("utf-16-le", "\t"),
                                                 ("utf-16-be", ";")])
def test_utf16_csv_as_excel_saves_unicode_text(tmp_path, encoding, delimiter):
    rows = [["CRN", "Offender manager", "Notes"], ["X1", "Siân Ŵyn", "山田"], ["X2", "Zoë", ""]]
    path = tmp_path / "cases.csv"
    bom = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE}.get(encoding, b"")
    text = "\r\n".join(delimiter.join(row) for row in rows) + "\r\n"
    path.write_bytes(bom + text.encode(encoding))
    _, result = checked(path)
    assert [(c.reference, c.profile.responsible_officer, c.notes) for c in result.cases] == [
        ("X1", "Siân Ŵyn", "山田"), ("X2", "Zoë", "")]


def test_utf16_csv_cut_mid_character(tmp_path):
    path = tmp_path / "cases.csv"
    path.write_bytes(codecs.BOM_UTF16_LE + "CRN\r\nX1\r\n".encode("utf-16-le") + b"\x00")
    error = problem_of(path)
    assert "does not read as UTF-16 throughout" in error.problem


@pytest.mark.parametrize("encoding, names", [
    ("shift_jis", ["山田", "田中", "鈴木"]), ("koi8_r", ["Иван Петров", "Сергей"]),
    ("cp1251", ["Иван Петров", "Сергей"]), ("gb2312", ["王小明", "李华"]),
    ("big5", ["王小明", "陳大文"]), ("iso-8859-2", ["Łukasz Wałęsa", "Paweł Żółć"]),
    ("iso-8859-7", ["Νίκος Παπαδόπουλος"])])
def test_a_csv_in_another_encoding_is_refused_not_stored_garbled(tmp_path, encoding, names):
    path = csv_file(tmp_path / "cases.csv",
                    [["CRN", "Offender manager"], *([f"X{n}", name] for n, name in
                                                    enumerate(names, start=1))],
                    encoding=encoding)
    path.read_bytes().decode("cp1252", errors="strict")  # it would read, garbled
    error = problem_of(path)
    assert "is in an encoding ASPIRE Casework does not read" in error.problem
    assert "line 2" in error.problem
    assert "UTF-8 (with or without a byte order mark), UTF-16 and Windows-1252" in error.problem
    assert "CSV UTF-8" in error.advice


def test_a_csv_with_bytes_no_encoding_read_has(tmp_path):
    path = tmp_path / "cases.csv"
    path.write_bytes(b"CRN,Offender manager\r\nX1," + "佐藤".encode("shift_jis"))
    assert "holds bytes that none of them has" in problem_of(path).problem


def test_missing_file(tmp_path):
    assert "cannot be read" in problem_of(tmp_path / "gone.xlsx").problem


def test_too_large(tmp_path, monkeypatch):
    path = simple_xlsx(tmp_path / "cases.xlsx")
    monkeypatch.setattr(case_lists, "MAX_FILE_BYTES", path.stat().st_size - 1)
    assert "a case list may be at most" in problem_of(path).problem
    monkeypatch.setattr(case_lists, "MAX_FILE_BYTES", path.stat().st_size)
    assert check_case_list(path)[0].sheet == "Cases"


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_too_many_rows(tmp_path, monkeypatch, suffix):
    rows = [HEADERS, *([f"X{n}", "M"] for n in range(5)), [None], [None]]
    path = (simple_xlsx(tmp_path / "c.xlsx", rows[1:]) if suffix == ".xlsx"
            else csv_file(tmp_path / "c.csv", rows))
    monkeypatch.setattr(case_lists, "MAX_ROWS", 5)
    assert len(checked(path)[1].cases) == 5
    monkeypatch.setattr(case_lists, "MAX_ROWS", 4)
    with pytest.raises(CaseListError, match="more than 4 rows"):
        checked(path)


# ---------------------------------------------------------------------------------------
# Finding the header


def test_no_sheet_with_the_headers(tmp_path):
    path = xlsx(tmp_path / "cases.xlsx",
                ("Summary", [["Northshire case list"], ["Total", 2]], "visible"),
                ("Empty", [], "visible"),
                ("Secret", [["CRN"], ["X1"]], "hidden"))
    error = problem_of(path)
    assert "no row of column headings that includes the case reference" in error.problem
    assert error.details[0] == "Looked at: Summary, Empty."
    assert error.details[1] == "Hidden sheets are not read: Secret."
    assert "Case reference, Provider, Sentence or disposal" in error.details[2]
    assert "CRN" in error.details[3]


def test_hidden_sheets_are_ignored_and_the_first_visible_sheet_with_headers_is_used(tmp_path):
    path = xlsx(tmp_path / "cases.xlsx",
                ("Old list", [["CRN", "Sex"], ["OLD1", "M"]], "hidden"),
                ("Read me", [["About this list"], ["Exported from the case system"]], "visible"),
                ("Archive", [["CRN"], ["OLD2"]], "veryHidden"),
                ("Cases", [["CRN", "Sex"], ["X1", "F"]], "visible"),
                ("More cases", [["CRN", "Sex"], ["X9", "M"]], "visible"))
    table, result = checked(path)
    assert table.sheet == "Cases"
    assert [c.reference for c in result.cases] == ["X1"]


def test_header_below_blank_rows_and_rows_numbered_as_excel_shows(tmp_path):
    path = xlsx(tmp_path / "cases.xlsx", ("Cases", [
        [None], [None, None], ["CRN", "Sex", None, None], ["X1", "M"], [None], [],
        ["  ", None], ["X2", "F"], [None, "Q"]], "visible"))
    table, result = checked(path)
    assert (table.header_row, table.headers) == (3, ("CRN", "Sex"))
    assert [(c.row, c.reference) for c in result.cases] == [(4, "X1"), (8, "X2")]
    assert [(p.row, p.column) for p in result.problems] == [(9, "CRN"), (9, "Sex")]
    assert (result.rows_read, result.blank_rows) == (6, 3)


def test_a_list_laid_out_further_right_and_lower_is_read_where_it_stands(tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Cases"
    for column, heading in enumerate(HEADERS, start=3):
        sheet.cell(row=4, column=column, value=heading)
    for number, row in enumerate(ROWS, start=5):
        for column, value in enumerate(row, start=3):
            sheet.cell(row=number, column=column, value=value)
    sheet.cell(row=7, column=3, value="X3")
    sheet.cell(row=7, column=5, value="next year")  # the date of birth, in column E
    workbook.create_chartsheet("Chart", 0)  # before it: a chart, which holds no rows
    path = tmp_path / "cases.xlsx"
    workbook.save(path)
    table, result = checked(path)
    assert (table.sheet, table.header_row) == ("Cases", 4)
    assert table.headers == ("", "", *HEADERS)  # columns A and B, empty, as Excel shows them
    assert [c.reference for c in result.cases] == ["X1", "X2"]  # X3 has a problem
    [problem] = result.problems
    assert (problem.row, problem.column) == (7, HEADERS[2])
    assert [number for number, _ in table.rows()] == [5, 6, 7]


def test_a_cell_showing_an_excel_error_is_read_as_empty(tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADERS)
    sheet.append(["X1", "#N/A", "#VALUE!", "H", "first"])
    assert sheet["B2"].data_type == "e"
    path = tmp_path / "cases.xlsx"
    workbook.save(path)
    [case] = checked(path)[1].cases
    assert (case.reference, case.profile.gender, case.profile.date_of_birth) == (
        "X1", None, None)


def test_an_empty_sheet_is_looked_at_and_passed_over(tmp_path):
    path = xlsx(tmp_path / "cases.xlsx", ("Notes", [], "visible"),
                ("Cases", [HEADERS, *ROWS], "visible"))
    table, result = checked(path)
    assert table.sheet == "Cases" and len(result.cases) == len(ROWS)
    error = problem_of(xlsx(tmp_path / "empty.xlsx", ("Notes", [], "visible")))
    assert "Looked at: Notes." in error.details


def test_header_must_be_within_the_first_rows(tmp_path):
    path = xlsx(tmp_path / "cases.xlsx",
                ("Cases", [*([None] for _ in range(20)), ["CRN"], ["X1"]], "visible"))
    assert "within the first 20 rows" in problem_of(path).advice


def test_title_above_the_header_is_not_a_header(tmp_path):
    path = xlsx(tmp_path / "cases.xlsx",
                ("Cases", [["Northshire cases"], ["CRN"], ["X1"]], "visible"))
    assert problem_of(path).details[0] == "Looked at: Cases."


def test_trailing_empty_columns_are_dropped(tmp_path):
    path = xlsx(tmp_path / "cases.xlsx", ("Cases", [
        ["CRN", "Team", None, "", "  "], ["X1", "North", None, None, None, "stray"]],
        "visible"))
    table, result = checked(path)
    assert table.headers == ("CRN", "Team")
    assert [cells for _, cells in table.rows()] == [("X1", "North")]
    assert [c.header for c in result.columns] == ["CRN", "Team"]


def test_repeated_columns_are_refused_with_the_file_named(tmp_path):
    path = xlsx(tmp_path / "cases.xlsx", ("Cases", [["CRN", "Sex", "Gender"]], "visible"))
    with pytest.raises(CaseListError) as info:
        checked(path)
    assert "sheet 'Cases' of cases.xlsx" in info.value.problem
    assert info.value.details == ["2 columns hold the gender: 'Sex', 'Gender'."]


def test_rows_can_be_read_again(tmp_path):
    table = check_case_list(simple_xlsx(tmp_path / "cases.xlsx"))[0]
    first = list(table.rows())
    assert first == list(table.rows())
    assert first == [(2, ("X1", "M", "31/01/1990", "H", "first")),
                     (3, ("X2", "F", "02/03/1985", "low", ""))]  # empty, as in a CSV file


# ---------------------------------------------------------------------------------------
# Cell values


def test_formulas_are_read_as_their_calculated_values(tmp_path):
    path = xlsx(tmp_path / "cases.xlsx", ("Cases", [
        ["CRN", "Sex", "MAPPA", "DOB", "Notes"],
        ['="X"&100', '=IF(TRUE,"F","M")', "=1+1", "=DATE(1990,1,31)", "=A2"],
        ["X2", "M", None, None, "=NOW()"],
    ], "visible"))
    workbook = load_workbook(path)
    workbook["Cases"]["D2"].number_format = "DD/MM/YYYY"
    workbook.save(path)
    with_cached_values(path, {"A2": ("str", "X100"), "B2": ("str", "F"), "C2": ("n", "2"),
                              "D2": ("n", "32904"), "E2": ("str", "X100")})
    _, result = checked(path)
    assert result.ok, result.problems
    first, second = result.cases
    assert (first.reference, first.profile.gender, first.profile.mappa,
            first.profile.date_of_birth, first.notes) == (
        "X100", "female", "level_2", dt.date(1990, 1, 31), "X100")
    assert second.notes == ""  # a formula saved without a calculated value reads as blank


def test_a_date_serial_number_without_a_date_format_is_reported(tmp_path):
    path = xlsx(tmp_path / "cases.xlsx", ("Cases", [["CRN", "DOB"], ["X1", "=A1"]], "visible"))
    with_cached_values(path, {"B2": ("n", "32904")})
    _, result = checked(path)
    assert [(p.row, p.column, p.value) for p in result.problems] == [(2, "DOB", "32904")]


def test_dates_as_excel_date_cells(tmp_path):
    path = xlsx(tmp_path / "cases.xlsx", ("Cases", [
        ["CRN", "Date of birth"], ["X1", dt.date(1990, 1, 31)],
        ["X2", dt.datetime(1985, 3, 2, 0, 0)], ["X3", "04/07/2001"], ["X4", dt.date(2030, 1, 1)],
    ], "visible"))
    _, result = checked(path)
    assert [c.profile.date_of_birth for c in result.cases] == [
        dt.date(1990, 1, 31), dt.date(1985, 3, 2), dt.date(2001, 7, 4)]
    assert [(p.row, p.value) for p in result.problems] == [(5, "01/01/2030")]


def test_csv_in_windows_1252_with_accented_names(tmp_path):
    notes = ("Fine paid £50 – see file; “agreed” • O’Neill met Siân, Gwenllïan, Šimon Kožár, "
             "Þór Ångström and Müller-Lüdenscheidt at 10°C (½ day) — déjà vu… ©2026")
    path = csv_file(tmp_path / "cases.csv", [
        ["CRN", "Offender manager", "Notes"], ["X1", "Zoë Brontë", notes],
        ["X2", "Renée Ó Súilleabháin", "Œuvre, naïve façade, Ærø"]],
        encoding="cp1252")
    assert "ë".encode("cp1252") in path.read_bytes()
    _, result = checked(path)
    case, other = result.cases
    assert case.profile.responsible_officer == "Zoë Brontë"
    assert case.notes == notes
    assert other.profile.responsible_officer == "Renée Ó Súilleabháin"


def test_csv_with_a_byte_order_mark(tmp_path):
    path = csv_file(tmp_path / "cases.csv", [HEADERS, *ROWS], encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    table, result = checked(path)
    assert table.sheet is None and table.headers[0] == "CRN"
    assert [c.reference for c in result.cases] == ["X1", "X2"]
    assert result.cases[0].profile.date_of_birth == dt.date(1990, 1, 31)


def test_csv_with_semicolons_blank_lines_and_quoted_line_breaks(tmp_path):
    path = csv_file(tmp_path / "cases.csv", [
        [], ["CRN", "Sex", "Notes"], ["X1", "M", "two\nlines; and a semicolon"], [],
        ["", "", ""], ["X2", "F", ""]], delimiter=";")
    table, result = checked(path)
    assert table.header_row == 2
    assert [(c.row, c.reference, c.notes) for c in result.cases] == [
        (3, "X1", "two\nlines; and a semicolon"), (6, "X2", "")]
    assert result.blank_rows == 2


def test_problems_name_the_row_and_the_column_as_headed(tmp_path):
    path = simple_xlsx(tmp_path / "cases.xlsx", [
        ["X1", "M", "31/01/1990", "H"], ["X1", "Q", "01/31/1990", "H"], [None, "F"]])
    _, result = checked(path)
    assert [(p.row, p.column, p.value) for p in result.problems] == [
        (3, "CRN", "X1"), (3, "Sex", "Q"), (3, "DOB", "01/31/1990"), (4, "CRN", "")]
    assert "row 2" in result.problems[0].expected


# ---------------------------------------------------------------------------------------
# The template


def fill_template(path: Path, rows: list[dict[str, object]]) -> None:
    workbook = load_workbook(path)
    cases = workbook[CASES_SHEET]
    headers = [c.value for c in cases[1]]
    for row in rows:
        cases.append([row.get(h) for h in headers])
    workbook.save(path)


def test_template_round_trip_with_every_drop_down_label(tmp_path):
    path = write_case_template(tmp_path / "case-list.xlsx")
    workbook = load_workbook(path)
    assert workbook.sheetnames == ["Cases", "Guidance", "Lists"]
    assert workbook["Lists"].sheet_state == "hidden"
    lists = {col[0].value: [c.value for c in col[1:] if c.value]
             for col in workbook["Lists"].iter_cols()}
    assert lists["Ethnicity"] == [c.label for c in ETHNICITY.choices]
    longest = max(len(values) for values in lists.values())
    rows = [{"Case reference": f"T{n:03}",
             **{label: values[n % len(values)] for label, values in lists.items()},
             "Date of birth": dt.date(1980, 1, 1) + dt.timedelta(days=n),
             "Responsible officer": "Sam Jones", "Notes": f"Case {n}"} for n in range(longest)]
    fill_template(path, rows)
    table, result = checked(path)
    assert table.sheet == "Cases" and result.ok, result.problems
    assert len(result.cases) == longest
    assert {c.profile.ethnicity for c in result.cases} == set(ETHNICITY.codes())
    assert {c.profile.disability for c in result.cases} == set(DISABILITY.codes())
    assert {c.profile.mappa for c in result.cases} == set(MAPPA.codes())
    assert {c.profile.sentence_type for c in result.cases} == set(SENTENCE_TYPE.codes())
    assert {c.profile.provider for c in result.cases} == set(PROVIDER.codes())
    assert result.cases[0].profile.date_of_birth == dt.date(1980, 1, 1)


def test_template_layout(tmp_path):
    path = write_case_template(tmp_path / "case-list", "adult_probation")
    assert path.name == "case-list.xlsx"
    workbook = load_workbook(path)
    cases = workbook["Cases"]
    assert cases.freeze_panes == "A2"
    assert cases["A1"].value == "Case reference"
    assert cases.column_dimensions["G"].number_format == "DD/MM/YYYY"
    validations = {str(v.sqref): v for v in cases.data_validations.dataValidation}
    assert validations["C2:C200001"].type == "list"
    assert validations["C2:C200001"].formula1.startswith("'Lists'!$B$2")
    assert validations["G2:G200001"].type == "date"
    assert all(v.type in ("list", "date", "textLength") for v in validations.values())
    sentences = [c.value for c in workbook["Lists"]["B"][1:] if c.value]
    assert "Community order" in sentences and "Referral order" not in sentences
    guidance = " ".join(str(c.value) for row in workbook["Guidance"].iter_rows() for c in row
                        if c.value)
    for words in ("must be unique", "'Not recorded' and 'Prefer not to say' are different",
                  "31/01/1990", "1990-01-31", "Risk of serious harm"):
        assert words in guidance


def test_template_replaces_an_existing_file_and_leaves_nothing_behind(tmp_path):
    target = tmp_path / "case-list.xlsx"
    target.write_text("old")
    write_case_template(target)
    assert zipfile.is_zipfile(target)
    assert [p.name for p in tmp_path.iterdir()] == ["case-list.xlsx"]


@pytest.mark.parametrize("where", ["missing/case-list.xlsx", "folder.xlsx"])
def test_template_that_cannot_be_written(tmp_path, where):
    (tmp_path / "folder.xlsx").mkdir()
    (tmp_path / "folder.xlsx" / "inside.txt").write_text("keep")
    with pytest.raises(TemplateError) as info:
        write_case_template(tmp_path / where)
    assert "cannot be saved" in info.value.problem and info.value.advice
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder.xlsx"]


# ---------------------------------------------------------------------------------------
# The other names of columns and values: a file the inspectorate may extend


def test_an_inspectorates_own_names_are_read_where_the_administrator_points(tmp_path,
                                                                           monkeypatch):
    shipped = json.loads(case_list_names_file().read_text(encoding="utf-8"))
    shipped["headings"]["reference"].append("Offender ID")
    shipped["values"]["gender"]["female"].append("Fem")
    own = tmp_path / "our-names.json"
    own.write_text(json.dumps(shipped), encoding="utf-8")
    path = csv_file(tmp_path / "list.csv", [["Offender ID", "Sex"], ["X1", "Fem"]])
    with pytest.raises(CaseListError, match="no row of column headings"):
        check_case_list(path)  # the shipped names know neither
    monkeypatch.setenv(ENV_CASE_LIST_NAMES, str(own))
    _table, result = check_case_list(path)
    assert [(c.reference, c.profile.gender) for c in result.cases] == [("X1", "female")]


@pytest.mark.parametrize(("change", "named"), [
    (lambda d: d["headings"].update(team=["Team"]), "headings: 'team' is not a column"),
    (lambda d: d["headings"].update(reference="CRN"), "headings.reference: not a list"),
    (lambda d: d["values"]["gender"].update(unknown=["U"]),
     "values.gender: 'unknown' is not one of its codes"),
    (lambda d: d["values"].update(colour={"red": ["R"]}), "values: 'colour' is not a coded"),
    (lambda d: d["values"]["gender"]["female"].append("M"),
     "The gender value 'M' would mean both male and female"),
    (lambda d: d["headings"]["notes"].append("DOB"),
     "Heading 'DOB' would mean both date_of_birth and notes"),
    (lambda d: d["ethnic_group_names"]["groups"].update(Martian=["M"]),
     "'Martian' is not an ethnic group"),
])
def test_a_names_file_that_cannot_be_used_is_refused_naming_each_problem(tmp_path, change,
                                                                        named):
    data = json.loads(case_list_names_file().read_text(encoding="utf-8"))
    change(data)
    data["headings"]["mappa"] = {"not": "a list"}  # and a second problem, named too
    path = tmp_path / "names.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        case_lists.case_list_names(path)
    assert "names.json" in info.value.problem and info.value.advice
    assert any(named in line for line in info.value.details), info.value.details
    assert "headings.mappa: not a list of names" in info.value.details


def test_a_names_file_missing_or_not_json_is_a_clear_error(tmp_path):
    with pytest.raises(ValidationError, match="are missing"):
        case_lists.case_list_names(tmp_path / "gone.json")
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ValidationError, match=r"bad\.json cannot be read"):
        case_lists.case_list_names(tmp_path / "bad.json")
