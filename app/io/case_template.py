"""The case list workbook the inspectorate sends a provider to fill in before fieldwork.

It has the columns the app reads, in its own words, with a drop-down list on every coded
column so that what comes back imports without a problem. The drop-down values are the
labels people read (held on a hidden "Lists" sheet: a list typed into the validation itself
is limited to 255 characters, too few for the ethnicity categories).
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from app.core.case_import import (
    COLUMNS,
    OLDEST_AGE_YEARS,
    TEXT_LIMITS,
    ImportColumn,
)
from app.core.profile import PROFILE_FIELD_BY_NAME, PROGRAMMES, Programme
from app.core.vocab import Choice
from app.errors import UserFacingError, ValidationError
from app.io.case_lists import MAX_ROWS
from app.io.openpyxl_buffers import save_whole

CASES_SHEET = "Cases"
GUIDANCE_SHEET = "Guidance"
LISTS_SHEET = "Lists"
DATE_FORMAT = "DD/MM/YYYY"
LAST_ROW = MAX_ROWS + 1  # drop-downs reach as far as the app will read

_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
_WRAP = Alignment(wrap_text=True, vertical="top")

_WHAT_TO_ENTER = {
    "reference": "The case's reference in the case management system, such as the CRN. "
                 "Required, and used once only: each row is a different case.",
    "provider": "The organisation responsible for the case.",
    "sentence_type": "The sentence, order or out-of-court disposal being supervised.",
    "phase": "Whether the person is in custody, in the community, or on licence after release.",
    "gender": "The gender recorded for the person.",
    "ethnicity": "The ethnic group recorded for the person, in the 2021 census categories. "
                 "'Not recorded' means the case record holds no ethnicity; 'Prefer not to "
                 "say' means the person was asked and chose not to say. They are different: "
                 "use the one that is true.",
    "date_of_birth": "The person's date of birth.",
    "rosh": "The current risk of serious harm level.",
    "mappa": "The MAPPA level at which the case is managed, if any.",
    "vulnerability": "The current level of concern about the person's safety and wellbeing.",
    "disability": "Whether the person is recorded as disabled. 'Not recorded' and 'Prefer "
                  "not to say' are different: use the one that is true.",
    "responsible_officer": "The name of the practitioner or case manager who holds the case.",
    "assignee": "The inspector who will look at the case, if already decided.",
    "notes": "Anything the inspectors should know before reading the case.",
}


class TemplateError(UserFacingError):
    """The case list template could not be saved."""


def write_case_template(path: Path, programme: str | None = None) -> Path:
    """Save the case list template as ``path`` (given the ending .xlsx if it lacks one).

    For a programme, the provider and sentence drop-downs offer only the choices that
    programme uses. The workbook is saved beside the target and then moved into place, so
    the target is never left half written. Raises ``TemplateError`` if it cannot be saved.
    """
    if programme is not None and programme not in PROGRAMMES:
        raise ValidationError(f"'{programme}' is not a programme.",
                              f"Use one of {', '.join(PROGRAMMES.codes())}.")
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        path = path.with_name(path.name + ".xlsx")
    workbook = Workbook()
    cases = workbook.active
    cases.title = CASES_SHEET
    guidance = workbook.create_sheet(GUIDANCE_SHEET)
    lists = workbook.create_sheet(LISTS_SHEET)
    lists.sheet_state = "hidden"
    _fill_cases(cases, lists, programme)
    _fill_guidance(guidance, programme)
    save_whole(workbook, path, TemplateError, "The case list template")
    return path


def _choices(column: ImportColumn, programme: str | None) -> tuple[Choice, ...]:
    field = PROFILE_FIELD_BY_NAME.get(column.field)
    if field is None or field.vocabulary is None:
        return ()
    choices = field.vocabulary.choices
    if column.field == "sentence_type" and programme == Programme.ADULT_PROBATION:
        return tuple(c for c in choices if c.group in ("adult", ""))
    if column.field == "sentence_type" and programme == Programme.YOUTH_OFFENDING:
        return tuple(c for c in choices if c.group.startswith("youth") or not c.group)
    if column.field == "provider" and programme == Programme.ADULT_PROBATION:
        return tuple(c for c in choices if c.code != "yot")
    if column.field == "provider" and programme == Programme.YOUTH_OFFENDING:
        return tuple(c for c in choices if c.code in ("yot", "other"))
    return choices


def _fill_cases(cases: Worksheet, lists: Worksheet, programme: str | None) -> None:
    cases.freeze_panes = "A2"
    list_column = 0
    for number, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(number)
        header = cases.cell(row=1, column=number, value=column.label)
        header.font, header.fill, header.alignment = _HEADER_FONT, _HEADER_FILL, _WRAP
        cells = f"{letter}2:{letter}{LAST_ROW}"
        width = len(column.label) + 4
        if choices := _choices(column, programme):
            list_column += 1
            source = _write_list(lists, list_column, column.label, choices)
            _validate(cases, cells, DataValidation(
                type="list", formula1=source, allow_blank=True, showErrorMessage=True,
                errorTitle=column.label,
                error="Choose a value from the drop-down list (see the Guidance sheet)."))
            width = max(width, min(max(len(c.label) for c in choices) + 2, 45))
        elif column.field == "date_of_birth":
            cases.column_dimensions[letter].number_format = DATE_FORMAT
            earliest = (f"DATE(YEAR(TODAY())-{OLDEST_AGE_YEARS},"
                        "MONTH(TODAY()),DAY(TODAY()))")
            _validate(cases, cells, DataValidation(
                type="date", operator="between", formula1=earliest, formula2="TODAY()",
                allow_blank=True, showErrorMessage=True, errorTitle=column.label,
                error=f"Enter a date of birth as dd/mm/yyyy, not in the future and within "
                      f"the last {OLDEST_AGE_YEARS} years."))
            width = max(width, 14)
        elif column.field in TEXT_LIMITS:
            limit = TEXT_LIMITS[column.field]
            if column.field == "reference":
                # held as text, so a reference with leading zeros keeps them
                cases.column_dimensions[letter].number_format = "@"
            _validate(cases, cells, DataValidation(
                type="textLength", operator="lessThanOrEqual", formula1=str(limit),
                allow_blank=True, showErrorMessage=True, errorTitle=column.label,
                error=f"Use at most {limit} characters."))
            width = max(width, 18 if limit <= 60 else 30)
        cases.column_dimensions[letter].width = width


def _write_list(lists: Worksheet, number: int, title: str, choices: tuple[Choice, ...]) -> str:
    """Write one drop-down's values down a column of the Lists sheet; return its range."""
    lists.cell(row=1, column=number, value=title).font = _HEADER_FONT
    for row, choice in enumerate(choices, start=2):
        lists.cell(row=row, column=number, value=choice.label)
    letter = get_column_letter(number)
    lists.column_dimensions[letter].width = min(max(len(c.label) for c in choices) + 2, 60)
    return f"{quote_sheetname(LISTS_SHEET)}!${letter}$2:${letter}${len(choices) + 1}"


