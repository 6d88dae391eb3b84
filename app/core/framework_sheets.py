"""A question framework laid out as sheets of a workbook, the way people who write questions
build forms (in the manner of XLSForm), and back.

The sheets, each with its column names in row 1 (names are matched ignoring case, spaces
and underscores; a column whose name starts with "note" is the author's own and is left
alone):

- ``settings``: a ``setting`` and a ``value`` column; rows id, version, title, programme,
  description, source;
- ``sections``: one row per section, in the order of the case form;
- ``questions``: one row per question, in order, each naming its section;
- ``choices``: the named lists of options (and need-matrix rows): list, code, label,
  exclusive;
- ``reasons``: the named lists of reasons offered for a No: list, code, label;
- ``standards``: the standards the framework rates, and how each is rated.

Reading turns the sheets into the framework file format (``app.core.framework_loader``),
which checks it as it checks any framework; every problem, whichever finds it, is named by
sheet, row, column and the value there. Writing lays a framework file out the same way, so
writing and reading again gives the same framework.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from app.core.condition_text import condition_text, parse_condition_text
from app.core.conditions import ConditionSyntaxError
from app.core.framework_loader import FrameworkProblem, check_framework_data
from app.core.frameworks import FORMAT_VERSION, KEY_PATTERN, Framework, id_problem, version_problem

SETTINGS, SECTIONS, QUESTIONS = "settings", "sections", "questions"
CHOICES, REASONS, STANDARDS = "choices", "reasons", "standards"

#: each sheet's columns, in the order they are written
COLUMNS: dict[str, tuple[str, ...]] = {
    SETTINGS: ("setting", "value"),
    SECTIONS: ("key", "title", "stage", "theme", "respondent", "intro"),
    QUESTIONS: ("key", "section", "standard", "key_question", "type", "text", "guidance",
                "options", "rows", "rows_from", "reasons", "judgement", "evidence",
                "allow_not_applicable", "required", "respondent", "applies_if", "min", "max",
                "theme", "source", "ref", "reconstructed"),
    CHOICES: ("list", "code", "label", "exclusive"),
    REASONS: ("list", "code", "label"),
    STANDARDS: ("key", "title", "rated_by"),
}
REQUIRED_SHEETS = (SETTINGS, SECTIONS, QUESTIONS)
SETTING_NAMES = ("id", "version", "title", "programme", "description", "source")
#: the columns that must be filled on every row of a sheet
REQUIRED_CELLS = {SECTIONS: ("key",), QUESTIONS: ("key", "section"),
                  CHOICES: ("list", "code", "label"), REASONS: ("list", "code", "label"),
                  STANDARDS: ("key",)}
_FLAGS = {"key_question", "judgement", "allow_not_applicable", "required", "reconstructed",
          "exclusive"}
_WHOLE_NUMBERS = {"min", "max"}
#: columns whose values are codes from a fixed set, read whatever their capitals
_CODED = {"type", "stage", "respondent", "evidence", "rated_by"}
_FORMULA = "a formula: type the value itself (the framework is read from values, not formulas)"
_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0"}
#: the most rows a sheet may hold (a framework of some hundred questions uses a few hundred)
MOST_ROWS = 5_000


class FormulaText(str):
    """A cell that holds a formula (its text), not a value: a framework's cells hold values."""


@dataclass(frozen=True)
class Sheet:
    """One sheet as read: its name, its column names (row 1) and its rows below, each with
    its row number; blank rows are left out. ``cut_short``: reading stopped at the most
    rows a framework's sheet may hold."""

    name: str
    headers: tuple[object, ...]
    rows: tuple[tuple[int, tuple[object, ...]], ...]
    cut_short: bool = False


@dataclass(frozen=True)
class SheetProblem:
    """One problem, where it is: the sheet, the row (0 for the sheet as a whole), the column
    by its name (empty for a whole row or sheet), its letter, and what the cell holds."""

    sheet: str
    row: int
    column: str
    letter: str
    value: str
    message: str

    def __str__(self) -> str:
        where = f"sheet '{self.sheet}'"
        if self.row:
            where += f", row {self.row}"
        if self.column:
            where += f", column {self.letter} ({self.column})" if self.letter else \
                f", column {self.column}"
        shown = f" [{self.value}]" if self.value else ""
        return f"{where}{shown}: {self.message}"


