"""A change's payload: kept as the outbox's JSON text until something reads it; and JSON
written quickly, exactly as it was written before."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest

from app.sync.protocol import (
    APPLIED,
    CONFLICT,
    KEYS_WHEN_ASKED,
    Change,
    Outcome,
    json_text,
    outcome_to_wire,
    outcomes_text,
)

IDS = (uuid.uuid4(), "answers", uuid.uuid4(), "update", 3, 4)


def test_a_change_from_the_outbox_reads_its_payload_only_when_asked():
    text = json.dumps({"question_key": "1.1", "value": "yes", "evidence": "Seen\nat home"})
    change = Change(*IDS, text=text, keys="question_key,value,evidence")
    assert change.text is text and change.keys == "question_key,value,evidence"
    assert change.payload == {"question_key": "1.1", "value": "yes",
                              "evidence": "Seen\nat home"}
    assert change.payload is change.payload  # read once


def test_a_change_made_from_a_payload_writes_its_text_and_lists_its_keys():
    change = Change(*IDS, {"question_key": "1.1", "value": None})
    assert change.keys == "question_key,value"
    assert json.loads(change.text) == {"question_key": "1.1", "value": None}


def test_a_change_needs_a_payload():
    with pytest.raises(ValueError, match="payload"):
        Change(*IDS)


def test_a_change_from_the_outbox_reads_its_keys_only_when_asked():
    text = json.dumps({"question_key": "1.1", "value": "yes"})
    change = Change(*IDS, text=text, keys=KEYS_WHEN_ASKED)
    assert change._payload is None  # not read on the way
    assert change.keys == "question_key,value"


WRITTEN = [
    {"evidence": "Seen, \"at home\"\\ on\nTuesday\x1e\x07\tçà 😀", "reasons": ["a", "b"]},
    {"value": {"row": ["x", None, True, 1.5, -0.0, 10**18]}},
    {"value": 2**70},  # beyond 64 bits: orjson cannot, json.dumps can
    {"value": "\ud800"},  # not Unicode: written as json.dumps writes it
    [], {}, None, "text", 3,
]


@pytest.mark.parametrize("value", WRITTEN)
def test_json_text_reads_back_as_json_dumps_would(value):
    assert json.loads(json_text(value)) == json.loads(json.dumps(value))


@pytest.mark.parametrize("value", [float("nan"), {"value": [1, {"x": float("inf")}]},
                                   [-float("inf")]])
def test_what_json_cannot_hold_is_written_as_json_dumps_writes_it(value):
    assert json_text(value) == json.dumps(value)  # and the store refuses it, as before


def test_the_answer_to_a_push_says_what_it_said_before():
    when = dt.datetime(2026, 12, 7, 9, 30, tzinfo=dt.UTC)
    outcomes = [Outcome(uuid.uuid4(), "answers", uuid.uuid4(), APPLIED, rev=2),
                Outcome(uuid.uuid4(), "cases", uuid.uuid4(), CONFLICT, rev=3,
                        detail=str(uuid.uuid4()), base={"status": "in_progress"},
                        theirs={"status": "submitted", "note": "ç😀", "n": 2**70},
                        theirs_by="inspector.two", theirs_at=when)]
    before = json.dumps({"outcomes": [outcome_to_wire(o) for o in outcomes]},
                        ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    assert json.loads(outcomes_text(outcomes)) == json.loads(before)
    with pytest.raises(ValueError):  # NaN is no JSON: refused as before
        outcomes_text([Outcome(uuid.uuid4(), "cases", uuid.uuid4(), CONFLICT,
                               theirs={"x": float("nan")})])
