"""A question framework as an Excel workbook: read one an author wrote, write one out.

The layout is ``app.core.framework_sheets``'s. A written workbook has drop-down lists on
every column with a fixed set of values, the column names frozen in row 1, and a Guidance
sheet that says what each column holds; an empty one (no questions yet) is the template an
author starts from.
"""

from __future__ import annotations

import zipfile
from collections.abc import Mapping
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from app.core.framework_loader import load_framework_file, sorted_frameworks
from app.core.framework_sheets import (
    CHOICES,
    COLUMNS,
    MOST_ROWS,
    QUESTIONS,
    REASONS,
    SECTIONS,
    SETTING_NAMES,
    SETTINGS,
    STANDARDS,
    FormulaText,
    Sheet,
    column_name,
    framework_from_sheets,
    framework_rows,
)
from app.core.frameworks import Evidence, Framework, QuestionType, RatedBy, Respondent, Stage
from app.core.profile import PROGRAMMES
from app.errors import FrameworkError, UserFacingError
from app.io.excel_cells import WRAP, safe_text
from app.io.files import TargetProblem, target_problem
from app.io.openpyxl_buffers import save_whole
from app.io.zip_guard import UnpackingRefused, check_unpacking

GUIDANCE = "guidance"
#: a framework workbook is small: a few hundred rows on a few sheets
MOST_BYTES = 20 * 1024 * 1024
MOST_UNPACKED = 200 * 1024 * 1024
#: how far one part of the workbook may be compressed (sheets: about ten to one)
MOST_COMPRESSION = 100
#: how far down the drop-down lists reach
LAST_ROW = 2_000
#: how much of a sheet is read: its first columns (the layout has fewer), and at most so
#: many rows, blank ones included (a framework's sheets hold a few hundred)
MOST_COLUMNS, MOST_SCANNED = 64, 20_000
_ZIP_MAGIC = b"PK\x03\x04"
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
_YES_NO = ("yes", "no")
#: the values each column with a fixed set offers, by sheet and column
DROP_DOWNS: dict[tuple[str, str], tuple[str, ...]] = {
    (SECTIONS, "stage"): tuple(s.value for s in Stage),
    (SECTIONS, "respondent"): tuple(r.value for r in Respondent),
    (QUESTIONS, "type"): tuple(t.value for t in QuestionType),
    (QUESTIONS, "evidence"): tuple(e.value for e in Evidence),
    (QUESTIONS, "respondent"): tuple(r.value for r in Respondent),
    **{(QUESTIONS, flag): _YES_NO for flag in ("key_question", "judgement",
                                                "allow_not_applicable", "required",
                                                "reconstructed")},
    (CHOICES, "exclusive"): _YES_NO,
    (STANDARDS, "rated_by"): tuple(r.value for r in RatedBy),
}
#: what each column holds, for the Guidance sheet
COLUMN_GUIDANCE: dict[tuple[str, str], str] = {
    (SETTINGS, "id"): "The framework's identifier: lower case letters, digits, '-' or '_'. "
                      "It stays the same in every version.",
    (SETTINGS, "version"): "This version's number, such as 2.1. A released version never "
                           "changes: to change a framework, give the workbook a new "
                           "version and import it again.",
    (SETTINGS, "title"): "The framework's name as inspectors see it.",
    (SETTINGS, "programme"): "Which inspections use it: " + ", ".join(PROGRAMMES.codes()) + ".",
    (SETTINGS, "description"): "What it covers (optional).",
    (SETTINGS, "source"): "The documents its wording comes from (optional).",
    (SECTIONS, "key"): "The section's identifier: lower case letters, digits and '_'.",
    (SECTIONS, "title"): "The section's heading on the case form.",
    (SECTIONS, "stage"): "The ASPIRE stage the section belongs to: "
                         + ", ".join(s.value for s in Stage) + ".",
    (SECTIONS, "theme"): "Optional: the theme its questions share (such as Keeping other "
                         "people safe).",
    (SECTIONS, "respondent"): "Who answers its questions by default: inspector, or "
                              "practitioner (answers given in interview).",
    (SECTIONS, "intro"): "Optional: a note shown at the top of the section.",
    (QUESTIONS, "key"): "The question's identifier. It never changes meaning between "
                        "versions: reword freely, but give a question that means something "
                        "new a new key.",
    (QUESTIONS, "section"): "The key of the section it appears in (sections sheet).",
    (QUESTIONS, "standard"): "The standard it belongs to (standards sheet), if any.",
    (QUESTIONS, "key_question"): "yes if the share of Yes answers across the sample rates "
                                 "its standard (yes/no judgements only). Blank: yes for a "
                                 "yes/no judgement with a standard.",
    (QUESTIONS, "type"): "yes_no, single_choice, multi_choice, need_matrix, number, date "
                         "or text.",
    (QUESTIONS, "text"): "The question as the inspector reads it: the source's exact "
                         "wording wherever it survives.",
    (QUESTIONS, "guidance"): "What the inspector should look for.",
    (QUESTIONS, "options"): "Choice questions: the name of a list on the choices sheet.",
    (QUESTIONS, "rows"): "Need matrices: the name of the list (choices sheet) of its rows.",
    (QUESTIONS, "rows_from"): "Need matrices: the key of an earlier multiple choice question; "
                              "only the rows chosen there apply.",
    (QUESTIONS, "reasons"): "Yes/no judgements: the name of a list on the reasons sheet, "
                            "the reasons offered for a No.",
    (QUESTIONS, "judgement"): "Yes/no questions: no for a plain fact (such as 'Is there an "
                              "identifiable victim?'), which needs no reasons. Blank: yes.",
    (QUESTIONS, "evidence"): "When an evidence note is needed: required_on_no (the default "
                             "for judgements), required or optional.",
    (QUESTIONS, "allow_not_applicable"): "Yes/no questions: yes to offer 'Not applicable'.",
    (QUESTIONS, "required"): "no for a question that may be left unanswered. Blank: yes.",
    (QUESTIONS, "respondent"): "Blank: the section's. inspector or practitioner.",
    (QUESTIONS, "applies_if"): "When the question applies, as a rule on earlier answers "
                               "(${key}) or the case (phase, gender, rosh...): "
                               "${victim_identified} = yes; phase in (custody, licence); "
                               "${requirements} includes rar; ${x} is answered; join with "
                               "and, or, not and brackets. Blank: always.",
    (QUESTIONS, "min"): "Number questions: the smallest whole number allowed.",
    (QUESTIONS, "max"): "Number questions: the largest whole number allowed.",
    (QUESTIONS, "theme"): "Blank: the section's theme.",
    (QUESTIONS, "source"): "Where the wording comes from.",
    (QUESTIONS, "ref"): "The reference in that source, such as a question number.",
    (QUESTIONS, "reconstructed"): "yes where the wording was written afresh because the "
                                  "original was lost; say where it came from in source.",
    (CHOICES, "list"): "The list's name, on every row of it; questions name it.",
    (CHOICES, "code"): "The value stored and exported: short, lower case, unique in its list.",
    (CHOICES, "label"): "What the inspector reads.",
    (CHOICES, "exclusive"): "Multiple choice: yes for an option (such as 'None of these') "
                            "that is chosen only on its own.",
    (REASONS, "list"): "The list's name, on every row of it; questions name it.",
    (REASONS, "code"): "The value stored and exported: short, lower case, unique in its list.",
    (REASONS, "label"): "The reason as the inspector reads it.",
    (STANDARDS, "key"): "The standard's identifier, as the questions sheet names it.",
    (STANDARDS, "title"): "The standard as reports name it (such as 2.1 Assessment).",
    (STANDARDS, "rated_by"): "key_questions: rated from its key questions' answers across "
                             "the sample; judgement: rated by the inspectors on the evidence.",
}
_WIDTHS = {"text": 60, "guidance": 50, "intro": 40, "title": 36, "label": 44, "value": 60,
           "applies_if": 36, "description": 40, "source": 28}


