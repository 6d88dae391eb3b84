"""Opening a case list received from a provider: an Excel workbook or a CSV file.

The file is found, its header row located and its columns matched here; the rows are
handed on one at a time (a workbook's sheet read by calamine, in Rust, which holds the
sheet's cells compactly; a CSV file read line by line). A workbook is looked over before it
is read (``zip_guard``): one that would unpack to more than a case list could hold is
refused unread, and so is a sheet whose cells reach so far that the grid calamine holds
would not fit in memory (``sheet_extent``). What the cells mean is decided by
``app.core.case_import``.

A workbook's cells are read as Excel last saved them: a formula as its value, a date cell as
a date (a datetime when it has a time of day), a number as a number, and a cell showing an
Excel error (``#N/A``, say) as an empty cell, since it holds no value.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import json
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl.utils import get_column_letter

from app.config import case_list_names_file
from app.core.case_import import (
    CaseListCheck,
    CaseListNames,
    HeaderMapping,
    check_rows,
    describe_mapping_problems,
    map_headers,
    read_case_list_names,
)
from app.core.memory import collector_paused
from app.errors import ValidationError
from app.io.sheet_extent import SheetExtent, is_sheet_part, sheet_parts
from app.io.sheet_reader import ReaderFailed, SheetReader
from app.io.zip_guard import UnpackingRefused, check_unpacking

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_ROWS = 200_000
#: What a workbook's parts may unpack to in all (200,000 rows of twenty columns, written
#: out as Excel writes them, unpack to about 200 MB), and how far one part may be compressed
#: (sheets are compressed about ten to one; a zip bomb, a thousand to one).
MAX_UNPACKED_BYTES = 300 * 1024 * 1024
MAX_COMPRESSION = 100
#: The most cells a sheet's grid may hold, from its first cell to its last (calamine holds
#: the whole grid, about 32 bytes a cell): 100,000 rows of 80 columns, or 200,000 of 40.
MAX_GRID_CELLS = 8_000_000
HEADER_SEARCH_ROWS = 20
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
CSV_SUFFIXES = (".csv",)
CSV_ENCODINGS = ("utf-8-sig", "cp1252")
#: as the encodings read are named to people
ENCODINGS_READ = "UTF-8 (with or without a byte order mark), UTF-16 and Windows-1252"
CSV_DELIMITERS = (",", ";", "\t", "|")

_CHUNK = 1024 * 1024
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls, and password-protected workbooks
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13))
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
#: What text in another encoding becomes when read as Windows-1252, never written in a case
#: list: marks that no name, address or note uses; a quotation mark, bullet, dash, sign or
#: symbol between two letters; a word of three or more accented letters and fewer plain
#: ones. Two in a file and it is not Windows-1252.
_GARBLED = re.compile(r"[‚ƒ„†‡ˆ‰‹›˜¦¤¬¯¸¹³µ¶]"
                      r"|(?<=[^\W\d_])[“”‘•–—™…×÷¡¿«»°±§¨´·¢¥®©¼½¾²](?=[^\W\d_])")
_WORD = re.compile(r"[^\W\d_]+")
_MOST_GARBLED = 2

Rows = Iterator[tuple[int, tuple[object, ...]]]


class CaseListError(ValidationError):
    """A case list file that cannot be used; the message names the file and what to do."""


@dataclass(frozen=True)
class CaseListTable:
    """A case list's header and a way to read its rows.

    ``rows()`` starts again from the top each time it is called and yields each row below
    the header with its number as Excel shows it; it raises ``CaseListError`` if the file
    turns out to be damaged or to hold more than ``MAX_ROWS`` rows.
    """

    path: Path
    sheet: str | None  # None for a CSV file
    header_row: int
    headers: tuple[str, ...]
    mapping: HeaderMapping
    rows: Callable[[], Rows] = field(repr=False, compare=False)


def check_case_list(path: Path, *, today: dt.date | None = None,
                    watch: Callable[[Rows], Rows] | None = None,
                    names: CaseListNames | None = None,
                    ) -> tuple[CaseListTable, CaseListCheck]:
    """Open a case list and read every row: the cases found and every problem, by row.

    A workbook is opened once for both (``table.rows()`` would open it again). ``watch``
    may wrap the rows as they are read, to report progress or stop on request. ``names``:
    the other names of columns and values (``case_list_names()`` unless given).
    """
    path = Path(path)
    watch = watch or (lambda rows: rows)
    names = names or case_list_names()
    if _kind(path) == "csv":
        table = _open_csv(path, names)
        return table, _check(table, watch(table.rows()), today)
    extents = _looked_over(path)
    with SheetReader(path) as reader:
        table = _find_sheet(path, reader, extents, names)
        rows = _sheet_rows(path, reader, table.sheet, table.header_row, len(table.headers))
        with collector_paused():  # tens of thousands of rows, made and read once each
            return table, _check(table, watch(rows), today)


def case_list_names(path: Path | None = None) -> CaseListNames:
    """The other names case lists give columns and coded values, from ``path`` (the file
    ``config.case_list_names_file`` names, unless given)."""
    path = path or case_list_names_file()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValidationError(f"The names for case list columns and values ({path}) are "
                              "missing.", "Reinstall ASPIRE Casework, or ask your IT team "
                              "to put the file back.") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ValidationError(f"The names for case list columns and values in {path.name} "
                              f"cannot be read ({exc}).",
                              "Correct the file (or put back the one the app came with).",
                              ) from None
    return read_case_list_names(data, path.name)


def _check(table: CaseListTable, rows: Rows, today: dt.date | None) -> CaseListCheck:
    if not table.mapping.ok:
        raise CaseListError(
            f"The column headings in {_where(table)} cannot be used.",
            "Give each column one heading, with one column for the case reference, "
            "and load the file again.",
            details=describe_mapping_problems(table.mapping))
    return check_rows(table.mapping, rows, today=today)


# ---------------------------------------------------------------------------------------
# Checks on the file itself


def _kind(path: Path) -> str:
    """"excel" or "csv", once the file's name and size are found acceptable."""
    suffix = path.suffix.lower()
    if suffix not in EXCEL_SUFFIXES + CSV_SUFFIXES:
        advice = ("Open it in Excel and save it as an Excel workbook (.xlsx)."
                  if suffix in (".xls", ".ods", ".numbers") else
                  "Export the case list from the case management system as an Excel "
                  "workbook (.xlsx) or a CSV file (.csv).")
        raise CaseListError(f"{path.name} is not a case list the app can read: it must be an "
                            "Excel workbook (.xlsx or .xlsm) or a CSV file (.csv).", advice)
    _check_size(path)
    return "excel" if suffix in EXCEL_SUFFIXES else "csv"