def _validate(sheet: Worksheet, cells: str, validation: DataValidation) -> None:
    validation.add(cells)
    sheet.add_data_validation(validation)


def _fill_guidance(guidance: Worksheet, programme: str | None) -> None:
    title = "Case list for inspection"
    if programme:
        title += f": {PROGRAMMES.label(programme).lower()}"
    lines = [
        (title,),
        ("Put one case on each row of the Cases sheet, starting in row 2. Leave the headings "
         "in row 1 as they are.",),
        ("The case reference is required and must be unique: the same reference twice is "
         "reported as a problem. Every other column may be left blank if it is not known.",),
        ("Dates: type the date of birth as day/month/year, for example 31/01/1990. "
         "1990-01-31 and 31 Jan 1990 are also accepted; month first (01/31/1990) is not.",),
        ("'Not recorded' and 'Prefer not to say' are different answers: 'Not recorded' means "
         "the case record holds nothing; 'Prefer not to say' means the person was asked and "
         "chose not to answer.",),
        (),
        ("Column", "Required", "What to enter", "Values"),
    ]
    for column in COLUMNS:
        choices = _choices(column, programme)
        if choices:
            values = "Choose from the drop-down list: " + "; ".join(c.label for c in choices)
        elif column.field == "date_of_birth":
            values = "A date, dd/mm/yyyy"
        else:
            values = f"Text, at most {TEXT_LIMITS.get(column.field, 200)} characters"
        lines.append((column.label, "Yes" if column.required else "No",
                      _WHAT_TO_ENTER[column.field], values))
    for line in lines:
        guidance.append(line)
    guidance["A1"].font = Font(bold=True, size=14)
    for cell in guidance[len(lines) - len(COLUMNS)]:
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
    for row in guidance.iter_rows(min_row=len(lines) - len(COLUMNS) + 1):
        for cell in row:
            cell.alignment = _WRAP
    for letter, width in zip("ABCD", (28, 10, 60, 70), strict=True):
        guidance.column_dimensions[letter].width = width
