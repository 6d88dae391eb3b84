"""The ratings work out only what rates a case: whether each key question applies (and its
rows), from the questions that decide it. The same as the whole form's working gives, for
every shipped framework, on cases answered at random, answers to questions that do not
apply included."""

from __future__ import annotations

import random

import pytest

from app.config import frameworks_dir
from app.core.answers import AnswerRecord
from app.core.demo import _value, demo_cases
from app.core.form import Applicability, applicability_of, deciding_questions, evaluate_form
from app.io.framework_workbook import load_framework_folder

FRAMEWORKS = load_framework_folder(frameworks_dir())


@pytest.mark.parametrize("framework", FRAMEWORKS, ids=lambda f: f"{f.id}-{f.version}")
def test_key_questions_apply_as_the_whole_form_says(framework):
    rng = random.Random(framework.id)
    keys = [q.key for q in framework.questions() if q.key_question]
    deciding = deciding_questions(framework, keys)
    assert {q.key for q in deciding} >= set(keys)
    applies = Applicability(framework, keys)
    cases = demo_cases(framework.programme, 150, rng, ("Officer A",), ("Inspector A",))
    for case in cases:
        answers = {q.key: AnswerRecord(q.key, _value(q, tuple(r.code for r in q.rows), rng))
                   for q in framework.questions() if rng.random() < 0.8}
        profile = case.profile.as_dict()
        whole = evaluate_form(framework, profile, answers).questions
        quick = applicability_of(deciding, profile, answers).questions
        shared = applies.state(profile, answers).questions  # worked out once per kind
        for key in keys:
            assert (quick[key].applicable, quick[key].applicable_rows) == (
                whole[key].applicable, whole[key].applicable_rows) == (
                shared[key].applicable, shared[key].applicable_rows), (framework.id, key)


def test_the_questions_a_rule_reads_are_among_those_that_decide():
    """Through the Gate: whether work in custody addressed each need turns on the needs
    ticked; public protection on the sentence's length."""
    framework = next(f for f in FRAMEWORKS if f.id == "through-the-gate")
    deciding = {q.key for q in deciding_questions(framework, ["needs_addressed",
                                                              "pp_identified"])}
    assert deciding == {"needs_addressed", "needs", "pp_identified", "sentence_length"}


@pytest.mark.parametrize("framework", FRAMEWORKS, ids=lambda f: f"{f.id}-{f.version}")
def test_every_question_applies_as_the_whole_form_says_as_the_workbook_reads_it(framework):
    """The workbook and tables say of every answer whether its question applies."""
    rng = random.Random(f"{framework.id} every")
    applies = Applicability(framework, framework.question_keys())
    for case in demo_cases(framework.programme, 80, rng, ("Officer A",), ("Inspector A",)):
        answers = {q.key: AnswerRecord(q.key, _value(q, tuple(r.code for r in q.rows), rng))
                   for q in framework.questions() if rng.random() < 0.8}
        profile = case.profile.as_dict()
        whole = evaluate_form(framework, profile, answers).questions
        shared = applies.state(profile, answers).questions
        assert {k: (s.applicable, s.applicable_rows) for k, s in shared.items()} == {
            k: (s.applicable, s.applicable_rows) for k, s in whole.items()}, framework.id