def _check_size(path: Path) -> None:
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise IsADirectoryError(f"{path} is a folder")
    except OSError as exc:
        raise CaseListError(f"{path.name} cannot be read ({exc.strerror or exc}).",
                            "Check the file exists and that it is not open in another "
                            "program, then try again.") from exc
    if size > MAX_FILE_BYTES:
        raise CaseListError(
            f"{path.name} is {size / 1024 / 1024:.0f} MB; a case list may be at most "
            f"{MAX_FILE_BYTES / 1024 / 1024:.0f} MB.",
            "Remove columns and sheets the inspection does not need, or split the list, "
            "and load it again.")


def _file_head(path: Path, size: int = 8) -> bytes:
    try:
        with path.open("rb") as f:
            return f.read(size)
    except OSError as exc:
        raise CaseListError(f"{path.name} cannot be read ({exc.strerror or exc}).",
                            "Check the file is not open in another program, then try again."
                            ) from exc


def _where(table: CaseListTable) -> str:
    return f"sheet '{table.sheet}' of {table.path.name}" if table.sheet else table.path.name


def _damaged(path: Path, exc: Exception) -> CaseListError:
    error = CaseListError(f"{path.name} cannot be read as a case list: it looks damaged "
                          f"({type(exc).__name__}: {exc}).",
                          "Open it in Excel, save it again as an Excel workbook (.xlsx) or a "
                          "CSV file, and load the saved copy.")
    error.__cause__ = exc
    return error


def _too_many_rows(path: Path) -> CaseListError:
    return CaseListError(f"{path.name} has more than {MAX_ROWS:,} rows of cases.",
                         "Load only the cases for this inspection; split a longer list "
                         "into several files.")