def column_letter(number: int) -> str:
    """The spreadsheet letter of the column numbered from 1 (1 → A, 27 → AA)."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def column_name(header: object) -> str:
    """A column's name as matched: lower case, spaces and hyphens as underscores."""
    return "_".join(str(header or "").strip().lower().replace("-", " ").split())


def cell_text(value: object) -> str:
    """What a cell holds, as text: whole numbers without a decimal point, text trimmed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# ---------------------------------------------------------------------------------------
# Reading


class _Table:
    """A sheet's rows as cells by column name, and where each column is."""

    def __init__(self, sheet: Sheet, problems: list[SheetProblem]):
        self.sheet = sheet
        #: whether its rows can be read: every column its rows need is there, and it is not
        #: longer than a framework's sheet may be
        self.readable = not (len(sheet.rows) > MOST_ROWS or sheet.cut_short)
        self.name = column_name(sheet.name)
        known = COLUMNS[self.name]
        self.position: dict[str, int] = {}
        for number, header in enumerate(sheet.headers, start=1):
            name = column_name(header)
            if not name or name.startswith("note"):
                continue
            if name not in known:
                problems.append(SheetProblem(
                    sheet.name, 1, cell_text(header), column_letter(number), "",
                    f"'{cell_text(header)}' is not a column of this sheet (its columns: "
                    f"{', '.join(known)}; a column whose name starts with 'note' is kept "
                    "for your own notes)"))
            elif name in self.position:
                problems.append(SheetProblem(
                    sheet.name, 1, name, column_letter(number), "",
                    f"the column '{name}' appears twice (first as column "
                    f"{column_letter(self.position[name])})"))
            else:
                self.position[name] = number
        named = {number for number, header in enumerate(sheet.headers, start=1)
                 if column_name(header)}
        for number, cells in sheet.rows:
            unnamed = [at for at, value in enumerate(cells, start=1)
                       if at not in named and cell_text(value)]
            if unnamed:
                problems.append(SheetProblem(
                    sheet.name, number, "", column_letter(unnamed[0]),
                    cell_text(cells[unnamed[0] - 1]),
                    f"column {column_letter(unnamed[0])} holds values but has no name in "
                    "row 1: name it, or clear it"))
                break
        for required in REQUIRED_CELLS.get(self.name, ()) + (
                ("setting", "value") if self.name == SETTINGS else ()):
            if required not in self.position:
                self.readable = False
                problems.append(SheetProblem(
                    sheet.name, 1, required, "", "",
                    f"the sheet has no '{required}' column: row 1 names the columns"))

    def rows(self) -> list[tuple[int, dict[str, object]]]:
        found = []
        for number, cells in self.sheet.rows:
            found.append((number, {name: cells[at - 1] if at - 1 < len(cells) else None
                                   for name, at in self.position.items()}))
        return found

    def problem(self, row: int, column: str, value: object, message: str) -> SheetProblem:
        at = self.position.get(column)
        return SheetProblem(self.sheet.name, row, column,
                            column_letter(at) if at else "", cell_text(value), message)


@dataclass
class _Where:
    """Which row each part of the framework came from, to name a problem's cell."""

    settings: dict[str, int]
    sections: dict[str, int]
    questions: dict[str, int]
    lists: dict[str, int]
    reasons: dict[str, int]
    standards: dict[str, int]


