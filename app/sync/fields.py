"""What the values of a change sent to the central store may be: the same limits as the
laptop's own columns, each field checked by its kind (an id, text of at most so many
characters, a whole number within 32 bits, a moment, JSON of at most so much), before any
rule looks at the change."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
import uuid

from sqlalchemy import Boolean, Date, DateTime, Integer, String, Table, Text, Uuid

from app.core import change_rules as rules
from app.core.answers import MAX_TEXT as MAX_ANSWER_TEXT
from app.db.types import UtcDateTime
from app.sync.apply import TABLES
from app.sync.protocol import Change

#: Free text without a length of its own is held to this many characters (a framework's
#: content excepted, which may be long), and a structured value to this much JSON.
MOST_TEXT = 100_000
MOST_FRAMEWORK = 2_000_000
MOST_JSON = 64 * 1024
#: What a change may do to its record.
OPS = frozenset({"insert", "update", "delete"})
#: Columns naming another record.
REFERENCES = ("case_id", "inspection_id", "sample_id", "other_case_id", "framework_id",
              "query_id")
_ID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_LONGER = {("frameworks", "content"): MOST_FRAMEWORK, ("answers", "evidence"): MAX_ANSWER_TEXT}


def _field_kinds(entity: str, table: Table) -> dict[str, tuple[str, int]]:
    """Each field of a kind of record: how it is checked, and its greatest length."""
    kinds = {}
    for column in table.columns:
        key, kind = column.key, column.type
        if key in REFERENCES or isinstance(kind, Uuid):
            kinds[key] = ("id", 0)
        elif isinstance(kind, Text):
            kinds[key] = ("text", _LONGER.get((entity, key), MOST_TEXT))
        elif isinstance(kind, String):
            kinds[key] = ("text", kind.length or MOST_TEXT)
        elif isinstance(kind, Boolean):
            kinds[key] = ("bool", 0)
        elif isinstance(kind, Integer):
            kinds[key] = ("int", 0)
        elif isinstance(kind, Date | DateTime | UtcDateTime):
            kinds[key] = ("time", 0)
        else:
            kinds[key] = ("json", MOST_JSON)
    return kinds


_FIELDS = {entity: _field_kinds(entity, table) for entity, table in TABLES.items()}
#: the fields each kind of record must have (its own bookkeeping is stamped by the store)
_REQUIRED = {entity: frozenset(kinds) - rules.STAMPS for entity, kinds in _FIELDS.items()}


def field_problem(entity: str, payload: object) -> str | None:
    """Why a change's values cannot be stored (the same limits as the laptop's columns), or
    None. A change carries its whole record, as the laptop sends it."""
    kinds = _FIELDS.get(entity)
    if kinds is None:
        return f"'{entity}' is not a kind of record"
    if not isinstance(payload, dict):
        return "the change is not a record"
    missing = _REQUIRED[entity] - payload.keys()
    if missing:
        return f"the record is not whole (it has no {', '.join(sorted(missing))})"
    for key, value in payload.items():
        kind = kinds.get(key)
        if kind is None:
            return f"a {entity} record has no field '{key}'"
        if value is None:
            continue
        how, most = kind
        kind_of_value = type(value)
        # the usual values, seen to be sound at a glance (anything else is looked at in full)
        if kind_of_value is str:
            if how == "text":
                if len(value) <= most and value.isascii() and "\x00" not in value:
                    continue
            elif how == "id":
                if _ID.fullmatch(value):
                    continue
            elif how == "json":
                if len(value) <= most and "\x00" not in value:
                    continue
            elif how == "time":
                with contextlib.suppress(ValueError):
                    dt.datetime.fromisoformat(value)
                    continue
        elif kind_of_value is int or kind_of_value is bool or kind_of_value is float:
            if how == "json" or (how == "int" and kind_of_value is int
                                 and -_WHOLE < value < _WHOLE) or \
                    (how == "bool" and kind_of_value is bool):
                continue
        elif kind_of_value is list and how == "json" and _short_texts(value, most):
            continue  # reasons chosen
        problem = _value_problem(key, value, how, most)
        if problem:
            return problem
    return None


def _short_texts(values: list, most: int) -> bool:
    """Whether ``values`` are texts that ``json.dumps`` certainly writes in at most ``most``
    characters (a character takes at most twelve, escaped as a surrogate pair)."""
    return (not values or set(map(type, values)) == {str}) and \
        2 + 12 * sum(map(len, values)) + 4 * len(values) <= most and \
        not any("\x00" in v for v in values)


#: a whole number is held to 32 bits
_WHOLE = 2**31


def _value_problem(key: str, value: object, how: str, most: int) -> str | None:
    if how == "text":
        if not isinstance(value, str):
            return f"its {key} is not text"
        if len(value) > most:
            return f"its {key} is longer than {most:,} characters"
        if "\x00" in value:
            return f"its {key} holds a NUL character, which text cannot"
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return f"its {key} is not text"
    elif how == "id":
        if not (isinstance(value, str) and _ID.fullmatch(value)):
            try:
                uuid.UUID(str(value))
            except ValueError:
                return f"its {key} is not an id"
    elif how == "bool":
        if not isinstance(value, bool):
            return f"its {key} is not true or false"
    elif how == "int":
        if not isinstance(value, int) or isinstance(value, bool) or abs(value) >= 2**31:
            return f"its {key} is not a whole number"
    elif how == "time":
        try:
            dt.datetime.fromisoformat(value)
        except (TypeError, ValueError):
            return f"its {key} is not a date or time"
    elif isinstance(value, str | dict | list):
        try:
            written = value if isinstance(value, str) else json.dumps(value)
        except (TypeError, ValueError, RecursionError):
            return f"its {key} is not JSON"
        if "\x00" in written or "\\u0000" in written:
            return f"its {key} holds a NUL character, which text cannot"
        size = len(written)
        if size > most:
            return f"its {key} is larger than {most:,} characters"
    return None


def malformed(change: Change) -> str | None:
    """Why a change cannot even be judged (what it does, its JSON, its values), or None."""
    if change.op not in OPS:
        return f"'{change.op}' is not something a change does"
    try:
        payload = change.payload
    except ValueError:
        return "the change is not JSON"
    problem = field_problem(change.entity, payload)
    if problem is None and payload.get("id") not in (None, str(change.entity_id)):
        problem = "the change names another record than its own"
    return problem
