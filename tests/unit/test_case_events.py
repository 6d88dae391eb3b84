"""A case's history in the words the form uses."""

from __future__ import annotations

from app.core.case_events import CASE_EVENT, value_in_words
from app.core.framework_loader import load_frameworks
from tests.conftest import MINI_FRAMEWORKS


def mini():
    return next(iter(load_frameworks(MINI_FRAMEWORKS)))


def test_answers_reasons_statuses_and_profiles_read_as_labels():
    framework = mini()
    assert value_in_words(framework, "rosh_assessment", "value", "no") == "No"
    assert value_in_words(framework, "rosh_assessment", "reasons",
                          ["not_timely", "other"]) == (
        "Not timely, Other (describe in the evidence note)")
    assert value_in_words(framework, None, "status", "in_progress") == "In progress"
    assert value_in_words(framework, None, "phase", "community") == "Community"
    assert value_in_words(framework, "rosh_assessment", "evidence", "no") == "no"  # as typed
    assert value_in_words(framework, None, "notes", "") == "—"
    assert value_in_words(framework, "rosh_assessment", "value", None) == "—"


def test_every_case_event_has_a_name_of_its_own():
    names = [choice.label for choice in CASE_EVENT.choices]
    assert len(set(names)) == len(names)
    assert CASE_EVENT.label("second_marking") == "Asked for second marking"
    assert CASE_EVENT.label("dip_sample") == "Marked for dip sampling"