class FrameworkWorkbookError(UserFacingError):
    """A framework workbook that cannot be read as one, or cannot be saved."""


def read_framework_workbook(path: Path) -> list[Sheet]:
    """The framework's sheets of a workbook, as read: every sheet whose name is one of the
    layout's, its first ``MOST_COLUMNS`` columns, until ``MOST_ROWS`` rows with values (or
    ``MOST_SCANNED`` rows in all) are read; a formula is read as a formula, not as the value
    a spreadsheet program last worked out. Other sheets are only named. Raises
    ``FrameworkWorkbookError`` for a file that is not a workbook it can read."""
    path = Path(path)
    _check_readable(path)
    try:
        workbook = load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # openpyxl reports a damaged workbook in many different ways
        raise _damaged(path) from exc
    try:
        return [_read_sheet(sheet) if column_name(sheet.title) in COLUMNS
                else Sheet(sheet.title, (), ()) for sheet in workbook.worksheets]
    except Exception as exc:
        raise _damaged(path) from exc
    finally:
        workbook.close()


def _read_sheet(sheet) -> Sheet:
    sheet.reset_dimensions()  # some programs record the wrong used range
    rows = sheet.iter_rows(max_col=MOST_COLUMNS)
    headers = tuple(_value(c) for c in next(rows, ()))
    body, cut_short = [], False
    for number, cells in enumerate(rows, start=2):
        values = tuple(_value(c) for c in cells)
        if any(v is not None and str(v).strip() for v in values):
            body.append((number, values))
        if len(body) > MOST_ROWS or number > MOST_SCANNED:
            cut_short = True
            break
    return Sheet(sheet.title, headers, tuple(body), cut_short)


