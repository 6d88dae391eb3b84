"""Workbooks for analysts: completed case samples, one row per case, streamed to an .xlsx file.

A workbook is described as sheets (columns, rows and an optional second header row holding,
for example, the wording of each question) and bar charts over ranges of those sheets. Rows
are written as they are read from their iterator, so a sample of any size takes the same
small amount of memory.

What ends up in a cell is always safe to open (``app.io.excel_cells``):

- text that starts with ``=``, ``+``, ``-`` or ``@`` is stored as text (and marked to show
  as text), never as a formula, so an answer such as ``=HYPERLINK(...)`` cannot run;
- characters a workbook cannot hold are replaced by U+FFFD, and text longer than a cell
  can hold is cut, with a note of how much was cut;
- yes/no values read "Yes" and "No"; dates are real dates, shown as dd/mm/yyyy.

The workbook is written whole or not at all (``app.core.atomic_files``): it is saved beside
the target as a partial file and moved into place only when complete, so a failure or a
cancellation leaves any existing file exactly as it was. openpyxl's buffers of each sheet's
rows are partial files beside the target too, never in the system's temporary folder.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import chain, islice
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.chart import BarChart as _OpenpyxlBarChart
from openpyxl.chart import Reference
from openpyxl.chart.data_source import AxDataSource, StrRef
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import coordinate_from_string
from openpyxl.worksheet.properties import PageSetupProperties

from app.core.atomic_files import Partial, remove_leftovers, reserve_partial
from app.core.faults import unwritable_folder, written_fault
from app.errors import Cancelled, UserFacingError
from app.io.excel_cells import KINDS, CellMaker, safe_text, text_cell
from app.io.files import TargetProblem, fingerprint, target_problem
from app.io.openpyxl_buffers import buffers_beside

MAX_ROWS = 1_048_576              # rows on a worksheet, headers included
MAX_COLUMNS = 16_384
SHEET_TITLE_LIMIT = 31
WRAP_WIDTH = 60                   # width of a wrapped column when none is given
PROGRESS_EVERY = 500              # rows between progress reports
CANCEL_CHECK_EVERY = 100          # rows between asking whether to stop
WIDTH_SAMPLE_ROWS = 50            # rows read ahead to size columns
COMMENT_AUTHOR = "ASPIRE Casework"

_FORBIDDEN_IN_TITLE = re.compile(r"[\[\]:*?/\\]")

_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
_SECOND_HEADER_FONT = Font(italic=True)


@dataclass(frozen=True)
class Column:
    """One column of a sheet.

    ``header`` is the first header row (a stable key or a short label); ``note`` is the full
    wording, shown as a comment on the header cell. ``width`` None sizes the column from its
    header and first rows; ``wrap`` wraps long text and fixes the width (60 unless given).
    ``kind`` sets how numbers and dates are shown: "text", "number", "percent" (0..1 shown as
    0.0%), "date" (dd/mm/yyyy) or "datetime" (dd/mm/yyyy hh:mm).
    """

    header: str
    width: float | None = None
    wrap: bool = False
    kind: str = "text"
    note: str = ""


@dataclass(frozen=True)
class Sheet:
    """One worksheet: its columns, and rows read once, in order, as they are written.

    Cells may be str, int, float, bool, date, datetime or None. ``second_header`` is an
    optional second header row (for example the question wording); both header rows stay in
    view when scrolling, as do the first ``freeze_columns`` columns. ``table`` puts filter
    buttons on the header row over the data.
    """

    title: str
    columns: tuple[Column, ...]
    rows: Iterable[Sequence[object]]
    second_header: Sequence[str] | None = None
    table: bool = True
    freeze_columns: int = 0


@dataclass(frozen=True)
class BarChart:
    """A column chart of values (percentages 0..1) against category labels on one sheet.

    Columns and rows are numbered from 1 as on the worksheet, so with two header rows the
    first data row is 3; ``first_row``..``last_row`` cover data rows only, not headers. The
    chart is placed on the same sheet with its top-left corner at ``anchor`` (for example
    "H2").
    """

    sheet: str
    title: str
    category_column: int
    value_column: int
    first_row: int
    last_row: int
    anchor: str
    y_title: str = "% yes"


@dataclass(frozen=True)
class WrittenWorkbook:
    """The saved workbook: where it is, data rows per sheet, its size and SHA-256."""

    path: Path
    rows: dict[str, int]
    bytes: int
    sha256: str


class ExportError(UserFacingError):
    """The workbook could not be saved; the message names the file and says what to do."""


class ExportCancelled(Cancelled):
    """The export was stopped on request; the target file was not touched."""


def write_workbook(path: Path, sheets: Sequence[Sheet], charts: Sequence[BarChart] = (), *,
                   progress: Callable[[int], None] | None = None,
                   cancelled: Callable[[], bool] | None = None) -> WrittenWorkbook:
    """Save ``sheets`` (and ``charts``) as the workbook ``path`` (given .xlsx if it lacks it).

    ``progress`` is told the number of data rows written so far, every 500 rows and at the
    end; ``cancelled`` is asked every 100 rows and before the file is moved into place, and
    if it answers True the export stops with ``ExportCancelled``.

    Raises ``ValueError`` for a description that cannot be a workbook (a sheet title Excel
    refuses, an unknown column kind, a chart on a sheet that is not there), and
    ``ExportError`` when the file cannot be saved (missing or read-only folder, read-only
    target, target open in Excel, disk full). Whatever happens, the target is either the
    complete new workbook or exactly what it was before, and no temporary file is left.
    """
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        path = path.with_name(path.name + ".xlsx")
    _check_description(sheets, charts)
    _check_target(path)
    asked = cancelled or (lambda: False)
    remove_leftovers(path.parent)
    with _reserve_partial(path) as partial:
        try:
            rows, size, digest = _write(partial, sheets, charts, _Counter(progress, asked))
            try:
                partial.commit()
            except PermissionError as exc:
                raise ExportError(
                    f"{path} is open in another program, so it cannot be replaced.",
                    f"Close {path.name} (in Excel or wherever it is open) and export again, "
                    "or save the workbook under another name.") from exc
        except OSError as exc:
            raise ExportError(*written_fault("The workbook", path, exc, "export again")) from exc
    return WrittenWorkbook(path=path, rows=rows, bytes=size, sha256=digest)


def _write(partial: Partial, sheets: Sequence[Sheet], charts: Sequence[BarChart],
           counter: _Counter) -> tuple[dict[str, int], int, str]:
    """Save the workbook into ``partial``; its data rows per sheet, size and SHA-256."""
    path = partial.target
    with buffers_beside(path):
        workbook = Workbook(write_only=True)
        saved = False
        try:
            worksheets = {sheet.title: workbook.create_sheet(sheet.title) for sheet in sheets}
            for chart in charts:
                _add_chart(worksheets[chart.sheet], chart)
            rows: dict[str, int] = {}
            for sheet in sheets:
                counter.check_cancelled()
                rows[sheet.title] = _write_sheet(worksheets[sheet.title], sheet, counter, path)
            counter.finish()
            counter.check_cancelled()
            workbook.save(partial.path)
            saved = True
        finally:
            if not saved:
                _close_sheet_buffers(workbook)
    size, digest = fingerprint(partial.path)
    counter.check_cancelled()
    return rows, size, digest


# --- checks before anything is written ---------------------------------------------------


def _check_description(sheets: Sequence[Sheet], charts: Sequence[BarChart]) -> None:
    if not sheets:
        raise ValueError("A workbook needs at least one sheet.")
    seen: dict[str, str] = {}
    for sheet in sheets:
        _check_title(sheet.title)
        if sheet.title.casefold() in seen:
            raise ValueError(f"Two sheets are called {sheet.title!r} (Excel ignores case).")
        seen[sheet.title.casefold()] = sheet.title
        if not sheet.columns:
            raise ValueError(f"Sheet {sheet.title!r} has no columns.")
        if len(sheet.columns) > MAX_COLUMNS:
            raise ValueError(f"Sheet {sheet.title!r} has {len(sheet.columns)} columns; "
                             f"Excel holds at most {MAX_COLUMNS}.")
        for column in sheet.columns:
            if column.kind not in KINDS:
                raise ValueError(f"Column {column.header!r} on sheet {sheet.title!r} has kind "
                                 f"{column.kind!r}; use one of {', '.join(KINDS)}.")
        if sheet.second_header is not None and len(sheet.second_header) > len(sheet.columns):
            raise ValueError(f"Sheet {sheet.title!r} has more second-row headers "
                             f"({len(sheet.second_header)}) than columns ({len(sheet.columns)}).")
        if not 0 <= sheet.freeze_columns <= len(sheet.columns):
            raise ValueError(f"Sheet {sheet.title!r}: freeze_columns must be between 0 and "
                             f"{len(sheet.columns)}.")
    for chart in charts:
        if chart.sheet not in seen.values():
            raise ValueError(f"Chart {chart.title!r} is on sheet {chart.sheet!r}, "
                             "which the workbook does not have.")
        if min(chart.category_column, chart.value_column) < 1:
            raise ValueError(f"Chart {chart.title!r}: columns are numbered from 1.")
        if not 1 <= chart.first_row <= chart.last_row:
            raise ValueError(f"Chart {chart.title!r}: rows must run from first_row to "
                             "last_row, numbered from 1.")
        try:
            coordinate_from_string(chart.anchor)
        except ValueError as exc:
            raise ValueError(f"Chart {chart.title!r}: {chart.anchor!r} is not a cell "
                             "such as 'H2'.") from exc


def _check_title(title: str) -> None:
    if not title or not title.strip():
        raise ValueError("A sheet title cannot be empty.")
    if len(title) > SHEET_TITLE_LIMIT:
        raise ValueError(f"Sheet title {title!r} is {len(title)} characters long; "
                         f"Excel allows at most {SHEET_TITLE_LIMIT}.")
    if _FORBIDDEN_IN_TITLE.search(title):
        raise ValueError(f"Sheet title {title!r} contains one of [ ] : * ? / \\, "
                         "which Excel does not allow.")
    if title.startswith("'") or title.endswith("'"):
        raise ValueError(f"Sheet title {title!r} cannot start or end with an apostrophe.")


def _check_target(path: Path) -> None:
    """Refuse, before writing anything, a target that cannot be saved or replaced."""
    folder = path.parent
    problem = target_problem(path)
    if problem is TargetProblem.NO_FOLDER:
        raise ExportError(
            f"The workbook cannot be saved as {path}: the folder {folder} does not exist.",
            "Choose a folder that exists (or create this one) and export again.")
    if problem is TargetProblem.NOT_A_FOLDER:
        raise ExportError(
            f"The workbook cannot be saved as {path}: {folder} is a file, not a folder.",
            "Choose a folder to save the workbook in and export again.")
    if problem is TargetProblem.IS_A_FOLDER:
        raise ExportError(
            f"The workbook cannot be saved as {path}: that is the name of a folder.",
            "Choose another file name and export again.")
    owner = folder / f"~${path.name}"
    if owner.exists():
        raise ExportError(
            f"{path} is open in Excel, so it cannot be replaced.",
            f"Close {path.name} in Excel and export again. If it is not open anywhere, "
            f"Excel left its lock file behind: delete {owner} and try again.")
    if problem is TargetProblem.READ_ONLY_FILE:
        raise ExportError(
            f"{path} is read-only, so it cannot be replaced.",
            "Choose another file name or folder, or make the file writable, and export again.")
    if problem is TargetProblem.READ_ONLY_FOLDER:
        raise _read_only_folder(path)


def _read_only_folder(path: Path) -> ExportError:
    return ExportError(*unwritable_folder("The workbook", path, "export again"))


def _reserve_partial(path: Path) -> Partial:
    """The partial file the workbook is written to, beside the target."""
    try:
        return reserve_partial(path)
    except PermissionError as exc:
        raise _read_only_folder(path) from exc
    except OSError as exc:
        raise ExportError(*written_fault("The workbook", path, exc, "export again")) from exc


def _close_sheet_buffers(workbook: Workbook) -> None:
    """Close (and remove) the files openpyxl streams each sheet's rows into, when the
    workbook is not saved; Windows cannot remove them while openpyxl holds them open."""
    for worksheet in workbook.worksheets:
        writer = getattr(worksheet, "_writer", None)
        if writer is None:
            continue
        with contextlib.suppress(Exception):
            if not worksheet.closed:
                worksheet.close()
        with contextlib.suppress(Exception):
            writer.cleanup()


# --- progress and cancellation ------------------------------------------------------------


class _Counter:
    """Counts data rows across sheets, reports progress and asks whether to stop."""

    def __init__(self, progress: Callable[[int], None] | None, cancelled: Callable[[], bool]):
        self.progress = progress
        self.cancelled = cancelled
        self.rows = 0
        self.reported = -1

    def add_row(self) -> None:
        self.rows += 1
        if self.rows % CANCEL_CHECK_EVERY == 0:
            self.check_cancelled()
        if self.progress is not None and self.rows % PROGRESS_EVERY == 0:
            self.reported = self.rows
            self.progress(self.rows)

    def finish(self) -> None:
        if self.progress is not None and self.reported != self.rows:
            self.reported = self.rows
            self.progress(self.rows)

    def check_cancelled(self) -> None:
        if self.cancelled():
            raise ExportCancelled("The export was cancelled; no file was saved.")


# --- sheets --------------------------------------------------------------------------------


def _write_sheet(worksheet, sheet: Sheet, counter: _Counter, path: Path) -> int:
    """Write one sheet's header rows and data rows; return the number of data rows."""
    columns = sheet.columns
    header_rows = 2 if sheet.second_header is not None else 1
    rows = iter(sheet.rows)
    sample = list(islice(rows, WIDTH_SAMPLE_ROWS))
    for number, column in enumerate(columns, start=1):
        worksheet.column_dimensions[get_column_letter(number)].width = _width(
            column, number - 1, sheet.second_header, sample)
    worksheet.freeze_panes = f"{get_column_letter(sheet.freeze_columns + 1)}{header_rows + 1}"
    _print_settings(worksheet, header_rows)

    worksheet.append([_header_cell(worksheet, column) for column in columns])
    if sheet.second_header is not None:
        worksheet.append([_second_header_cell(worksheet, text) for text in sheet.second_header])

    makers = [CellMaker(worksheet, column.kind, column.wrap) for column in columns]
    plain = CellMaker(worksheet, "text", wrap=False)
    last_allowed = MAX_ROWS - header_rows
    written = 0
    for row in chain(sample, rows):
        if written == last_allowed:
            raise ExportError(
                f"The workbook cannot be saved as {path}: sheet {sheet.title!r} has more "
                f"than {last_allowed:,} rows, more than Excel can hold.",
                "Export a smaller selection (for example one inspection at a time).")
        worksheet.append(_cells(row, makers, plain))
        written += 1
        counter.add_row()

    if sheet.table:
        last_row = header_rows + written
        worksheet.auto_filter.ref = (
            f"A{header_rows}:{get_column_letter(len(columns))}{last_row}")
    return written


