"""Each field of a change is held to the size and kind the laptop holds it to: the quick
look at the usual values (plain text, ids, reasons chosen) decides exactly as checking
every value in full does."""

from __future__ import annotations

import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from app.core import change_rules as rules
from app.sync.fields import _FIELDS, _value_problem, field_problem


def checked_in_full(entity: str, payload: object) -> str | None:
    kinds = _FIELDS.get(entity)
    if kinds is None:
        return f"'{entity}' is not a kind of record"
    if not isinstance(payload, dict):
        return "the change is not a record"
    missing = sorted(set(kinds) - set(payload) - rules.STAMPS)
    if missing:
        return f"the record is not whole (it has no {', '.join(missing)})"
    for key, value in payload.items():
        kind = kinds.get(key)
        if kind is None:
            return f"a {entity} record has no field '{key}'"
        if value is not None:
            problem = _value_problem(key, value, *kind)
            if problem:
                return problem
    return None


IDS = st.uuids().map(str) | st.sampled_from([
    "{12345678-1234-1234-1234-123456789abc}", "12345678123412341234123456789ABC", "not an id"])
SCALARS = (st.none() | st.booleans() | st.integers(-2**40, 2**40) | st.floats() | IDS
           | st.text(max_size=30) | st.sampled_from([
               "2026-12-06T23:00:00+00:00", "2026-12-06", "x" * 130, "é" * 25, "\ud800",
               "in_progress"]))
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
    st.text(max_size=5), inner, max_size=3), max_leaves=8)
KINDS = sorted(_FIELDS)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(KINDS).flatmap(lambda entity: st.tuples(
    st.just(entity), st.fixed_dictionaries({key: VALUES for key in _FIELDS[entity]}))))
def test_a_whole_record_is_judged_as_checking_every_value_does(record):
    entity, payload = record
    assert field_problem(entity, payload) == checked_in_full(entity, payload)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([*KINDS, "nonsense"]).flatmap(lambda entity: st.tuples(
    st.just(entity), st.dictionaries(st.sampled_from([*_FIELDS.get(entity, {}), "extra"]),
                                     VALUES) | VALUES)))
def test_any_payload_is_judged_as_checking_every_value_does(record):
    entity, payload = record
    assert field_problem(entity, payload) == checked_in_full(entity, payload)


def test_long_reasons_are_measured_as_json_writes_them():
    payload = {key: None for key in _FIELDS["answers"]}
    payload.update(id=str(uuid.uuid4()), case_id=str(uuid.uuid4()), question_key="q")
    payload["reasons"] = ["😀" * 3000] * 2  # 12,000 characters each once escaped
    assert field_problem("answers", payload) == checked_in_full("answers", payload) \
        == "its reasons is larger than 65,536 characters"