def _value(cell) -> object:
    value = getattr(cell, "value", None)
    if getattr(cell, "data_type", None) == "f" and isinstance(value, str):
        return FormulaText(value)
    return value


def _damaged(path: Path) -> FrameworkWorkbookError:
    return FrameworkWorkbookError(
        f"{path.name} cannot be read as a question framework: it looks damaged, or is not "
        "a workbook saved by a spreadsheet program.",
        "Open it in Excel, save it again as an Excel workbook (.xlsx) and import the saved "
        "copy.")


def load_framework_workbook(path: Path) -> Framework:
    """The framework a workbook lays out; ``FrameworkError`` naming every problem (sheet,
    row, column, value) if it has any."""
    framework, _text, problems = framework_from_sheets(read_framework_workbook(path),
                                                       Path(path).name)
    if framework is None:
        count = len(problems)
        error = FrameworkError(
            f"The question framework workbook {Path(path).name} has {count} "
            f"problem{'s' if count != 1 else ''}; it was not loaded.",
            "Correct each problem listed (sheet, row and column are named) and start again.",
            details=[str(p) for p in problems])
        error.problems = list(problems)
        raise error
    return framework


def load_framework_folder(folder: Path) -> list[Framework]:
    """Every framework in a folder: framework files (``*.json``) and framework workbooks
    (``*.xlsx``; not the ``~$`` files Excel leaves beside a workbook it has open), sorted
    by id and version; two with the same id and version are an error."""
    found = [(p.name, load_framework_file(p)) for p in sorted(folder.glob("*.json"))]
    found += [(p.name, load_framework_workbook(p)) for p in sorted(folder.glob("*.xlsx"))
              if not p.name.startswith("~$")]
    return sorted_frameworks(found)


def _check_readable(path: Path) -> None:
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        raise FrameworkWorkbookError(
            f"{path.name} is not an Excel workbook (.xlsx): a question framework is "
            "authored in one.",
            "Save it from Excel as an Excel workbook (.xlsx), or start from the template "
            "('aspire frameworks template').")
    try:
        size = path.stat().st_size
        if not path.is_file():  # a folder, a pipe, a device: nothing a workbook is saved as
            raise FrameworkWorkbookError(
                f"{path.name} is not a file.", "Choose the workbook file itself.")
        with path.open("rb") as handle:
            head = handle.read(4)
    except OSError as exc:
        raise FrameworkWorkbookError(
            f"{path.name} cannot be read ({exc.strerror or exc}).",
            "Check the file exists and is not open in another program, then try again."
        ) from exc
    if size > MOST_BYTES:
        raise FrameworkWorkbookError(
            f"{path.name} is {size / 1024 / 1024:.0f} MB; a question framework workbook may "
            f"be at most {MOST_BYTES // 1024 // 1024} MB.",
            "Remove sheets and pictures the framework does not need, and import it again.")
    if head != _ZIP_MAGIC or not zipfile.is_zipfile(path):
        raise FrameworkWorkbookError(
            f"{path.name} is not an Excel workbook, although its name ends in "
            f"{path.suffix}: it may be another kind of file renamed, password-protected, "
            "or an older .xls file.",
            "Open it in Excel, remove any password, save it as an Excel workbook (.xlsx) "
            "and import the saved copy.")
    try:
        check_unpacking(path, most=MOST_UNPACKED, most_ratio=MOST_COMPRESSION)
    except UnpackingRefused as refused:
        raise FrameworkWorkbookError(
            f"{path.name} is not read: it {refused.why}, more than a question framework "
            f"workbook unpacks to (at most {MOST_UNPACKED // 1024 // 1024} MB).",
            "Remove sheets, rows and pictures the framework does not need, and import it "
            "again.") from None
    except (OSError, zipfile.BadZipFile) as exc:
        raise _damaged(path) from exc


