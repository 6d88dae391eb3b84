"""Reading a provider's case list: which column is which, and what each cell means.

Before fieldwork the inspectorate receives the cases as a spreadsheet exported from the
provider's case management system. Each system names its columns and writes its codes in
its own way ("CRN" or "Case ref", "F" or "Female", "W1" or "White: Irish"), so headers and
coded values are matched on their letters and digits alone, ignoring case, spaces and
punctuation, against the labels people read, the stored codes and the other names lists give
them (``CaseListNames``, read from ``resources/case_lists/aliases.json``, which the
inspectorate may extend).

Every problem is collected with its spreadsheet row and the column as headed in the file,
so the whole list can be put right in one go. Nothing is stored here: ``app.io.case_lists``
reads the file and a service saves the cases, all or nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from app.core.month_names import MONTHS
from app.core.profile import (
    PROFILE_FIELDS,
    CaseProfile,
)
from app.core.vocab import Vocabulary
from app.errors import ValidationError

REFERENCE = "reference"
NOTES = "notes"
MAX_REFERENCE = 60
MAX_TEXT = 200
OLDEST_AGE_YEARS = 110
EXAMPLES = 3
SHOWN_CHARS = 100  # of a cell's text in a problem or an example


@dataclass(frozen=True)
class ImportColumn:
    """A column the app understands, with the other names case lists give it."""

    field: str
    label: str
    required: bool = False
    aliases: tuple[str, ...] = ()


#: the columns the app imports, in the order a template gives them (their other names are
#: in ``CaseListNames.columns``)
COLUMNS: tuple[ImportColumn, ...] = (
    ImportColumn(REFERENCE, "Case reference", True),
    *(ImportColumn(f.name, f.label) for f in PROFILE_FIELDS),
    ImportColumn(NOTES, "Notes"),
)
COLUMN_BY_FIELD = {c.field: c for c in COLUMNS}

# The longest text each free-text column may hold. The people named on a case are stored
# in columns of 120 characters; every other free text is held to MAX_TEXT.
TEXT_LIMITS = {REFERENCE: MAX_REFERENCE, "responsible_officer": 120, "assignee": 120,
               NOTES: MAX_TEXT}


def _fold(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def _unambiguous(pairs: Iterable[tuple[str, str]], what: str) -> dict[str, str]:
    index: dict[str, str] = {}
    for text, target in pairs:
        key = _fold(text)
        if key and index.setdefault(key, target) != target:
            raise ValueError(f"{what} '{text}' would mean both {index[key]} and {target}")
    return index


# ---------------------------------------------------------------------------------------
# Headers


@dataclass(frozen=True)
class HeaderMatch:
    """What one column of the header row was taken to be."""

    column_index: int  # 0-based position in the row
    header: str  # as written in the file
    field: str | None  # None: a column the app does not import


@dataclass(frozen=True)
class HeaderMapping:
    """The header row understood: a match per column, and what is missing or repeated."""

    matches: tuple[HeaderMatch, ...]
    missing_required: tuple[str, ...]  # fields
    duplicated: tuple[str, ...]  # fields headed by more than one column
    #: the names the headings were matched against (and the values will be)
    names: CaseListNames = dataclasses.field(repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return not self.missing_required and not self.duplicated


def map_headers(headers: Sequence[object], names: CaseListNames) -> HeaderMapping:
    """Which field each column holds, which required ones are missing and which repeat."""
    matches, seen, duplicated = [], set(), []
    for index, value in enumerate(headers):
        header = _cell_text(value)
        held = names.headings.get(_fold(header))
        if held is not None:
            if held in seen and held not in duplicated:
                duplicated.append(held)
            seen.add(held)
        matches.append(HeaderMatch(index, header, held))
    missing = tuple(c.field for c in COLUMNS if c.required and c.field not in seen)
    return HeaderMapping(tuple(matches), missing, tuple(duplicated), names)


def describe_mapping_problems(mapping: HeaderMapping) -> list[str]:
    """One sentence per missing or repeated column, for the person fixing the file."""
    lines = []
    for missing in mapping.missing_required:
        column = mapping.names.column(missing)
        also = f" (it may also be headed {', '.join(column.aliases[:5])})" \
            if column.aliases else ""
        lines.append(f"There is no '{column.label}' column{also}.")
    for repeated in mapping.duplicated:
        headers = [m.header for m in mapping.matches if m.field == repeated]
        lines.append(f"{len(headers)} columns hold the "
                     f"{COLUMN_BY_FIELD[repeated].label.lower()}: "
                     f"{', '.join(repr(h) for h in headers)}.")
    return lines


# ---------------------------------------------------------------------------------------
# Coded values: what each vocabulary accepts besides its codes and labels

@dataclass(frozen=True)
class CaseListNames:
    """The names a case list may give each column and each coded value, besides the app's
    own: each column with its other names, and what every name (folded) means."""

    columns: tuple[ImportColumn, ...]
    headings: Mapping[str, str]  # folded name -> field
    #: by vocabulary: folded name -> code, and the accepted values, as a problem says them
    values: Mapping[str, tuple[Mapping[str, str], str]]

    def column(self, field: str) -> ImportColumn:
        return next(c for c in self.columns if c.field == field)


def read_case_list_names(data: object, source: str) -> CaseListNames:
    """The names in ``data`` (``resources/case_lists/aliases.json`` as read): other names
    for each column (``headings``: field -> names), for each coded value (``values``:
    vocabulary -> code -> names), and the shorter names of the ethnic groups that lists
    put before a category (``ethnic_group_names.groups``: group -> names). Every problem
    is named, with ``source``; a name that would mean two things is one."""
    problems: list[str] = []

    def names_of(value: object, where: str) -> tuple[str, ...]:
        if isinstance(value, list) and all(isinstance(n, str) and n.strip() for n in value):
            return tuple(value)
        problems.append(f"{where}: not a list of names")
        return ()

    def section(value: object, where: str) -> dict:
        if isinstance(value, dict):
            return value
        problems.append(f"{where}: not a table of names")
        return {}

    top = section(data, "the file")
    fields = {c.field: c for c in COLUMNS}
    headings = section(top.get("headings", {}), "headings")
    problems += [f"headings: '{key}' is not a column the app imports"
                 for key in headings if key not in fields]
    columns = tuple(ImportColumn(c.field, c.label, c.required,
                                 names_of(headings.get(c.field, []), f"headings.{c.field}"))
                    for c in COLUMNS)
    vocabularies = {f.vocabulary.name: f.vocabulary for f in PROFILE_FIELDS
                    if f.vocabulary is not None}
    values = section(top.get("values", {}), "values")
    aliases: dict[str, dict[str, tuple[str, ...]]] = {}
    for name, codes in values.items():
        vocab = vocabularies.get(name)
        if vocab is None:
            problems.append(f"values: '{name}' is not a coded column")
            continue
        known = {c.code for c in vocab.choices}
        for code, listed in section(codes, f"values.{name}").items():
            if code in known:
                aliases.setdefault(name, {})[code] = names_of(listed, f"values.{name}.{code}")
            else:
                problems.append(f"values.{name}: '{code}' is not one of its codes")
    groups = {c.group for v in vocabularies.values() for c in v.choices if c.group}
    listed = section(section(top.get("ethnic_group_names", {}), "ethnic_group_names")
                     .get("groups", {}), "ethnic_group_names.groups")
    group_names = {}
    for group, names in listed.items():
        if group in groups:
            group_names[group] = names_of(names, f"ethnic_group_names.groups.{group}")
        else:
            problems.append(f"ethnic_group_names.groups: '{group}' is not an ethnic group")
    try:
        heading_index = _unambiguous(((name, c.field) for c in columns
                                      for name in (c.field, c.label, *c.aliases)), "Heading")
        value_index = {name: (_value_index(vocab, aliases.get(name, {}), group_names),
                              _accepted(vocab, aliases.get(name, {})))
                       for name, vocab in vocabularies.items()}
    except ValueError as exc:
        problems.append(str(exc))
    if problems:
        raise ValidationError(f"The names for case list columns and values in {source} "
                              "cannot be used.",
                              "Correct the file (or put back the one the app came with).",
                              details=problems)
    return CaseListNames(columns, MappingProxyType(heading_index),
                         MappingProxyType(value_index))


def _value_index(vocab: Vocabulary, aliases: Mapping[str, tuple[str, ...]],
                 group_names: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    pairs = []
    for choice in vocab.choices:
        names = (choice.code, choice.label, *aliases.get(choice.code, ()))
        pairs += [(name, choice.code) for name in names]
        for group in group_names.get(choice.group, ()):
            pairs += [(f"{group} {name}", choice.code) for name in names[1:]]
    return _unambiguous(pairs, f"The {vocab.name} value")


def _accepted(vocab: Vocabulary, aliases: Mapping[str, tuple[str, ...]]) -> str:
    """The expected text for an unknown value: every label, with its short code if it has one."""
    shown = []
    for choice in vocab.choices:
        short = [a for a in aliases.get(choice.code, ()) if len(a) <= 4 and a.isupper()
                 and f"({a})" not in choice.label]  # "… (NPS)" is not told twice
        shown.append(f"{choice.label} ({'/'.join(short)})" if short else choice.label)
    return "one of: " + "; ".join(shown)


# ---------------------------------------------------------------------------------------
# Cells


def _cell_text(value: object) -> str:
    """A cell as the person sees it, trimmed: 3.0 -> "3", a date cell -> "31/01/1990"."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        if value.time() == dt.time():
            return value.strftime("%d/%m/%Y")
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value).strip()


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_DAY_FIRST = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})" + _TIME)
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})" + _TIME)
_MONTH_NAMED = re.compile(r"(\d{1,2})[ -]([A-Za-z]{3,10})[ -](\d{4})" + _TIME)

