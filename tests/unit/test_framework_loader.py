"""Loading question frameworks, and every validation error naming file, key and problem."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from app.core.framework_loader import load_framework_file, load_frameworks, parse_framework_text
from app.core.frameworks import Evidence, QuestionType, Respondent, Stage
from app.errors import FrameworkError
from tests.conftest import MINI_FRAMEWORKS

MINI = json.loads((MINI_FRAMEWORKS / "mini.json").read_text())


def parse(data: dict):
    return parse_framework_text(json.dumps(data), "broken.json")


def problems_for(mutate) -> list[str]:
    data = copy.deepcopy(MINI)
    mutate(data)
    with pytest.raises(FrameworkError) as info:
        parse(data)
    assert "broken.json" in info.value.problem
    return info.value.details


def q(data: dict, key: str) -> dict:
    for section in data["sections"]:
        for question in section["questions"]:
            if question["key"] == key:
                return question
    raise KeyError(key)


def test_mini_framework_loads_with_defaults():
    fw = parse(MINI)
    assert (fw.id, fw.version, fw.programme) == ("mini", "1.0", "adult_probation")
    assert fw.question_keys()[:3] == ["victim", "needs", "rosh_assessment"]
    rosh = fw.question("rosh_assessment")
    assert rosh.judgement and rosh.evidence == Evidence.REQUIRED_ON_NO
    assert [r.code for r in rosh.reasons] == ["not_done", "not_timely", "other"]
    assert rosh.stage == Stage.ASSESSMENT and rosh.standard == "assessment"
    assert fw.question("victim").judgement is False
    assert fw.question("victim").evidence == Evidence.OPTIONAL
    assert fw.question("workload").respondent == Respondent.PRACTITIONER
    assert fw.question("partners").type == QuestionType.NEED_MATRIX
    assert fw.question("custody_planning").reconstructed is True
    assert fw.raw == json.dumps(MINI)


CASES = [
    ("missing id", lambda d: d.pop("id"), "file: 'id' is missing or empty"),
    ("bad format", lambda d: d.update(format=2), "format: must be 1"),
    ("bad programme", lambda d: d.update(programme="prisons"), "programme: 'prisons' is not one"),
    ("unknown top field", lambda d: d.update(colour="red"), "unknown field 'colour'"),
    ("no sections", lambda d: d.update(sections=[]), "sections: there must be a non-empty"),
    ("bad stage", lambda d: d["sections"][1].update(stage="judging"),
     "section assessment: 'stage' is 'judging'"),
    ("duplicate section", lambda d: d["sections"][2].update(key="assessment"),
     "section assessment: this section key is used twice"),
    ("duplicate key", lambda d: q(d, "barriers").update(key="rosh_assessment"),
     "rosh_assessment: this question key is used twice"),
    ("bad key", lambda d: q(d, "barriers").update(key="Barriers!"),
     "Barriers!: the key must be"),
    ("missing text", lambda d: q(d, "barriers").pop("text"), "barriers: 'text' is missing"),
    ("bad type", lambda d: q(d, "barriers").update(type="slider"),
     "barriers: 'type' is 'slider'"),
    ("judgement without reasons", lambda d: q(d, "barriers").pop("reasons"),
     "barriers: a yes/no judgement needs 'reasons'"),
    ("unknown reason set", lambda d: q(d, "barriers").update(reasons="nope"),
     "barriers: 'reasons' names 'nope', which is not in 'reason_sets'"),
    ("reasons on a fact", lambda d: q(d, "victim").update(reasons="general"),
     "victim: 'reasons' apply only to yes/no judgements"),
    ("choice needs options", lambda d: q(d, "workload").update(options=[
        {"code": "a", "label": "A"}]), "workload: a single_choice question needs at least two"),
    ("duplicate option code", lambda d: q(d, "workload").update(options=[
        {"code": "a", "label": "A"}, {"code": "a", "label": "B"}]), "the code 'a' is used twice"),
    ("empty label", lambda d: q(d, "workload").update(options=[
        {"code": "a", "label": " "}, {"code": "b", "label": "B"}]), "must be an object with"),
    ("options on yes/no", lambda d: q(d, "barriers").update(options="needs"),
     "barriers: 'options' does not apply to a yes_no question"),
    ("matrix without rows", lambda d: q(d, "partners").pop("rows"),
     "partners: a need_matrix question needs 'rows'"),
    ("rows_from not earlier", lambda d: q(d, "partners").update(rows_from="later"),
     "partners: 'rows_from' names 'later', which is not an earlier question"),
    ("rows_from not multi", lambda d: q(d, "partners").update(rows_from="victim"),
     "partners: 'rows_from' must name a multi_choice question"),
    ("min on text", lambda d: q(d, "comment").update(min=1),
     "comment: 'min' and 'max' apply to number questions only"),
    ("bad evidence rule", lambda d: q(d, "barriers").update(evidence="sometimes"),
     "barriers: 'evidence' is 'sometimes'"),
    ("bad flag", lambda d: q(d, "barriers").update(required="yes"),
     "barriers: 'required' must be true or false"),
    ("unknown question field", lambda d: q(d, "barriers").update(hint="x"),
     "barriers: unknown field 'hint'"),
    ("condition syntax", lambda d: q(d, "barriers").update(applies_if={"profile": "phase"}),
     "barriers: applies_if: a 'profile' condition needs exactly one of"),
    ("unknown profile field", lambda d: q(d, "barriers").update(
        applies_if={"profile": "shoe_size", "equals": "9"}),
     "barriers: applies_if: 'shoe_size' is not a case profile field"),
    ("bad profile value", lambda d: q(d, "barriers").update(
        applies_if={"profile": "phase", "equals": "prison"}),
     "barriers: applies_if: 'prison' is not a value of phase"),
    ("forward reference", lambda d: q(d, "rosh_assessment").update(
        applies_if={"answer": "barriers", "equals": "yes"}),
     "rosh_assessment: applies_if: 'barriers' is a later question: a rule may only depend "
     "on questions before it"),
    ("unknown question in a rule", lambda d: q(d, "rosh_assessment").update(
        applies_if={"answer": "barriers_of_old", "equals": "yes"}),
     "rosh_assessment: applies_if: 'barriers_of_old' is not an earlier question"),
    ("rule on its own question", lambda d: q(d, "rosh_assessment").update(
        applies_if={"answer": "rosh_assessment", "equals": "yes"}),
     "rosh_assessment: applies_if: 'rosh_assessment' is this question itself"),
    ("impossible answer", lambda d: q(d, "barriers").update(
        applies_if={"answer": "victim", "equals": "maybe"}),
     "barriers: applies_if: 'maybe' is not a possible answer to 'victim'"),
    ("includes on yes/no", lambda d: q(d, "barriers").update(
        applies_if={"answer": "victim", "includes": "yes"}),
     "barriers: applies_if: 'includes' needs a multi_choice question"),
]


@pytest.mark.parametrize(("mutate", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_each_problem_names_file_key_and_problem(mutate, expected):
    details = problems_for(mutate)
    assert any(expected in line for line in details), details
    assert all(line.startswith("broken.json: ") for line in details)


def test_all_problems_are_reported_together():
    def two_problems(d):
        q(d, "barriers").update(type="slider")
        q(d, "workload").update(options="missing_list")
    details = problems_for(two_problems)
    assert len(details) == 2


def test_invalid_json_names_line(tmp_path: Path):
    path = tmp_path / "bad.json"
    path.write_text('{"format": 1,\n  "id": }')
    with pytest.raises(FrameworkError) as info:
        load_framework_file(path)
    assert "bad.json" in info.value.problem and "line 2" in info.value.problem


def test_duplicate_id_and_version_in_one_folder(tmp_path: Path):
    for name in ("a.json", "b.json"):
        (tmp_path / name).write_text(json.dumps(MINI))
    with pytest.raises(FrameworkError, match=r"a\.json and b\.json"):
        load_frameworks(tmp_path)


def test_versions_sort_numerically(tmp_path: Path):
    for version in ("1.10", "1.9"):
        (tmp_path / f"v{version}.json").write_text(json.dumps({**MINI, "version": version}))
    assert [f.version for f in load_frameworks(tmp_path)] == ["1.9", "1.10"]


def test_a_circular_rule_is_named_as_such_once():
    def mutate(d):
        q(d, "victim")["applies_if"] = {"answer": "barriers", "equals": "yes"}
        q(d, "barriers")["applies_if"] = {"all": [{"answer": "rosh_assessment",
                                                   "equals": "yes"}]}
        q(d, "rosh_assessment")["applies_if"] = {"answer": "victim", "equals": "yes"}

    details = problems_for(mutate)
    circles = [line for line in details if "circular" in line]
    assert circles == ["broken.json: victim: applies_if: a circular rule: "
                       "victim → barriers → rosh_assessment → victim"], details


def test_each_problem_says_its_part_key_and_field():
    data = copy.deepcopy(MINI)
    q(data, "officers")["min"] = "one"
    data["sections"][1]["stage"] = "judging"
    data["reason_sets"]["general"].append({"code": "", "label": "Blank"})
    with pytest.raises(FrameworkError) as info:
        parse(data)
    found = {(p.place.part, p.place.key, p.field) for p in info.value.problems}
    assert found == {("question", "officers", "min"), ("section", "assessment", "stage"),
                     ("reason_set", "general", "code")}


def test_a_question_whose_type_is_wrong_is_one_problem_not_one_for_each_rule_on_it():
    def mutate(d):
        q(d, "victim")["type"] = "yes-no"

    assert problems_for(mutate) == [
        "broken.json: victim: 'type' is 'yes-no'; it must be one of yes_no, single_choice, "
        "multi_choice, need_matrix, number, date, text"]
