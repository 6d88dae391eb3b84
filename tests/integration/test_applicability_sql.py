"""The laptop's rules for which questions apply, written as SQL for pooled findings, give what
the laptop's own ``evaluate_form`` gives: checked on PostgreSQL for every kind of rule, over
many made-up cases."""

from __future__ import annotations

import json
import random

import pytest
from sqlalchemy import create_engine, text

from app.core.answers import AnswerRecord
from app.core.form import evaluate_form
from app.core.framework_loader import parse_framework_text
from app.core.profile import GENDER, PHASE, PROFILE_FIELDS, RISK_LEVEL
from app.sync.applicability_sql import applicability
from tests.conftest import MINI_FRAMEWORKS

#: rules for the last question (and for 'victim', which it may read), each kind at least once
RULES = [
    ({"answer": "victim", "equals": "yes"}, None),
    ({"not": {"answer": "needs", "includes": "accommodation"}}, None),
    ({"any": [{"profile": "phase", "not_in": ["custody"]},
              {"answer": "workload", "in": ["positive"]}]}, None),
    ({"all": [{"answer": "victim", "answered": True}, {"profile": "gender", "answered": False}]},
     None),
    ({"answer": "comment", "answered": False}, None),
    ({"profile": "date_of_birth", "equals": "1990-01-01"}, None),
    ({"answer": "workload", "not_in": ["none"]}, None),
    ({"profile": "rosh", "in": ["high", "very_high"]}, None),
    # a rule reading an answer whose own question applies only sometimes
    ({"answer": "victim", "equals": "yes"}, {"profile": "rosh", "in": ["high", "very_high"]}),
    ({"answer": "officers", "in": [1, 2.0]}, None),
]
KEY = "seen_on"


def framework_with(rule: dict, victim_rule: dict | None):
    data = json.loads((MINI_FRAMEWORKS / "mini.json").read_text(encoding="utf-8"))
    for section in data["sections"]:
        for question in section["questions"]:
            if question["key"] == KEY:
                question["applies_if"] = rule
            if question["key"] == "victim" and victim_rule is not None:
                question["applies_if"] = victim_rule
    return parse_framework_text(json.dumps(data), "mini")


def made_up_case(rng: random.Random) -> tuple[dict, dict]:
    profile = {f.name: None for f in PROFILE_FIELDS}
    profile.update(phase=rng.choice([*PHASE.codes(), None]),
                   gender=rng.choice([*GENDER.codes(), None]),
                   rosh=rng.choice([*RISK_LEVEL.codes(), None]))
    answers = {
        "victim": rng.choice(["yes", "no", "", None]),
        "needs": rng.choice([[], ["accommodation"], ["drug_misuse", "accommodation"],
                             ["alcohol_misuse"], None]),
        "workload": rng.choice(["positive", "none", None]),
        "comment": rng.choice(["", "Seen twice", None]),
        "officers": rng.choice([1, 2, 3, None]),
    }
    return profile, {k: v for k, v in answers.items() if rng.random() < 0.85}


@pytest.mark.parametrize(("rule", "victim_rule"), RULES)
def test_sql_says_a_question_applies_exactly_when_the_laptop_does(central, rule, victim_rule):
    framework = framework_with(rule, victim_rule)
    rng = random.Random(json.dumps(rule) + json.dumps(victim_rule))
    cases = [made_up_case(rng) for _ in range(300)]
    built = applicability(framework, {KEY}, "t")
    columns = ", ".join(f"{f.name} {'date' if f.is_date else 'text'}" for f in PROFILE_FIELDS)
    rows = [{"n": n, **profile, "answers": answers}
            for n, (profile, answers) in enumerate(cases)]
    laterals = "".join(f", {lateral}" for lateral in built.laterals)
    engine = create_engine(central)
    try:
        with engine.connect() as conn:
            found = dict(conn.execute(text(
                f"SELECT c.n, {built.applies[KEY]} FROM jsonb_to_recordset(CAST(:rows AS "
                f"jsonb)) AS c(n int, {columns}, answers jsonb), LATERAL (SELECT c.answers "
                f"AS answers) refs{laterals}"), {"rows": json.dumps(rows), **built.params}).all())
    finally:
        engine.dispose()
    expected = {}
    for n, (profile, answers) in enumerate(cases):
        state = evaluate_form(framework, profile,
                              {k: AnswerRecord(k, v) for k, v in answers.items()})
        expected[n] = state.questions[KEY].applicable
    assert found == expected
    # the rule tells cases apart (a date of birth is never equal to text, as on the laptop)
    assert len(set(expected.values())) == 2 or rule == {"profile": "date_of_birth",
                                                        "equals": "1990-01-01"}