def framework_from_sheets(sheets: Sequence[Sheet], filename: str
                          ) -> tuple[Framework | None, str, list[SheetProblem]]:
    """The framework the sheets lay out, its file text (what is stored and pinned), and
    every problem found, each naming its sheet, row, column and value. The framework and
    text only when there is no problem."""
    problems: list[SheetProblem] = []
    tables: dict[str, _Table] = {}
    for sheet in sheets:
        name = column_name(sheet.name)
        if name in tables:
            problems.append(SheetProblem(sheet.name, 0, "", "", "",
                                         f"two sheets are named '{name}' ('"
                                         f"{tables[name].sheet.name}' and '{sheet.name}'): "
                                         "keep one"))
        elif name in COLUMNS:
            tables[name] = _Table(sheet, problems)
    for name in REQUIRED_SHEETS:
        if name not in tables:
            problems.append(SheetProblem(name, 0, "", "", "",
                                         f"the workbook has no '{name}' sheet"))
    for table in tables.values():
        if len(table.sheet.rows) > MOST_ROWS or table.sheet.cut_short:
            problems.append(SheetProblem(table.sheet.name, 0, "", "", "",
                                         f"the sheet has more than {MOST_ROWS:,} rows, the most "
                                         "a framework's sheet may hold"))
    if any(name not in tables for name in REQUIRED_SHEETS) or not all(
            table.readable for table in tables.values()):
        return None, "", problems  # no sheet, or no column, to read the rest from
    data, where = _document(tables, problems)
    framework, found = check_framework_data(data, filename)
    problems.extend(_placed(found, tables, where))
    if problems:
        return None, "", _in_order(problems, sheets)
    text = framework_text(data)
    assert framework is not None
    return replace(framework, raw=text), text, []


def framework_text(data: Mapping) -> str:
    """A framework file's text, as the app writes one: the same document always gives the
    same text."""
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def _in_order(problems: list[SheetProblem], sheets: Sequence[Sheet]) -> list[SheetProblem]:
    order = {sheet.name: number for number, sheet in enumerate(sheets)}
    return sorted(problems, key=lambda p: (order.get(p.sheet, -1), p.row, p.letter))


def _document(tables: Mapping[str, _Table],
              problems: list[SheetProblem]) -> tuple[dict, _Where]:
    where = _Where({}, {}, {}, {}, {}, {})
    data: dict[str, object] = {"format": FORMAT_VERSION}
    data.update(_settings(tables[SETTINGS], where, problems))
    for name, field, rows_of in ((CHOICES, "lists", where.lists),
                                 (REASONS, "reason_sets", where.reasons)):
        if name in tables:
            data[field] = _named_lists(tables[name], rows_of, problems)
    if STANDARDS in tables and tables[STANDARDS].sheet.rows:  # none listed: any will do
        data["standards"] = _keyed(tables[STANDARDS], where.standards, "standard", problems)
    sections = {item["key"]: {**item, "questions": []}
                for item in _keyed(tables[SECTIONS], where.sections, "section", problems)}
    _questions(tables[QUESTIONS], sections, where, problems)
    data["sections"] = list(sections.values())
    return data, where


def _settings(table: _Table, where: _Where, problems: list[SheetProblem]) -> dict:
    found: dict[str, str] = {}
    for number, cells in table.rows():
        name = column_name(cells.get("setting"))
        if not name:
            if cell_text(cells.get("value")):
                problems.append(table.problem(number, "setting", "", "a value with no "
                                              "setting: say which setting it is"))
            continue
        if name not in SETTING_NAMES:
            problems.append(table.problem(
                number, "setting", cells.get("setting"),
                f"not a setting (the settings: {', '.join(SETTING_NAMES)})"))
        elif name in found:
            problems.append(table.problem(number, "setting", cells.get("setting"),
                                          f"'{name}' is set twice (first in row "
                                          f"{where.settings[name]})"))
        else:
            where.settings[name] = number
            value = cell_text(cells.get("value"))
            if name == "programme":
                value = value.lower()
            if isinstance(cells.get("value"), FormulaText):
                problems.append(table.problem(number, "value", cells["value"], _FORMULA))
                value = ""
            said = (id_problem(value) if name == "id" else
                    version_problem(value) if name == "version" and value else None)
            if said:
                problems.append(table.problem(number, "value", value, said))
            if value or name not in ("description", "source"):
                found[name] = value
    return found


def _named_lists(table: _Table, rows_of: dict[str, int],
                 problems: list[SheetProblem]) -> dict[str, list[dict]]:
    lists: dict[str, list[dict]] = {}
    codes: dict[tuple[str, str], int] = {}
    for number, cells in table.rows():
        if not _filled(table, number, cells, problems):
            continue
        name, code = cell_text(cells["list"]), cell_text(cells["code"])
        if not KEY_PATTERN.match(name) or len(name) > 60:
            problems.append(table.problem(number, "list", name,
                                          "a list's name is lower case letters, digits and "
                                          "'_' (at most 60), such as need_areas"))
            continue
        if (name, code) in codes:
            problems.append(table.problem(number, "code", code,
                                          f"the code is used twice in the list '{name}' "
                                          f"(first in row {codes[(name, code)]})"))
            continue
        codes[(name, code)] = number
        rows_of.setdefault(name, number)
        choice: dict[str, object] = {"code": code, "label": cell_text(cells["label"])}
        if "exclusive" in cells:
            exclusive = _flag(table, number, "exclusive", cells["exclusive"], problems)
            if exclusive:
                choice["exclusive"] = True
        lists.setdefault(name, []).append(choice)
    return lists