def _no_header(path: Path, looked_at: Sequence[str], hidden: Sequence[str],
               names: CaseListNames) -> CaseListError:
    expected = ", ".join(c.label for c in names.columns)
    reference = next(c for c in names.columns if c.required)
    details = [f"Looked at: {', '.join(looked_at) or 'no visible sheet'}."]
    if hidden:
        details.append(f"Hidden sheets are not read: {', '.join(hidden)}.")
    details.append(f"Columns the app reads: {expected}.")
    if reference.aliases:
        details.append(f"The case reference column may also be headed "
                       f"{', '.join(reference.aliases)}.")
    return CaseListError(
        f"{path.name} has no row of column headings that includes the case reference.",
        f"Put the column headings in the first filled row (within the first "
        f"{HEADER_SEARCH_ROWS} rows), with a column headed 'Case reference' or 'CRN', "
        "and load the file again.", details=details)


def _is_blank_row(cells: Iterable[object]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in cells)


def _header_row(rows: Iterable[tuple[int, Sequence[object]]],
                ) -> tuple[int, tuple[str, ...]] | None:
    """The first non-blank row among the first few, without its trailing empty cells."""
    for number, cells in rows:
        if number > HEADER_SEARCH_ROWS:
            break
        if _is_blank_row(cells):
            continue
        headers = ["" if v is None else str(v).strip() for v in cells]
        while headers and not headers[-1]:
            headers.pop()
        return number, tuple(headers)
    return None


def _limited(path: Path, numbered: Iterable[tuple[int, Sequence[object]]], width: int) -> Rows:
    """Rows cut or padded to the header's width, stopping with an error past ``MAX_ROWS``
    filled rows."""
    filled = 0
    for number, cells in numbered:
        row = tuple(cells[:width])
        if len(row) < width:
            row += (None,) * (width - len(row))
        for value in row:
            if value is not None and value != "":
                filled += 1
                if filled > MAX_ROWS:
                    raise _too_many_rows(path)
                break
        yield number, row


# ---------------------------------------------------------------------------------------
# Excel workbooks


def _looked_over(path: Path) -> dict[str, SheetExtent]:
    """Look the workbook over before anything reads it: a workbook at all, that does not
    unpack to more than a case list could hold; and how far each of its sheets' cells
    reach, by sheet name."""
    head = _file_head(path)
    if head.startswith(_OLE_MAGIC):
        raise CaseListError(
            f"{path.name} is a password-protected workbook or an older Excel (.xls) file.",
            "Open it in Excel, remove the password if it has one, save it as an Excel "
            "workbook (.xlsx) and load the saved copy.")
    not_a_workbook = CaseListError(
        f"{path.name} is not an Excel workbook, although its name ends in {path.suffix}.",
        "Open it in Excel and save it as an Excel workbook (.xlsx); if it is a CSV file, "
        "give it a name ending in .csv.")
    if not head.startswith(_ZIP_MAGIC) or not zipfile.is_zipfile(path):
        raise not_a_workbook
    extents: dict[str, SheetExtent] = {}

    def look(part: str) -> Callable[[bytes], None] | None:
        if not is_sheet_part(part):
            return None
        extents[part] = SheetExtent()
        return extents[part].feed

    try:
        with zipfile.ZipFile(path) as archive:
            parts = {name.lower() for name in archive.namelist()}
        if "xl/workbook.xml" not in parts:  # another kind of zip (an OpenDocument sheet)
            raise not_a_workbook
        check_unpacking(path, most=MAX_UNPACKED_BYTES, most_ratio=MAX_COMPRESSION, look=look)
    except UnpackingRefused as refused:
        raise CaseListError(
            f"{path.name} is not read: it {refused.why}, more than any case list holds "
            f"(at most {MAX_UNPACKED_BYTES // 1024 // 1024} MB). It may be damaged, or "
            "made to stop programs that open it.",
            "If it came from a provider, open it in Excel, copy the case list alone into "
            "a new workbook, save that and load it; otherwise ask for the list again."
        ) from None
    except (OSError, zipfile.BadZipFile) as exc:
        raise _damaged(path, exc) from exc
    named = sheet_parts(path)
    return {named.get(part, part): extent for part, extent in extents.items()}


def _unreadable_workbook(path: Path, failed: ReaderFailed) -> CaseListError:
    error = CaseListError(
        f"{path.name} cannot be read as a case list: it {failed.why}. It may be damaged, "
        "or made to stop programs that open it.",
        "Open it in Excel, save it again as an Excel workbook (.xlsx) and load the saved "
        "copy; if it came from a provider, ask for the list again.")
    error.__cause__ = failed
    return error