DATE_FORMS = ("day/month/year such as 31/01/1990, 1990-01-31, 31 Jan 1990 or "
              "31 Ionawr 1990")
_UNREADABLE_DATE = f"a date written {DATE_FORMS} (month first is not accepted)"
_NO_SUCH_DATE = f"a date that exists, written {DATE_FORMS}"


def _parse_date(text: str) -> tuple[dt.date | None, str | None]:
    """A date from text, or None and what was expected instead."""
    if match := _DAY_FIRST.fullmatch(text):
        day, month, year = (int(g) for g in match.groups())
    elif match := _ISO.fullmatch(text):
        year, month, day = (int(g) for g in match.groups())
    elif (match := _MONTH_NAMED.fullmatch(text)) and match[2].casefold() in MONTHS:
        day, month, year = int(match[1]), MONTHS[match[2].casefold()], int(match[3])
    else:
        return None, _UNREADABLE_DATE
    if month > 12 and day <= 12:
        return None, _UNREADABLE_DATE  # month first: a guess we will not make
    try:
        return dt.date(year, month, day), None
    except ValueError:
        return None, _NO_SUCH_DATE


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


#: what check_rows makes of a blank cell (None, empty or spaces), which no reader is given
_BLANK = (None, "")

# A reader turns one non-blank cell into (value, None) or (None, what was expected).
_Reader = Callable[[object], tuple[object, str | None]]