def _keyed(table: _Table, rows_of: dict[str, int], what: str,
           problems: list[SheetProblem]) -> list[dict]:
    """A sheet of keyed rows (sections, standards) as a framework file's items, each key
    once; ``rows_of`` learns the row of each key."""
    found: list[dict] = []
    for number, cells in table.rows():
        if not _filled(table, number, cells, problems):
            continue
        item = _fields(table, number, cells, COLUMNS[table.name], problems)
        if item["key"] in rows_of:
            problems.append(table.problem(number, "key", item["key"],
                                          f"this {what} key is used twice (first in row "
                                          f"{rows_of[item['key']]})"))
            continue
        rows_of[item["key"]] = number
        found.append(item)
    return found


def _questions(table: _Table, sections: dict[str, dict], where: _Where,
               problems: list[SheetProblem]) -> None:
    for number, cells in table.rows():
        if not _filled(table, number, cells, problems):
            continue
        names = [n for n in COLUMNS[QUESTIONS] if n != "section"]
        question = _fields(table, number, cells, names, problems)
        key, section = question["key"], cell_text(cells["section"])
        if key in where.questions:
            problems.append(table.problem(number, "key", key,
                                          f"this question key is used twice; keys must be "
                                          f"unique (first in row {where.questions[key]})"))
            continue
        if section not in sections:
            problems.append(table.problem(
                number, "section", section,
                "not a section on the sections sheet" + (
                    f" (its sections: {', '.join(sections)})" if sections else "")))
            continue
        where.questions[key] = number
        sections[section]["questions"].append(question)


def _filled(table: _Table, number: int, cells: Mapping[str, object],
            problems: list[SheetProblem]) -> bool:
    """Whether the row has every cell its sheet needs; says which it lacks."""
    formulas = [name for name, value in cells.items() if isinstance(value, FormulaText)]
    for name in formulas:
        problems.append(table.problem(number, name, cells[name], _FORMULA))
    if formulas:
        return False
    empty = [name for name in REQUIRED_CELLS[table.name] if not cell_text(cells.get(name))]
    for name in empty:
        problems.append(table.problem(number, name, "", f"the {name} is missing: every row "
                                      f"of this sheet needs one"))
    return not empty


def _fields(table: _Table, number: int, cells: Mapping[str, object], names: Sequence[str],
            problems: list[SheetProblem]) -> dict:
    """A row's filled cells as a framework file's fields (a blank cell says nothing)."""
    found: dict[str, object] = {}
    for name in names:
        value = cells.get(name)
        text = cell_text(value)
        if not text:
            continue
        if name in _FLAGS:
            flag = _flag(table, number, name, value, problems)
            if flag is not None:
                found[name] = flag
        elif name in _WHOLE_NUMBERS:
            whole = _whole_number(text)
            if whole is None:
                problems.append(table.problem(number, name, value, "must be a whole number"))
            else:
                found[name] = whole
        elif name == "applies_if":
            try:
                found[name] = parse_condition_text(text)
            except ConditionSyntaxError as exc:
                problems.append(table.problem(number, name, value, f"the rule cannot be "
                                              f"read: {exc}"))
        else:
            found[name] = text.lower() if name in _CODED else text
    return found


def _flag(table: _Table, number: int, name: str, value: object,
          problems: list[SheetProblem]) -> bool | None:
    text = cell_text(value).lower()
    if not text:
        return None
    if text in _YES:
        return True
    if text in _NO:
        return False
    problems.append(table.problem(number, name, value, "must be yes or no"))
    return None


