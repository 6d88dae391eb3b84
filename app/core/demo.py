"""Realistic, reproducible demonstration data: case profiles and answers.

Everything here is invented. Case references look like CRNs but are generated; nobody real
is described.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from app.core.form import applicability
from app.core.frameworks import NO, NOT_APPLICABLE, YES, Framework, Question, QuestionType
from app.core.profile import CaseProfile, Programme
from app.core.workflow import CaseStatus

EVIDENCE_NOTES = (
    "Case record reviewed; the assessment did not draw on police call-out information.",
    "No evidence in the contact log that this was discussed with the individual.",
    "The plan was completed late and did not reflect the risks identified at court.",
    "Review was not triggered when the living arrangements changed.",
    "Discussed with the responsible officer in interview; confirmed by the case record.",
)
NARRATIVES = (
    ("good_practice", "The officer arranged joint visits with the housing worker and secured "
                      "accommodation before release, which the individual said made the "
                      "difference."),
    ("poor_practice", "Domestic abuse call-outs were known to the police but were not sought, "
                      "so the risk to the partner and children was not assessed."),
    ("quotation", "\"She actually listened to me and didn't just tick boxes.\""),
)
FIRST_NAMES = ("Alex", "Sam", "Jordan", "Priya", "Tom", "Aisha", "Chris", "Megan", "Ravi", "Lee")


@dataclass(frozen=True)
class DemoCase:
    reference: str
    profile: CaseProfile
    target: str  # how far the form should get: not_started, partial or complete


def demo_cases(programme: str, count: int, rng: random.Random,
               officers: tuple[str, ...], inspectors: tuple[str, ...]) -> list[DemoCase]:
    youth = programme == Programme.YOUTH_OFFENDING
    cases = []
    for i in range(count):
        profile = _profile(youth, rng, officers, inspectors)
        prefix = "Y" if youth else "X"
        reference = f"{prefix}{rng.randrange(100000, 999999)}{i % 10}"
        target = ("not_started", "partial", "partial", "complete", "complete")[i % 5]
        cases.append(DemoCase(reference, profile, target))
    return cases


def _pick(rng: random.Random, weighted: dict[str, float]) -> str:
    return rng.choices(list(weighted), weights=list(weighted.values()))[0]


def _profile(youth: bool, rng: random.Random, officers, inspectors) -> CaseProfile:
    if youth:
        sentence = _pick(rng, {"referral_order": 4, "youth_rehabilitation_order": 4, "yro_iss": 1,
                               "detention_training_order": 1.5, "youth_conditional_caution": 1,
                               "community_resolution": 1})
        phase = "custody" if sentence == "detention_training_order" else "community"
        provider, age = "yot", rng.randint(10, 17)
    else:
        provider = _pick(rng, {"crc": 6, "nps": 4})
        sentence = _pick(rng, {"community_order": 4, "suspended_sentence_order": 3, "licence": 3})
        phase = "licence" if sentence == "licence" else "community"
        age = rng.randint(18, 70)
    rosh = _pick(rng, {"low": 3, "medium": 5, "high": 2 if provider != "crc" else 0.3,
                       "very_high": 0.4 if provider != "crc" else 0})
    born = dt.date(2026, 6, 1) - dt.timedelta(days=int(age * 365.25) + rng.randint(0, 364))
    return CaseProfile(
        provider=provider, sentence_type=sentence, phase=phase,
        gender=_pick(rng, {"male": 82, "female": 15, "other": 1, "not_recorded": 2}),
        ethnicity=_pick(rng, {"white_british": 70, "white_other": 4, "white_irish": 1,
                              "white_gypsy_traveller": 1, "black_caribbean": 4,
                              "black_african": 3, "asian_pakistani": 3, "asian_indian": 2,
                              "asian_bangladeshi": 1, "mixed_white_black_caribbean": 3,
                              "mixed_other": 1, "other_arab": 1, "not_recorded": 4,
                              "prefer_not_to_say": 1}),
        date_of_birth=born, rosh=rosh,
        mappa=_pick(rng, {"none": 8, "level_1": 1.5, "level_2": 0.4, "level_3": 0.1}),
        vulnerability=_pick(rng, {"low": 4, "medium": 4, "high": 2, "very_high": 0.5})
        if youth else None,
        disability=_pick(rng, {"no": 6, "yes": 3, "not_recorded": 1}),
        responsible_officer=rng.choice(officers), assignee=rng.choice(inspectors),
    )


def demo_answers(framework: Framework, profile: CaseProfile, target: str,
                 rng: random.Random) -> dict[str, tuple[object, tuple[str, ...], str]]:
    """Answers for one case: ``{key: (value, reasons, evidence)}`` in framework order."""
    if target == CaseStatus.NOT_STARTED:
        return {}
    profile_map = profile.as_dict()
    visible: dict[str, object] = {}
    answers = {}
    questions = list(framework.questions())
    stop = len(questions) if target == "complete" else rng.randint(3, len(questions) * 2 // 3)
    for question in questions[:stop]:
        applies, rows = applicability(question, profile_map, visible)
        if not applies:
            continue
        value = _value(question, rows, rng)
        reasons: tuple[str, ...] = ()
        evidence = ""
        if value == NO and question.reasons:
            reasons = tuple(c.code for c in rng.sample(question.reasons,
                                                       k=min(2, rng.randint(1, 2))))
        if value == NO or (isinstance(value, dict) and NO in value.values()) or rng.random() < .2:
            evidence = rng.choice(EVIDENCE_NOTES)
        answers[question.key] = (value, reasons, evidence)
        visible[question.key] = value
    return answers


def _value(question: Question, rows: tuple[str, ...], rng: random.Random) -> object:
    kind = question.type
    if kind == QuestionType.YES_NO:
        if question.allow_not_applicable and rng.random() < 0.1:
            return NOT_APPLICABLE
        return YES if rng.random() < (0.68 if question.judgement else 0.5) else NO
    if kind == QuestionType.SINGLE_CHOICE:
        return rng.choice(question.options).code
    if kind == QuestionType.MULTI_CHOICE:
        # an option such as "none" stands alone; the others combine
        alone = [c for c in question.options if c.code.startswith("none")]
        combinable = [c for c in question.options if c not in alone]
        if alone and rng.random() < 0.1:
            return [alone[0].code]
        picked = rng.sample(combinable, k=rng.randint(1, min(4, len(combinable))))
        return [c.code for c in question.options if c in picked]
    if kind == QuestionType.NEED_MATRIX:
        return {row: rng.choices((YES, NO, NOT_APPLICABLE), weights=(5, 3, 2))[0] for row in rows}
    if kind == QuestionType.NUMBER:
        low = question.minimum if question.minimum is not None else 0
        high = question.maximum if question.maximum is not None else low + 4
        return rng.randint(low, min(high, low + 4))
    if kind == QuestionType.DATE:
        return (dt.date(2026, 1, 5) + dt.timedelta(days=rng.randint(0, 300))).isoformat()
    return f"Discussed with {rng.choice(FIRST_NAMES)}; see the case record for detail."


def demo_examples(rng: random.Random) -> list[tuple[str, str]]:
    """A few practice examples for a case (kind, narrative)."""
    return [NARRATIVES[i] for i in sorted(rng.sample(range(len(NARRATIVES)), rng.randint(1, 2)))]
