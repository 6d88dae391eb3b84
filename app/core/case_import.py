"""Reading a provider's case list: which column is which, and what each cell means.

Before fieldwork the inspectorate receives the cases as a spreadsheet exported from the
provider's case management system. Each system names its columns and writes its codes in
its own way ("CRN" or "Case ref", "F" or "Female", "W1" or "White: Irish"), so headers and
coded values are matched on their letters and digits alone, ignoring case, spaces and
punctuation, against the labels people read, the stored codes and the common aliases below.

Every problem is collected with its spreadsheet row and the column as headed in the file,
so the whole list can be put right in one go. Nothing is stored here: ``app.io.case_lists``
reads the file and a service saves the cases, all or nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from app.core.profile import (
    DISABILITY,
    ETHNICITY,
    GENDER,
    MAPPA,
    PHASE,
    PROFILE_FIELDS,
    PROVIDER,
    RISK_LEVEL,
    SENTENCE_TYPE,
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


_HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    REFERENCE: ("CRN", "case reference", "case ref", "case id", "case number", "case no",
                "reference", "ref", "URN"),
    "provider": ("provider", "agency", "allocated agency", "organisation", "organization",
                 "provider name"),
    "sentence_type": ("sentence", "sentence type", "order type", "disposal", "disposal type",
                      "type of sentence", "type of order", "sentence or disposal"),
    "phase": ("phase", "custody or community", "custody/community", "stage of sentence"),
    "gender": ("gender", "sex", "gender identity"),
    "ethnicity": ("ethnicity", "ethnic group", "ethnic origin", "race/ethnicity",
                  "ethnic background"),
    "date_of_birth": ("DOB", "date of birth", "birth date", "birthdate"),
    "rosh": ("RoSH", "risk of serious harm", "RoSH level", "risk level", "RoSH rating",
             "risk of serious harm level"),
    "mappa": ("MAPPA", "MAPPA level"),
    "vulnerability": ("vulnerability", "vulnerability level", "safety and wellbeing",
                      "safety and well-being"),
    "disability": ("disability", "disabled", "has a disability"),
    "responsible_officer": ("responsible officer", "offender manager", "case manager",
                            "practitioner", "probation practitioner", "case worker",
                            "caseworker", "officer"),
    "assignee": ("inspector", "assigned inspector", "assignee", "assigned to"),
    NOTES: ("notes", "note", "comments", "comment"),
}

COLUMNS: tuple[ImportColumn, ...] = (
    ImportColumn(REFERENCE, "Case reference", True, _HEADER_ALIASES[REFERENCE]),
    *(ImportColumn(f.name, f.label, False, _HEADER_ALIASES[f.name]) for f in PROFILE_FIELDS),
    ImportColumn(NOTES, "Notes", False, _HEADER_ALIASES[NOTES]),
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


_HEADER_INDEX = _unambiguous(
    ((name, c.field) for c in COLUMNS for name in (c.field, c.label, *c.aliases)), "Heading")


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

    @property
    def ok(self) -> bool:
        return not self.missing_required and not self.duplicated


def map_headers(headers: Sequence[object]) -> HeaderMapping:
    """Which field each column holds, which required ones are missing and which repeat."""
    matches, seen, duplicated = [], set(), []
    for index, value in enumerate(headers):
        header = _cell_text(value)
        field = _HEADER_INDEX.get(_fold(header))
        if field is not None:
            if field in seen and field not in duplicated:
                duplicated.append(field)
            seen.add(field)
        matches.append(HeaderMatch(index, header, field))
    missing = tuple(c.field for c in COLUMNS if c.required and c.field not in seen)
    return HeaderMapping(tuple(matches), missing, tuple(duplicated))


def describe_mapping_problems(mapping: HeaderMapping) -> list[str]:
    """One sentence per missing or repeated column, for the person fixing the file."""
    lines = []
    for field in mapping.missing_required:
        column = COLUMN_BY_FIELD[field]
        lines.append(f"There is no '{column.label}' column (it may also be headed "
                     f"{', '.join(column.aliases[:5])}).")
    for field in mapping.duplicated:
        headers = [m.header for m in mapping.matches if m.field == field]
        lines.append(f"{len(headers)} columns hold the {COLUMN_BY_FIELD[field].label.lower()}: "
                     f"{', '.join(repr(h) for h in headers)}.")
    return lines


# ---------------------------------------------------------------------------------------
# Coded values: what each vocabulary accepts besides its codes and labels

_NOT_RECORDED = ("not recorded", "not known", "not stated", "unknown", "NK")
_PREFER_NOT_TO_SAY = ("prefer not to say", "refused", "declined", "not disclosed")

_VALUE_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    PROVIDER.name: {
        "nps": ("NPS", "National Probation Service"),
        "crc": ("CRC", "Community Rehabilitation Company"),
        "probation_service": ("Probation Service", "PS", "The Probation Service", "HMPPS"),
        "yot": ("YOT", "YOS", "Youth Offending Team", "Youth Offending Service",
                "YJS", "Youth Justice Service"),
        "other": ("other",),
    },
    SENTENCE_TYPE.name: {
        "community_order": ("CO", "community order"),
        "suspended_sentence_order": ("SSO", "SSSO", "suspended sentence order",
                                     "suspended sentence supervision order",
                                     "suspended sentence"),
        "licence": ("licence", "license", "licence post release", "post release licence"),
        "post_sentence_supervision": ("PSS", "post sentence supervision"),
        "referral_order": ("referral order",),
        "youth_rehabilitation_order": ("YRO", "youth rehabilitation order"),
        "yro_iss": ("YRO with ISS", "YRO ISS", "YRO (ISS)", "YRO with intensive supervision",
                    "youth rehabilitation order with ISS"),
        "detention_training_order": ("DTO", "detention and training order",
                                     "detention & training order"),
        "custodial_sentence": ("custodial sentence", "custody"),
        "youth_conditional_caution": ("YCC", "youth conditional caution"),
        "youth_caution": ("YC", "youth caution"),
        "community_resolution": ("community resolution", "CR"),
        "other": ("other",),
    },
    PHASE.name: {
        "community": ("community", "in the community"),
        "custody": ("custody", "in custody", "custodial"),
        "licence": ("licence", "license", "on licence", "on license", "post-release",
                    "post release", "released on licence"),
    },
    GENDER.name: {
        "male": ("M", "male", "man"),
        "female": ("F", "female", "woman"),
        "other": ("other", "another gender identity", "non-binary", "nonbinary"),
        "not_recorded": _NOT_RECORDED,
    },
    RISK_LEVEL.name: {
        "low": ("L", "low"),
        "medium": ("M", "medium", "med"),
        "high": ("H", "high"),
        "very_high": ("VH", "very high"),
        "not_recorded": _NOT_RECORDED,
    },
    MAPPA.name: {
        "none": ("none", "n/a", "no", "not MAPPA", "not managed under MAPPA", "non MAPPA"),
        "level_1": ("1", "level 1", "L1", "MAPPA 1", "MAPPA level 1"),
        "level_2": ("2", "level 2", "L2", "MAPPA 2", "MAPPA level 2"),
        "level_3": ("3", "level 3", "L3", "MAPPA 3", "MAPPA level 3"),
        "not_recorded": _NOT_RECORDED,
    },
    DISABILITY.name: {
        "yes": ("Y", "yes", "true", "disabled"),
        "no": ("N", "no", "false", "not disabled"),
        "not_recorded": _NOT_RECORDED,
        "prefer_not_to_say": _PREFER_NOT_TO_SAY,
    },
    # Ethnicity. Besides the 2021 census labels, with or without their group ("White: Irish",
    # "White - Irish", "Irish"), case management systems export the census-style codes:
    #   W1 British, W2 Irish, W3 Gypsy or Irish Traveller, W4 Roma, W9 any other White;
    #   M1 White and Black Caribbean, M2 White and Black African, M3 White and Asian,
    #   M9 any other Mixed; A1 Indian, A2 Pakistani, A3 Bangladeshi, A4 Chinese,
    #   A9 any other Asian; B1 Caribbean, B2 African, B9 any other Black;
    #   O1 Chinese (the 2001 codes put Chinese under "Other"; 2011 and 2021 put it under
    #   Asian, so O1 joins A4), O2 Arab, O9 any other ethnic group; NS not stated.
    # A group on its own ("White", "Asian") is refused: it cannot be placed in one category.
    ETHNICITY.name: {
        "white_british": ("W1", "British", "White British", "English", "Welsh", "Scottish",
                          "Northern Irish", "White English"),
        "white_irish": ("W2", "Irish"),
        "white_gypsy_traveller": ("W3", "Gypsy or Irish Traveller", "Gypsy", "Irish Traveller",
                                  "Traveller", "Gypsy/Traveller"),
        "white_roma": ("W4", "Roma"),
        "white_other": ("W9", "Any other White background", "other White", "White other",
                        "any other White"),
        "mixed_white_black_caribbean": ("M1",),
        "mixed_white_black_african": ("M2",),
        "mixed_white_asian": ("M3",),
        "mixed_other": ("M9", "other Mixed", "Mixed other", "any other Mixed",
                        "any other mixed background"),
        "asian_indian": ("A1",),
        "asian_pakistani": ("A2",),
        "asian_bangladeshi": ("A3",),
        "asian_chinese": ("A4", "O1", "Other: Chinese", "Other ethnic group: Chinese"),
        "asian_other": ("A9", "other Asian", "Asian other", "any other Asian"),
        "black_caribbean": ("B1",),
        "black_african": ("B2",),
        "black_other": ("B9", "other Black", "Black other", "any other Black",
                        "any other Black background"),
        "other_arab": ("O2",),
        "other_any": ("O9", "any other ethnic group", "other ethnic group", "any other"),
        "not_recorded": (*_NOT_RECORDED, "NS"),
        "prefer_not_to_say": _PREFER_NOT_TO_SAY,
    },
}

# The shorter names of the census groups that lists put before a category ("Asian - Indian").
_ETHNIC_GROUP_NAMES = {
    "Asian or Asian British": ("Asian", "Asian British", "Asian or Asian British"),
    "Black, Black British, Caribbean or African": (
        "Black", "Black British", "Black or Black British",
        "Black, Black British, Caribbean or African"),
    "Mixed or multiple ethnic groups": ("Mixed", "Mixed or multiple", "Mixed/multiple",
                                        "Mixed or multiple ethnic groups", "Mixed ethnic group"),
    "White": ("White",),
    "Other ethnic group": ("Other", "Other ethnic group"),
}


def _value_index(vocab: Vocabulary) -> dict[str, str]:
    aliases = _VALUE_ALIASES.get(vocab.name, {})
    pairs = []
    for choice in vocab.choices:
        names = (choice.code, choice.label, *aliases.get(choice.code, ()))
        pairs += [(name, choice.code) for name in names]
        for group in _ETHNIC_GROUP_NAMES.get(choice.group, ()):
            pairs += [(f"{group} {name}", choice.code) for name in names[1:]]
    return _unambiguous(pairs, f"The {vocab.name} value")


def _accepted(vocab: Vocabulary) -> str:
    """The expected text for an unknown value: every label, with its short code if it has one."""
    aliases = _VALUE_ALIASES.get(vocab.name, {})
    shown = []
    for choice in vocab.choices:
        short = [a for a in aliases.get(choice.code, ()) if len(a) <= 4 and a.isupper()]
        shown.append(f"{choice.label} ({'/'.join(short)})" if short else choice.label)
    return "one of: " + "; ".join(shown)


# Each vocabulary's lookup (folded text -> code) and its list of accepted values, built once;
# building them also proves that no alias means two different things.
_VALUE_INDEX = {field.vocabulary.name: (_value_index(field.vocabulary), _accepted(field.vocabulary))
                for field in PROFILE_FIELDS if field.vocabulary is not None}


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


_MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august",
                "september", "october", "november", "december")
_MONTHS = {**{name: n for n, name in enumerate(_MONTH_NAMES, start=1)},
           **{name[:3]: n for n, name in enumerate(_MONTH_NAMES, start=1)}, "sept": 9}
_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_DAY_FIRST = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})" + _TIME)
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})" + _TIME)
_MONTH_NAMED = re.compile(r"(\d{1,2})[ -]([A-Za-z]{3,9})[ -](\d{4})" + _TIME)

DATE_FORMS = "day/month/year such as 31/01/1990, 1990-01-31 or 31 Jan 1990"
_UNREADABLE_DATE = f"a date written {DATE_FORMS} (month first is not accepted)"
_NO_SUCH_DATE = f"a date that exists, written {DATE_FORMS}"


def _parse_date(text: str) -> tuple[dt.date | None, str | None]:
    """A date from text, or None and what was expected instead."""
    if match := _DAY_FIRST.fullmatch(text):
        day, month, year = (int(g) for g in match.groups())
    elif match := _ISO.fullmatch(text):
        year, month, day = (int(g) for g in match.groups())
    elif (match := _MONTH_NAMED.fullmatch(text)) and match[2].casefold() in _MONTHS:
        day, month, year = int(match[1]), _MONTHS[match[2].casefold()], int(match[3])
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


def _memo_key(value: object) -> object:
    """A dictionary key for a cell that keeps TRUE apart from 1, and a date from a datetime."""
    return value if value.__class__ is str else (value.__class__, str(value))


# A reader turns one non-blank cell into (value, None) or (None, what was expected).
_Reader = Callable[[object], tuple[object, str | None]]


def _memoised(read: _Reader) -> _Reader:
    """Case lists repeat the same few values thousands of times: read each once."""
    seen: dict[object, tuple[object, str | None]] = {}

    def remembered(value: object) -> tuple[object, str | None]:
        key = _memo_key(value)
        try:
            return seen[key]
        except KeyError:
            result = seen[key] = read(value)
            return result

    return remembered


def _coded_reader(vocab: Vocabulary) -> _Reader:
    index, expected = _VALUE_INDEX[vocab.name]

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


def _readers(today: dt.date) -> dict[str, _Reader]:
    readers: dict[str, _Reader] = {REFERENCE: _text_reader(TEXT_LIMITS[REFERENCE])}
    for field in PROFILE_FIELDS:
        if field.vocabulary is not None:
            readers[field.name] = _coded_reader(field.vocabulary)
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
    readers = _readers(today or dt.date.today())
    used = [(m.column_index, m.header, m.field, readers[m.field])
            for m in mapping.matches if m.field is not None]
    reference_at = next(i for i, (_, _, field, _) in enumerate(used) if field == REFERENCE)
    examples: list[list[str]] = [[] for _ in mapping.matches]
    wanted = list(range(len(mapping.matches)))  # columns still short of examples
    first_row: dict[str, int] = {}
    cases: list[ImportedCase] = []
    problems: list[RowProblem] = []
    rows_read = blank_rows = 0

    for number, cells in rows:
        rows_read += 1
        if all(_is_blank(v) for v in cells):
            blank_rows += 1
            continue
        width = len(cells)
        if wanted:
            wanted = _collect_examples(mapping, cells, examples, wanted)
        values: dict[str, object] = {}
        row_problems = []
        for position, (index, header, field, read) in enumerate(used):
            cell = cells[index] if index < width else None
            if _is_blank(cell):
                if position == reference_at:
                    row_problems.append(RowProblem(number, header, "",
                                                   "a case reference, such as the CRN"))
                continue
            value, expected = read(cell)
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
