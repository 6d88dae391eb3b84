"""Question frameworks: the versioned question sets inspectors answer for each case.

A framework is data (a JSON file in ``resources/frameworks/``). Loading validates everything
and reports every problem with the file name, the question key and what is wrong, so a
broken file never reaches an inspector. Keys never change meaning between versions, which
keeps answers comparable across inspections.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property

from app.core.conditions import Condition
from app.core.vocab import Choice

FORMAT_VERSION = 1
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")


class QuestionType(StrEnum):
    YES_NO = "yes_no"
    SINGLE_CHOICE = "single_choice"
    MULTI_CHOICE = "multi_choice"
    NEED_MATRIX = "need_matrix"
    NUMBER = "number"
    DATE = "date"
    TEXT = "text"


class Stage(StrEnum):
    """The ASPIRE stages, plus the parts of a case form that sit outside them."""

    CASE = "case"
    ASSESSMENT = "assessment"
    PLANNING = "planning"
    IMPLEMENTATION = "implementation"
    REVIEW = "review"
    EVALUATION = "evaluation"
    OVERSIGHT = "oversight"
    INTERVIEW = "interview"


STAGE_LABELS = {
    Stage.CASE: "Case details",
    Stage.ASSESSMENT: "Assessment",
    Stage.PLANNING: "Sentence planning",
    Stage.IMPLEMENTATION: "Implementation",
    Stage.REVIEW: "Review",
    Stage.EVALUATION: "Evaluation",
    Stage.OVERSIGHT: "Management oversight",
    Stage.INTERVIEW: "Interview with the practitioner",
}


class Respondent(StrEnum):
    INSPECTOR = "inspector"
    PRACTITIONER = "practitioner"


class Evidence(StrEnum):
    """When an evidence note must accompany the answer."""

    REQUIRED_ON_NO = "required_on_no"
    REQUIRED = "required"
    OPTIONAL = "optional"


class RatedBy(StrEnum):
    """How a standard is rated: from its key questions' answers across the case sample, or
    by the inspectors' judgement on the evidence (organisational delivery, policy)."""

    KEY_QUESTIONS = "key_questions"
    JUDGEMENT = "judgement"


@dataclass(frozen=True)
class Standard:
    """A standard the inspection rates, as the framework names it."""

    key: str
    title: str
    rated_by: RatedBy = RatedBy.KEY_QUESTIONS


YES, NO, NOT_APPLICABLE = "yes", "no", "na"
JUDGEMENT_LABELS = {YES: "Yes", NO: "No", NOT_APPLICABLE: "Not applicable"}


@dataclass(frozen=True)
class Question:
    key: str
    text: str
    type: QuestionType
    section_key: str
    stage: Stage
    theme: str = ""
    guidance: str = ""
    source: str = ""
    ref: str = ""
    reconstructed: bool = False
    judgement: bool = True
    respondent: Respondent = Respondent.INSPECTOR
    options: tuple[Choice, ...] = ()
    rows: tuple[Choice, ...] = ()
    rows_from: str = ""
    reasons: tuple[Choice, ...] = ()
    evidence: Evidence = Evidence.OPTIONAL
    allow_not_applicable: bool = False
    required: bool = True
    applies_if: Condition | None = None
    minimum: int | None = None
    maximum: int | None = None
    standard: str = ""
    #: a yes/no judgement (or a need matrix) whose share of Yes across the sample rates
    #: ``standard``
    key_question: bool = False

    @property
    def short_title(self) -> str:
        """The question in a few words, for a chart's labels and narrow tables: its text
        without an opening verb before "the" and the question mark, cut at a word near 50
        characters ("Was the assessment of risk of harm sufficient?" → "The assessment of
        risk of harm sufficient")."""
        return short_title(self.text)

    def option_label(self, code: str) -> str:
        for choice in (*self.options, *self.rows, *self.reasons):
            if choice.code == code:
                return choice.label
        return JUDGEMENT_LABELS.get(code, code)


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    stage: Stage
    theme: str = ""
    intro: str = ""
    questions: tuple[Question, ...] = ()