def _memoised(read: _Reader) -> _Reader:
    """Case lists repeat the same few values thousands of times: read each once. A value is
    remembered by a key that keeps TRUE apart from 1, and a date from a datetime."""
    seen: dict[object, tuple[object, str | None]] = {}

    def remembered(value: object) -> tuple[object, str | None]:
        key = value if value.__class__ is str else (value.__class__, str(value))
        try:
            return seen[key]
        except KeyError:
            result = seen[key] = read(value)
            return result

    remembered.seen, remembered.read = seen, read  # for check_rows, which looks itself
    return remembered


def _coded_reader(vocab: Vocabulary, names: CaseListNames) -> _Reader:
    index, expected = names.values[vocab.name]

    def read(value: object) -> tuple[object, str | None]:
        code = index.get(_fold(_cell_text(value)))
        return (code, None) if code else (None, expected)

    return _memoised(read)


def _date_of_birth_reader(today: dt.date) -> _Reader:
    earliest = _years_before(today, OLDEST_AGE_YEARS)

    def read(value: object) -> tuple[object, str | None]:
        if isinstance(value, dt.datetime):
            day, expected = value.date(), None
        elif isinstance(value, dt.date):
            day, expected = value, None
        elif isinstance(value, str):
            day, expected = _parse_date(value.strip())
        else:  # a number or a time: a serial number is a guess we will not make
            day, expected = None, _UNREADABLE_DATE
        if day is not None and day > today:
            day, expected = None, "a date of birth that is not in the future"
        elif day is not None and day < earliest:
            day, expected = None, f"a date of birth within the last {OLDEST_AGE_YEARS} years"
        return day, expected

    return _memoised(read)


