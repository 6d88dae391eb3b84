"""Answer validation and normalisation for each question type."""

from __future__ import annotations

import datetime as dt

import pytest

from app.core.answers import AnswerInput, needs_evidence, needs_reasons, normalise_answer
from app.core.framework_loader import load_framework_file
from app.errors import ValidationError
from tests.conftest import MINI_FRAMEWORKS

FW = load_framework_file(MINI_FRAMEWORKS / "mini.json")


def norm(key, value, reasons=(), evidence=""):
    return normalise_answer(FW.question(key), AnswerInput(value, tuple(reasons), evidence))


def test_yes_no():
    assert norm("rosh_assessment", "yes").value == "yes"
    assert norm("rosh_assessment", "no", ["not_done"]).reasons == ("not_done",)
    with pytest.raises(ValidationError, match="rosh_assessment: 'na' is not a valid answer"):
        norm("rosh_assessment", "na")
    assert norm("barriers", "na").value == "na"  # allow_not_applicable


def test_reasons_go_when_the_answer_is_not_no():
    assert norm("rosh_assessment", "yes", ["not_done"]).reasons == ()


def test_unknown_reason_is_refused():
    with pytest.raises(ValidationError, match="'bored' is not a reason"):
        norm("rosh_assessment", "no", ["bored"])


def test_duplicate_reasons_are_collapsed():
    assert norm("rosh_assessment", "no", ["not_done", "not_done"]).reasons == ("not_done",)


def test_empty_values_mean_unanswered():
    for value in (None, "", [], {}):
        assert norm("rosh_assessment" if value in (None, "") else "needs", value).value is None


def test_choices():
    assert norm("workload", "none").value == "none"
    with pytest.raises(ValidationError):
        norm("workload", "lots")
    assert norm("needs", ["drug_misuse", "accommodation", "drug_misuse"]).value == [
        "accommodation", "drug_misuse"]  # framework order, no repeats
    with pytest.raises(ValidationError, match="expected a list"):
        norm("needs", "accommodation")


def test_need_matrix():
    value = norm("partners", {"drug_misuse": "no", "accommodation": "yes",
                              "alcohol_misuse": None}).value
    assert value == {"accommodation": "yes", "drug_misuse": "no"}
    with pytest.raises(ValidationError):
        norm("partners", {"gambling": "yes"})
    with pytest.raises(ValidationError):
        norm("partners", {"accommodation": "maybe"})


def test_number_bounds_and_text_input():
    assert norm("officers", "3").value == 3
    with pytest.raises(ValidationError, match="at least 1"):
        norm("officers", 0)
    with pytest.raises(ValidationError, match="no more than 20"):
        norm("officers", 21)
    with pytest.raises(ValidationError, match="whole number"):
        norm("officers", "two")
    with pytest.raises(ValidationError, match="whole number"):
        norm("officers", True)


def test_date_and_text():
    assert norm("seen_on", dt.date(2026, 3, 4)).value == "2026-03-04"
    assert norm("seen_on", "2026-03-04").value == "2026-03-04"
    with pytest.raises(ValidationError, match="YYYY-MM-DD"):
        norm("seen_on", "04/03/2026")
    assert norm("comment", "  spaced  ").value == "spaced"
    assert norm("comment", "   ").value is None


def test_evidence_is_trimmed_and_bounded():
    assert norm("rosh_assessment", "no", ["not_done"], "  seen  ").evidence == "seen"
    with pytest.raises(ValidationError, match="evidence note"):
        norm("rosh_assessment", "no", ["not_done"], "x" * 20_001)


def test_a_nul_pasted_into_text_is_no_part_of_it():
    # the central store refuses text holding one, so the laptop never keeps it
    assert norm("rosh_assessment", "no", ["not_done"], "seen\x00 at home").evidence == \
        "seen at home"
    assert norm("comment", "\x00two\x00 words").value == "two words"
    assert norm("comment", "\x00").value is None


def test_what_a_no_needs():
    rosh, partners = FW.question("rosh_assessment"), FW.question("partners")
    assert needs_reasons(rosh, "no") and not needs_reasons(rosh, "yes")
    assert needs_evidence(rosh, "no") and not needs_evidence(rosh, "yes")
    assert needs_evidence(partners, {"accommodation": "no"})
    assert not needs_reasons(partners, {"accommodation": "no"})  # matrix has no reasons list


def test_an_exclusive_option_stands_alone():
    import json

    from app.core.framework_loader import parse_framework_text
    raw = json.loads((MINI_FRAMEWORKS / "mini.json").read_text())
    raw["lists"]["needs"].append({"code": "none", "label": "No needs", "exclusive": True})
    fw = parse_framework_text(json.dumps(raw), "mini.json")
    question = fw.question("needs")
    assert normalise_answer(question, AnswerInput(["none"])).value == ["none"]
    with pytest.raises(ValidationError, match="“No needs” cannot be chosen together"):
        normalise_answer(question, AnswerInput(["none", "drug_misuse"]))