def _check_extent(path: Path, name: str, extents: dict[str, SheetExtent]) -> None:
    """Refuse to read sheet ``name`` if its grid, first cell to last, would hold more than
    ``MAX_GRID_CELLS`` (or if its cells do not all say where they stand)."""
    extent = extents.get(name)
    if extent is None:  # the workbook does not say which part holds it: the largest
        extent = max(extents.values(), key=lambda e: (e.unplaced, e.cells), default=None)
    if extent is None:
        return
    if extent.unplaced:
        raise CaseListError(
            f"Sheet '{name}' of {path.name} holds cells that do not say where they stand, "
            "as Excel always writes them, so the app cannot tell how far the sheet reaches.",
            "Open the file in Excel and save it again as an Excel workbook (.xlsx), then "
            "load the saved copy.")
    if extent.cells > MAX_GRID_CELLS:
        reach = [f"row {extent.rows:,}"] if extent.rows > 99_999 else []
        if extent.columns > 26:
            reach.append(f"column {get_column_letter(extent.columns)}")
        raise CaseListError(
            f"Sheet '{name}' of {path.name} has cells as far as {' and '.join(reach)}: "
            f"more than a case list holds, and more than the app reads at once.",
            "Something typed below the list or to its right, even a space, stretches the "
            "sheet: select the rows below the list and the columns to its right, delete "
            "them, save, and load the file again.")


#: visible sheets looked at for the case list, at most (each is read whole to be looked at)
MOST_SHEETS_LOOKED_AT = 20


def _find_sheet(path: Path, reader: SheetReader, extents: dict[str, SheetExtent],
                names: CaseListNames) -> CaseListTable:
    """The first visible sheet whose header row has a case reference column."""
    looked_at, hidden = [], []
    try:
        sheets = reader.sheets()
        seen: set[str] = set()
        for about in sheets:
            if about.name in seen:  # the reader would read the first of them, whichever
                raise CaseListError(
                    f"{path.name} has two sheets named '{about.name}'.",
                    "Open it in Excel, give each sheet a name of its own, save it, and "
                    "load it again.")
            seen.add(about.name)
        for about in sheets:
            if not about.worksheet:
                continue  # a chart or macro sheet holds no rows
            if not about.visible:
                hidden.append(about.name)
                continue
            if len(looked_at) == MOST_SHEETS_LOOKED_AT:
                break
            looked_at.append(about.name)
            _check_extent(path, about.name, extents)
            found = _header_row(reader.head(about.name, HEADER_SEARCH_ROWS))
            if found is None:
                continue
            header_row, headers = found
            mapping = map_headers(headers, names)
            if not mapping.missing_required:
                return CaseListTable(path, about.name, header_row, headers, mapping,
                                     _reopened_rows(path, about.name, header_row,
                                                    len(headers)))
    except ReaderFailed as failed:
        raise _unreadable_workbook(path, failed) from None
    raise _no_header(path, looked_at, hidden, names)


def _reopened_rows(path: Path, title: str, header_row: int, width: int,
                   ) -> Callable[[], Rows]:
    def rows() -> Rows:
        extents = _looked_over(path)
        _check_extent(path, title, extents)
        with SheetReader(path) as reader:
            yield from _sheet_rows(path, reader, title, header_row, width)

    return rows


def _sheet_rows(path: Path, reader: SheetReader, title: str | None, header_row: int,
                width: int) -> Rows:
    try:
        yield from _limited(path, reader.rows(title, header_row + 1), width)
    except ReaderFailed as failed:
        raise _unreadable_workbook(path, failed) from None


# ---------------------------------------------------------------------------------------
# CSV files