def _text_reader(limit: int) -> _Reader:
    expected = f"text of at most {limit} characters"

    def read(value: object) -> tuple[object, str | None]:
        text = value.strip() if isinstance(value, str) else _cell_text(value)
        return (text, None) if len(text) <= limit else (None, expected)

    return read


def _readers(today: dt.date, names: CaseListNames) -> dict[str, _Reader]:
    readers: dict[str, _Reader] = {REFERENCE: _text_reader(TEXT_LIMITS[REFERENCE])}
    for field in PROFILE_FIELDS:
        if field.vocabulary is not None:
            readers[field.name] = _coded_reader(field.vocabulary, names)
        elif field.is_date:
            readers[field.name] = _date_of_birth_reader(today)
        else:
            readers[field.name] = _text_reader(TEXT_LIMITS.get(field.name, MAX_TEXT))
    readers[NOTES] = _text_reader(TEXT_LIMITS[NOTES])
    return readers


# ---------------------------------------------------------------------------------------
# Rows


@dataclass(frozen=True)
class RowProblem:
    """One cell that cannot be imported, and what it should hold instead."""

    row: int  # the spreadsheet row number, as Excel shows it
    column: str  # the header as written in the file
    value: str  # the cell as text, trimmed
    expected: str


@dataclass(frozen=True)
class ImportedCase:
    """A row read without problems: a case ready to be added to the inspection."""

    row: int
    reference: str
    profile: CaseProfile
    notes: str


@dataclass(frozen=True)
class ColumnReport:
    """How one column of the file was understood, for the preview before import."""

    header: str
    field: str | None
    label: str  # the app's name for the field, or "Not imported"
    examples: tuple[str, ...]  # the first few different values in it


@dataclass(frozen=True)
class CaseListCheck:
    """Everything found in a case list's rows, for the preview and for the import."""

    cases: tuple[ImportedCase, ...]  # rows without problems, in file order
    problems: tuple[RowProblem, ...]  # every problem, by row then column
    columns: tuple[ColumnReport, ...]
    rows_read: int  # rows below the header, blank ones included
    blank_rows: int

    @property
    def ok(self) -> bool:
        return not self.problems


