"""A change's payload: kept as the outbox's JSON text until something reads it."""

from __future__ import annotations

import json
import uuid

import pytest

from app.sync.protocol import Change

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