def _csv_encoding(path: Path) -> str:
    """UTF-16 if the file starts with its byte order mark; UTF-8 (with or without one) if
    the whole file reads as UTF-8; else Windows-1252, the encoding of a CSV saved by Excel on
    a UK Windows laptop, unless the file reads as garbled text in it."""
    head = _file_head(path, 64 * 1024)
    if head.startswith(_ZIP_MAGIC):
        raise CaseListError(f"{path.name} is an Excel workbook, although its name ends in .csv.",
                            "Rename it so that its name ends in .xlsx and load it again.")
    if head.startswith(_OLE_MAGIC):
        raise CaseListError(f"{path.name} is an Excel file, not a CSV file.",
                            "Open it in Excel, save it as an Excel workbook (.xlsx) or as "
                            "'CSV UTF-8', and load the saved copy.")
    if head.startswith(_UTF16_BOMS):
        if _reads_as(path, "utf-16", nul_allowed=True):
            return "utf-16"
        raise _unreadable(path, "it starts as UTF-16 but does not read as UTF-16 throughout")
    if b"\x00" in head or _control_bytes(head) > len(head) // 100:
        raise _not_text(path)
    if _reads_as(path, "utf-8-sig"):
        return "utf-8-sig"
    if not _reads_as(path, "cp1252"):
        raise _unreadable(path, "it holds bytes that none of them has")
    garbled = _first_garbled_line(path)
    if garbled is not None:
        raise _unreadable(path, f"read as Windows-1252 it is garbled, first on line {garbled}")
    return "cp1252"


def _unreadable(path: Path, why: str) -> CaseListError:
    return CaseListError(
        f"{path.name} is in an encoding ASPIRE Casework does not read ({why}). It reads "
        f"{ENCODINGS_READ}.",
        "Open it in Excel, save it as 'CSV UTF-8 (comma delimited)', and load the saved "
        "copy. Nothing has been imported.")


def _accented_word(word: str) -> bool:
    accented = sum(1 for c in word if not c.isascii())
    return accented >= 3 and accented > len(word) - accented


def _first_garbled_line(path: Path) -> int | None:
    """The first line showing that the file, read as Windows-1252, is in another encoding;
    None if it reads as Windows-1252 should."""
    first, marks = None, 0
    with path.open(encoding="cp1252", newline="") as f:
        for number, line in enumerate(f, start=1):
            here = 0 if line.isascii() else len(_GARBLED.findall(line)) + sum(
                1 for word in _WORD.findall(line) if _accented_word(word))
            if here:
                marks += here
                first = first or number
                if marks >= _MOST_GARBLED:
                    return first
    return None


def _control_bytes(data: bytes) -> int:
    """Bytes that no text file holds (tabs, line ends and form feeds aside)."""
    return len(data) - len(data.translate(None, _CONTROL_BYTES))


def _not_text(path: Path) -> CaseListError:
    return CaseListError(f"{path.name} is not a text (CSV) file.",
                         "Export the case list as a CSV file or an Excel workbook (.xlsx) "
                         "and load that.")


def _reads_as(path: Path, encoding: str, *, nul_allowed: bool = False) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            if b"\x00" in chunk and not nul_allowed:
                raise _not_text(path)
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                return False
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _csv_delimiter(path: Path, encoding: str) -> str:
    """The separator used in the first filled line: a comma unless another is commoner."""
    with path.open(newline="", encoding=encoding) as f:
        for _, line in zip(range(HEADER_SEARCH_ROWS), f, strict=False):
            if line.strip():
                counts = {d: line.count(d) for d in CSV_DELIMITERS}
                best = max(counts, key=counts.__getitem__)
                return best if counts[best] > counts[","] else ","
    return ","


def _open_csv(path: Path, names: CaseListNames) -> CaseListTable:
    encoding = _csv_encoding(path)
    delimiter = _csv_delimiter(path, encoding)

    def numbered() -> Iterator[tuple[int, list[str]]]:
        try:
            with path.open(newline="", encoding=encoding) as f:
                yield from enumerate(csv.reader(f, delimiter=delimiter), start=1)
        except csv.Error as exc:
            raise CaseListError(f"{path.name} cannot be read as a CSV file ({exc}).",
                                "Open it in Excel, save it again as a CSV file, and load "
                                "the saved copy.") from exc
        except OSError as exc:
            raise CaseListError(f"{path.name} cannot be read ({exc.strerror or exc}).",
                                "Check the file is not open in another program, then try "
                                "again.") from exc

    source = numbered()
    try:
        found = _header_row(source)
    finally:
        source.close()
    if found is None:
        raise _no_header(path, [path.name], [], names)
    header_row, headers = found
    mapping = map_headers(headers, names)
    if mapping.missing_required:
        raise _no_header(path, [path.name], [], names)

    def rows() -> Rows:
        below = ((n, cells) for n, cells in numbered() if n > header_row)
        yield from _limited(path, below, len(headers))

    return CaseListTable(path, None, header_row, headers, mapping, rows)