def _whole_number(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


def _placed(found: Sequence[FrameworkProblem], tables: Mapping[str, _Table],
            where: _Where) -> list[SheetProblem]:
    """The framework checks' problems, each at the cell it is about."""
    placed = []
    for problem in found:
        place, field = problem.place, problem.field
        if place.part == "file":
            placed.append(_placed_setting(problem, tables, where))
            continue
        sheet, rows = {"section": (SECTIONS, where.sections),
                       "question": (QUESTIONS, where.questions),
                       "list": (CHOICES, where.lists),
                       "reason_set": (REASONS, where.reasons),
                       "standard": (STANDARDS, where.standards)}[place.part]
        table = tables[sheet]
        row = rows.get(place.key, 0)
        column = _column_for(place.part, field)
        if column not in COLUMNS[sheet]:  # a part of the file no column holds
            column = ""
        placed.append(table.problem(row, column, _cell(table, row, column) if row else "",
                                    _plain(problem.message)))
    return placed


def _placed_setting(problem: FrameworkProblem, tables: Mapping[str, _Table],
                    where: _Where) -> SheetProblem:
    name = problem.field
    if name == "sections":
        return tables[SECTIONS].problem(0, "", "", problem.message)
    row = where.settings.get(name, 0)
    table = tables[SETTINGS]
    if not row:
        return table.problem(0, "", "", f"the workbook sets no '{name}': add a row with "
                                        f"'{name}' and its value")
    return table.problem(row, "value", _cell(table, row, "value"), problem.message)


def _column_for(part: str, field: str) -> str:
    if part in ("list", "reason_set"):
        return field or "code"
    return field


def _plain(message: str) -> str:
    """A check's message in the workbook's words: without the framework file's own field
    prefix (the column says it), naming sheets, not the file's parts."""
    return (message.removeprefix("applies_if: ")
            .replace("which is not in 'lists'", "which is not a list on the choices sheet")
            .replace("which is not in 'reason_sets'",
                     "which is not a list on the reasons sheet")
            .replace("a section needs a non-empty list of questions",
                     "no question on the questions sheet names this section"))


def _cell(table: _Table, row: int, column: str) -> object:
    at = table.position.get(column)
    if not at:
        return ""
    for number, cells in table.sheet.rows:
        if number == row:
            return cells[at - 1] if at - 1 < len(cells) else ""
    return ""


# ---------------------------------------------------------------------------------------
# Writing


def framework_rows(data: Mapping) -> dict[str, list[list[object]]]:
    """A framework file's document (its parsed JSON) laid out as the sheets: each sheet's
    column names, then its rows. A list of options or reasons a question holds itself is
    written as a named list, named after the question."""
    lists = {name: list(items) for name, items in (data.get("lists") or {}).items()}
    reasons = {name: list(items) for name, items in (data.get("reason_sets") or {}).items()}
    sheets: dict[str, list[list[object]]] = {name: [list(columns)]
                                             for name, columns in COLUMNS.items()}
    for name in SETTING_NAMES:
        if name in data:
            sheets[SETTINGS].append([name, data[name]])
    for section in data.get("sections", []):
        sheets[SECTIONS].append([section.get(c, "") for c in COLUMNS[SECTIONS]])
        for question in section.get("questions", []):
            row = {**question, "section": section["key"]}
            for field, named in (("options", lists), ("rows", lists), ("reasons", reasons)):
                if isinstance(row.get(field), list):
                    row[field] = _named(named, question["key"], row[field])
            if "applies_if" in row:
                row["applies_if"] = condition_text(row["applies_if"])
            sheets[QUESTIONS].append([_written(row.get(c, "")) for c in COLUMNS[QUESTIONS]])
    for sheet, named in ((CHOICES, lists), (REASONS, reasons)):
        for name, items in named.items():
            for item in items:
                sheets[sheet].append([name, item["code"], item["label"]]
                                     + (["yes" if item.get("exclusive") else ""]
                                        if sheet == CHOICES else []))
    for standard in data.get("standards", []):
        sheets[STANDARDS].append([standard.get(c, "") for c in COLUMNS[STANDARDS]])
    return sheets


def _named(named: dict[str, list], key: str, items: list) -> str:
    """Name a question's own list after the question (or the list it repeats)."""
    for name, existing in named.items():
        if existing == items:
            return name
    name, number = key, 1
    while name in named:
        number += 1
        name = f"{key}_{number}"
    named[name] = list(items)
    return name


def _written(value: object) -> object:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value