def check_rows(mapping: HeaderMapping, rows: Iterable[tuple[int, Sequence[object]]], *,
               today: dt.date | None = None) -> CaseListCheck:
    """Read every row below the header into a case, or into problems naming row and column.

    ``rows`` gives each row's spreadsheet number and its cells. Blank rows are skipped and
    counted; a row with any problem gives no case. Dates of birth are checked against
    ``today`` (the date now, unless given). Raises ``ValidationError`` if the header itself
    is unusable (``mapping.ok`` is false): no case reference column, or a field twice.
    """
    if not mapping.ok:
        raise ValidationError("The case list's column headings cannot be used.",
                              "Correct the headings and load the file again.",
                              details=describe_mapping_problems(mapping))
    readers = _readers(today or dt.date.today(), mapping.names)
    # each column read, with the values its reader has read so far if it remembers them
    used = [(m.column_index, m.header, m.field,
             getattr(readers[m.field], "read", readers[m.field]),
             getattr(readers[m.field], "seen", None))
            for m in mapping.matches if m.field is not None]
    reference_at = next(i for i, (_, _, field, _, _) in enumerate(used) if field == REFERENCE)
    examples: list[list[str]] = [[] for _ in mapping.matches]
    wanted = list(range(len(mapping.matches)))  # columns still short of examples
    first_row: dict[str, int] = {}
    cases: list[ImportedCase] = []
    problems: list[RowProblem] = []
    rows_read = blank_rows = 0

    reference_index = used[reference_at][0]
    for number, cells in rows:
        rows_read += 1
        width = len(cells)
        # a row with a case reference is not blank: the rest are looked at only without one
        if (reference_index >= width or _is_blank(cells[reference_index])) \
                and all(_is_blank(v) for v in cells):
            blank_rows += 1
            continue
        if wanted:
            wanted = _collect_examples(mapping, cells, examples, wanted)
        values: dict[str, object] = {}
        row_problems = []
        for position, (index, header, field, read, seen) in enumerate(used):
            cell = cells[index] if index < width else None
            text = cell.__class__ is str
            if seen is None or cell is None or (text and not cell):
                found = _BLANK if cell is None or (text and not cell.strip()) else read(cell)
            else:  # as the reader's own memory (``_memoised``), without calling it
                key = cell if text else (cell.__class__, str(cell))
                found = seen.get(key)
                if found is None:
                    found = seen[key] = _BLANK if text and not cell.strip() else read(cell)
            if found is _BLANK:
                if position == reference_at:
                    row_problems.append(RowProblem(number, header, "",
                                                   "a case reference, such as the CRN"))
                continue
            value, expected = found
            if expected is not None:
                row_problems.append(RowProblem(number, header, _shown(cell), expected))
            elif position == reference_at and (earlier := _earlier(first_row, value, number)):
                row_problems.append(RowProblem(
                    number, header, value,
                    f"a reference used only once (row {earlier} has the same reference)"))
            else:
                values[field] = value
        if row_problems:
            problems += row_problems
            continue
        cases.append(ImportedCase(number, values.pop(REFERENCE), CaseProfile(**{
            k: v for k, v in values.items() if k != NOTES}), values.get(NOTES, "")))

    columns = tuple(ColumnReport(
        m.header, m.field, COLUMN_BY_FIELD[m.field].label if m.field else "Not imported",
        tuple(found)) for m, found in zip(mapping.matches, examples, strict=True))
    return CaseListCheck(tuple(cases), tuple(problems), columns, rows_read, blank_rows)


def _shown(cell: object) -> str:
    """The cell as text for a problem report; very long text is cut short."""
    text = _cell_text(cell)
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "…"


def _earlier(first_row: dict[str, int], reference: object, number: int) -> int | None:
    """The row where ``reference`` was first seen, if not this one; references that
    differ only in letter case are the same case."""
    key = str(reference).casefold()
    earlier = first_row.setdefault(key, number)
    return earlier if earlier != number else None


def _collect_examples(mapping: HeaderMapping, cells: Sequence[object],
                      examples: list[list[str]], wanted: list[int]) -> list[int]:
    still = []
    for i in wanted:
        index = mapping.matches[i].column_index
        text = _shown(cells[index]) if index < len(cells) else ""
        if text and text not in examples[i]:
            examples[i].append(text)
        if len(examples[i]) < EXAMPLES:
            still.append(i)
    return still