@dataclass(frozen=True)
class Framework:
    """A validated, immutable question set."""

    id: str
    version: str
    title: str
    programme: str
    description: str = ""
    source: str = ""
    sections: tuple[Section, ...] = ()
    #: the standards the framework rates, in order (empty in the 2016-17 frameworks, whose
    #: standards the rating rules name)
    standards: tuple[Standard, ...] = ()
    raw: str = field(default="", repr=False, compare=False)

    @property
    def label(self) -> str:
        return f"{self.title} (version {self.version})"

    def questions(self) -> Iterator[Question]:
        for section in self.sections:
            yield from section.questions

    @cached_property
    def numbers(self) -> dict[str, str]:
        """Each question's number, the same wherever it is shown (the case form, queries,
        the PDF, the analysts' workbook): its section's place, then its own ("2.3")."""
        return {q.key: f"{i}.{j}" for i, s in enumerate(self.sections, 1)
                for j, q in enumerate(s.questions, 1)}

    def question(self, key: str) -> Question:
        for q in self.questions():
            if q.key == key:
                return q
        raise KeyError(key)

    def question_keys(self) -> list[str]:
        return [q.key for q in self.questions()]

    def standard_title(self, key: str) -> str | None:
        return next((s.title for s in self.standards if s.key == key), None)

    def section(self, key: str) -> Section:
        for s in self.sections:
            if s.key == key:
                return s
        raise KeyError(key)


def version_key(version: str) -> tuple:
    """Sort versions part by part, numbers as numbers (``2017.2`` before ``2017.10``), a
    word after any number, so that any two versions compare."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p)
                 for p in re.split(r"[.\-]", version))


#: the longest framework id and version an author may give (a version is numbers with dots)
MOST_ID, MOST_VERSION = 60, 20
VERSION_PATTERN = re.compile(r"^[0-9]+(\.[0-9]+)*$")


def id_problem(framework_id: str) -> str | None:
    """What is wrong with a new framework's id, or None."""
    if len(framework_id) > MOST_ID:
        return f"the id is {len(framework_id)} characters long; at most {MOST_ID}"
    return None


def new_version_problem(framework: Framework,
                        others: list[tuple[str, str, str]]) -> str | None:
    """What stops ``framework`` joining the versions already offered (``others``: id,
    version and programme of each), or None: a version that reads as the same number as one
    there (2017.01 beside 2017.1), or a programme other than the id's earlier versions'.
    (The same id and version is the caller's to judge: the same content, or a change.)"""
    for key, version, programme in others:
        if key != framework.id or version == framework.version:
            continue
        if version_key(version) == version_key(framework.version):
            return (f"Version {framework.version} of '{framework.id}' reads as the same number "
                    f"as version {version}, already offered; give it a number of its own")
        if programme != framework.programme:
            return (f"The question framework '{framework.id}' is for {programme} inspections "
                    f"(version {version}); a new version of it cannot be for "
                    f"{framework.programme} ones: keep the programme, or give it an id of its "
                    "own")
    return None


def version_problem(version: str) -> str | None:
    """What is wrong with a new framework version's number, or None: numbers separated by
    dots, such as 2 or 2018.1, so that versions sort as people expect."""
    if len(version) > MOST_VERSION:
        return f"the version is {len(version)} characters long; at most {MOST_VERSION}"
    if not VERSION_PATTERN.match(version):
        return (f"'{version}' is not a version number: use numbers separated by dots, such "
                "as 2 or 2018.1")
    return None


_OPENING = re.compile(r"^(?:was|were|did|does|do|is|are|has|have|had)\s+(?=the\s)",
                      re.IGNORECASE)
SHORT_TITLE = 50


def short_title(text: str, limit: int = SHORT_TITLE) -> str:
    """``text`` (a question) in a few words: see ``Question.short_title``."""
    words = _OPENING.sub("", " ".join(text.split())).rstrip("?").strip()
    words = words[:1].upper() + words[1:]
    if len(words) <= limit:
        return words
    cut = words[:limit].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"