def _print_settings(worksheet, header_rows: int) -> None:
    """Printed as a person would print it: A4 landscape, as wide as the page, its header
    rows at the top of every page."""
    worksheet.page_setup.orientation = "landscape"
    worksheet.page_setup.paperSize = A4
    worksheet.page_setup.fitToWidth = 1
    worksheet.page_setup.fitToHeight = 0  # as many pages down as it takes
    worksheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    worksheet.print_title_rows = f"1:{header_rows}"


def _cells(row: Sequence[object] | None, makers: list[CellMaker],
           plain: CellMaker) -> list[object]:
    if row is None:
        return []
    out: list[object] = []
    count = len(makers)
    for index, value in enumerate(row):
        if value is None:
            out.append(None)
        else:
            out.append((makers[index] if index < count else plain).make(value))
    return out


def _header_cell(worksheet, column: Column) -> Cell:
    cell = text_cell(worksheet, column.header)
    cell.font = _HEADER_FONT
    cell.fill = _HEADER_FILL
    if column.note:
        note = safe_text(column.note)
        lines = sum(1 + len(line) // 48 for line in note.splitlines() or [""])
        cell.comment = Comment(note, COMMENT_AUTHOR, height=min(20 + 15 * lines, 400),
                               width=320)
    return cell


def _second_header_cell(worksheet, text: str | None) -> Cell | None:
    if text is None:
        return None
    cell = text_cell(worksheet, str(text))
    cell.font = _SECOND_HEADER_FONT
    return cell


def _width(column: Column, index: int, second_header: Sequence[str] | None,
           sample: list[Sequence[object]]) -> float:
    """The column's width in characters: as given; 60 when wrapped; otherwise room for the
    header (bold), a short second header and the first rows, between 8 and 50."""
    if column.width is not None:
        return column.width
    if column.wrap:
        return WRAP_WIDTH
    widest = len(column.header) * 1.15
    if second_header is not None and index < len(second_header) and second_header[index]:
        widest = max(widest, min(len(str(second_header[index])), 40))
    for row in sample:
        if row is not None and index < len(row) and row[index] is not None:
            widest = max(widest, _shown_length(row[index], column.kind))
    return float(min(max(math.ceil(widest) + 2, 8), 50))


def _shown_length(value: object, kind: str) -> int:
    if isinstance(value, bool):
        return 3
    if isinstance(value, dt.datetime):
        return 10 if kind == "date" else 16
    if isinstance(value, dt.date):
        return 10
    if isinstance(value, int | float | Decimal):
        return 7 if kind == "percent" else min(len(str(value)), 20)
    if isinstance(value, str):
        return max((len(line) for line in value[:200].splitlines()), default=0)
    return 10


#: openpyxl's number for A4 paper
A4 = 9


# --- charts --------------------------------------------------------------------------------


def _add_chart(worksheet, spec: BarChart) -> None:
    chart = _OpenpyxlBarChart()
    chart.type = "col"
    chart.title = safe_text(spec.title)
    chart.y_axis.title = safe_text(spec.y_title)
    chart.y_axis.scaling.min = 0
    chart.y_axis.scaling.max = 1
    chart.y_axis.number_format = "0%"
    # Without these, recent versions of Excel hide both axes of an openpyxl chart.
    chart.x_axis.axPos = "b"
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.legend = None
    values = Reference(worksheet, min_col=spec.value_column, min_row=spec.first_row,
                       max_row=spec.last_row)
    categories = Reference(worksheet, min_col=spec.category_column, min_row=spec.first_row,
                           max_row=spec.last_row)
    chart.add_data(values, titles_from_data=False)
    # category labels are text (question keys, groups): refer to them as text
    chart.series[0].cat = AxDataSource(strRef=StrRef(f=str(categories)))
    bars = spec.last_row - spec.first_row + 1
    chart.width = min(max(15.0, 1.2 * bars), 40.0)   # centimetres
    chart.height = 9.0
    worksheet.add_chart(chart, spec.anchor)