def write_framework_workbook(path: Path, data: Mapping | None = None) -> Path:
    """Save a framework file's document (``data``, its parsed JSON) as a workbook at
    ``path`` (given the ending .xlsx if it lacks one); with no ``data``, the empty template.
    The file appears whole or not at all. Raises ``FrameworkWorkbookError`` if it cannot be
    saved."""
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        path = path.with_name(path.name + ".xlsx")
    problem = target_problem(path)
    if problem is not None:
        raise FrameworkWorkbookError(
            f"The workbook cannot be saved as {path}: {problem.value}.",
            "Choose a folder that exists and that you can save to."
            if problem in (TargetProblem.NO_FOLDER, TargetProblem.NOT_A_FOLDER,
                           TargetProblem.READ_ONLY_FOLDER, TargetProblem.IS_A_FOLDER)
            else "Close the file if it is open, or choose another name.")
    rows = framework_rows(data or {"sections": []})
    if data is None:
        rows[SETTINGS].extend([name, ""] for name in SETTING_NAMES)
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, sheet_rows in rows.items():
        _fill(workbook.create_sheet(name), name, sheet_rows)
    _fill_guidance(workbook.create_sheet(GUIDANCE))
    save_whole(workbook, path, FrameworkWorkbookError, "The workbook")
    return path


def _fill(sheet: Worksheet, name: str, rows: list[list[object]]) -> None:
    columns = COLUMNS[name]
    for values in rows:
        sheet.append([safe_text(v) if isinstance(v, str) else v for v in values])
    for number, column in enumerate(columns, start=1):
        header = sheet.cell(row=1, column=number)
        header.font, header.fill = _HEADER_FONT, _HEADER_FILL
        letter = get_column_letter(number)
        sheet.column_dimensions[letter].width = _WIDTHS.get(column, 16)
        if column in ("text", "guidance", "intro", "value", "applies_if"):
            for cell in sheet[letter][1:]:
                cell.alignment = WRAP
        for cell in sheet[letter][1:]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text stays text, even when it looks like a formula
                cell.number_format = "@"
        values = DROP_DOWNS.get((name, column))
        if values:
            _drop_down(sheet, f"{letter}2:{letter}{LAST_ROW}", values)
    if name == QUESTIONS:
        sections = f"{quote_sheetname(SECTIONS)}!$A$2:$A${LAST_ROW}"
        validation = DataValidation(type="list", formula1=sections, allow_blank=True)
        validation.add(f"B2:B{LAST_ROW}")
        sheet.add_data_validation(validation)
    if name == SETTINGS:
        for row in range(2, sheet.max_row + 1):
            if sheet.cell(row=row, column=1).value == "programme":
                _drop_down(sheet, f"B{row}", tuple(PROGRAMMES.codes()))
    sheet.freeze_panes = "B2" if name == QUESTIONS else "A2"


def _drop_down(sheet: Worksheet, cells: str, values: tuple[str, ...]) -> None:
    validation = DataValidation(type="list", formula1='"' + ",".join(values) + '"',
                                allow_blank=True, showErrorMessage=True,
                                error="Choose one of: " + ", ".join(values))
    validation.add(cells)
    sheet.add_data_validation(validation)


def _fill_guidance(sheet: Worksheet) -> None:
    sheet.append(["A question framework, authored in a workbook"])
    sheet["A1"].font = Font(bold=True, size=14)
    for line in (
        "Each sheet holds one part of the framework; row 1 of each names its columns. Keep "
        "the column names; add columns of your own whose names start with 'note'.",
        "settings: the framework's id, version, title and programme. sections: the case "
        "form's sections, in order. questions: one row per question, in order, each naming "
        "its section. choices: the named lists of options. reasons: the named lists of "
        "reasons offered for a No. standards: the standards it rates.",
        "Import with 'aspire frameworks import FILE.xlsx --dry-run' to check it (every "
        "problem is named by sheet, row and column), then without --dry-run to install it. "
        "A version already in use never changes: raise the version to change a framework.",
    ):
        sheet.append([line])
        sheet.cell(row=sheet.max_row, column=1).alignment = WRAP
    sheet.append([])
    sheet.append(["Sheet", "Column", "What it holds"])
    for cell in sheet[sheet.max_row]:
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
    for (name, column), text in COLUMN_GUIDANCE.items():
        sheet.append([name, column, text])
        sheet.cell(row=sheet.max_row, column=3).alignment = WRAP
    for letter, width in zip("ABC", (14, 22, 90), strict=True):
        sheet.column_dimensions[letter].width = width

