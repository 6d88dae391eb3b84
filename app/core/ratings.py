"""Ratings: from answers to the percentages and four-point ratings that reports publish.

For each key question: how many applicable cases were judged sufficient ("Yes") out of how
many were judged at all (the denominator counts applicable Yes/No answers only), the
percentage, its 95% Wilson interval, the band, and how fragile that band is: how many more
"No" answers would move it down a band, how many more "Yes" answers up. A standard is rated
from its key questions by the rule in the rating rules (by default the lowest key-question
percentage). Breakdowns split every key question by a case attribute, with the counts
behind each cell; cells under the minimum size are flagged, and suppressed in anything meant
for publication.

The rules are data (``resources/ratings``): the inspectorate may change the bands, and the
defaults are marked as not confirmed.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction

from app.core.export import CaseData, breakdown_labels, counted
from app.core.frameworks import Framework, Question, QuestionType, RatedBy
from app.core.intervals import wilson_interval
from app.core.rating_decisions import OVERALL, RatingDecision
from app.errors import ValidationError

BASES = ("lowest_key_question",)
#: what a rating from fewer cases than the rules' minimum shows instead of a band
TOO_FEW = "Too few to rate"


@dataclass(frozen=True)
class Band:
    label: str
    lower: Fraction  # the share of cases from which this band starts (0 to 1)
    description: str = ""


@dataclass(frozen=True)
class OverallRule:
    """How the service is rated overall: each standard's rating scores points (``scores``,
    by band label), and their sum, as a share of the most the standards could score, falls
    in one of ``bands`` (highest first; ``lower`` is that share)."""

    scores: Mapping[str, int]
    bands: tuple[Band, ...]
    note: str = ""


@dataclass(frozen=True)
class RatingRules:
    bands: tuple[Band, ...]  # highest first; the last starts at 0
    basis: str = "lowest_key_question"
    small_cell: int = 5  # cells with fewer cases are flagged, and suppressed for publication
    #: a key question judged in fewer cases is too few to rate, and does not rate its standard
    min_cases: int = 0
    standards: Mapping[str, str] | None = None  # standard key -> title
    confirmed: bool = False
    note: str = ""
    overall: OverallRule | None = None
    #: an overall rule of a framework's own (by the framework's id), in place of ``overall``
    overall_by_framework: Mapping[str, OverallRule] | None = None

    def overall_for(self, framework: str) -> OverallRule | None:
        """The overall rule for a framework: its own table if the rules give one."""
        return (self.overall_by_framework or {}).get(framework, self.overall)

    def title(self, standard: str) -> str:
        return (self.standards or {}).get(standard, standard.replace("_", " ").capitalize())

    def band(self, share: Fraction | None) -> Band | None:
        if share is None:
            return None
        return next(b for b in self.bands if share >= b.lower)


def parse_rules(data: Mapping, source: str = "rating rules") -> RatingRules:
    """Rules from their JSON form, or a ValidationError listing every problem."""
    problems = []
    bands = []
    for i, raw in enumerate(data.get("bands") or []):
        try:
            lower = Fraction(str(raw["from"])) / 100
            bands.append(Band(str(raw["label"]), lower, str(raw.get("description", ""))))
        except (KeyError, ValueError, TypeError):
            problems.append(f"bands[{i}]: needs a label and a 'from' percentage")
    bands.sort(key=lambda b: b.lower, reverse=True)
    if not bands:
        problems.append("bands: at least one band is needed")
    elif bands[-1].lower != 0:
        problems.append("bands: the lowest band must start from 0")
    if any(not 0 <= b.lower <= 1 for b in bands):
        problems.append("bands: every 'from' is a percentage between 0 and 100")
    if len({b.lower for b in bands}) != len(bands):
        problems.append("bands: two bands start from the same percentage")
    basis = data.get("basis", "lowest_key_question")
    if basis not in BASES:
        problems.append(f"basis: '{basis}' is not one of {', '.join(BASES)}")
    small = data.get("small_cell", 5)
    if not isinstance(small, int) or isinstance(small, bool) or small < 0:
        problems.append("small_cell: a whole number of cases, 0 or more")
    minimum = data.get("min_cases", 0)
    if not isinstance(minimum, int) or isinstance(minimum, bool) or minimum < 0:
        problems.append("min_cases: a whole number of cases, 0 or more")
    labels = {b.label for b in bands}
    overall = _overall_rule(data.get("overall"), labels, problems)
    by_framework = _framework_rules(data.get("overall"), overall, labels, problems)
    if problems:
        raise ValidationError(f"The {source} cannot be used.",
                              "Correct the file and try again.", details=problems)
    return RatingRules(bands=tuple(bands), basis=basis, small_cell=small, min_cases=minimum,
                       overall=overall, overall_by_framework=by_framework,
                       standards=dict(data.get("standards") or {}),
                       confirmed=bool(data.get("confirmed", False)),
                       note=str(data.get("note", "")))


def _overall_rule(raw: object, labels: set[str], problems: list[str],
                  where: str = "overall", scores: Mapping[str, int] | None = None
                  ) -> OverallRule | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        problems.append(f"{where}: an object with 'scores' and 'bands'")
        return None
    scores = raw.get("scores", scores)
    if not isinstance(scores, Mapping) or set(scores) != labels or not all(
            isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in scores.values()):
        problems.append(f"{where}.scores: a whole number of points, 0 or more, for each band "
                        f"({', '.join(sorted(labels))})")
        return None
    # a table as published, in points of a total (such as 0-6, 7-18, 19-30 and 31-36 of
    # 36), or in percentages of the most the standards could score
    out_of = raw.get("points_of", 100)
    if not isinstance(out_of, int) or isinstance(out_of, bool) or out_of <= 0:
        problems.append(f"{where}.points_of: the most points the table counts to, above 0")
        return None
    bands = []
    for i, band in enumerate(raw.get("bands") or []):
        try:
            bands.append(Band(str(band["label"]), Fraction(str(band["from"])) / out_of,
                              str(band.get("description", ""))))
        except (KeyError, ValueError, TypeError, ZeroDivisionError):
            problems.append(f"{where}.bands[{i}]: needs a label and a 'from' percentage of "
                            "the most the standards could score (or points, with points_of)")
    bands.sort(key=lambda b: b.lower, reverse=True)
    if not bands or bands[-1].lower != 0 or any(not 0 <= b.lower <= 1 for b in bands):
        problems.append(f"{where}.bands: from 0 to the most there is, the lowest from 0")
        return None
    return OverallRule(dict(scores), tuple(bands), str(raw.get("note", "")))


def _framework_rules(raw: object, overall: OverallRule | None, labels: set[str],
                     problems: list[str]) -> dict[str, OverallRule]:
    """The overall tables of particular frameworks (``overall.frameworks``: id -> table),
    scoring as the general rule does unless they say otherwise."""
    tables = raw.get("frameworks") if isinstance(raw, Mapping) else None
    if tables is None:
        return {}
    if not isinstance(tables, Mapping) or overall is None:
        problems.append("overall.frameworks: tables by framework id, beside the general rule")
        return {}
    found = {}
    for framework, table in tables.items():
        rule = _overall_rule(table, labels, problems, f"overall.frameworks.{framework}",
                             overall.scores)
        if rule is not None:
            found[str(framework)] = rule
    return found


# -- one percentage ----------------------------------------------------------------------------

def more_no_to_fall(yes: int, total: int, rules: RatingRules) -> int | None:
    """How many more "No" answers would move the share down a band (None: lowest band)."""
    band = rules.band(Fraction(yes, total)) if total else None
    if band is None or band.lower == 0:
        return None
    # yes / (total + d) < lower  <=>  d > yes / lower - total
    bound = Fraction(yes) / band.lower - total
    return math.floor(bound) + 1


def more_yes_to_rise(yes: int, total: int, rules: RatingRules) -> int | None:
    """How many more "Yes" answers would move the share up a band (None: highest band)."""
    share = Fraction(yes, total) if total else None
    band = rules.band(share)
    if band is None:
        return None
    higher = [b for b in rules.bands if b.lower > band.lower]
    if not higher:
        return None
    target = min(higher, key=lambda b: b.lower).lower
    if target >= 1:
        return None if yes < total else 0  # only every case can reach 100%
    # (yes + u) / (total + u) >= target  <=>  u >= (target * total - yes) / (1 - target)
    return max(0, math.ceil((target * total - yes) / (1 - target)))


@dataclass(frozen=True)
class Tally:
    """One percentage: ``yes`` of ``total`` applicable cases judged sufficient."""

    yes: int
    total: int

    @property
    def share(self) -> Fraction | None:
        return Fraction(self.yes, self.total) if self.total else None

    @property
    def percent(self) -> float | None:
        return None if not self.total else 100 * self.yes / self.total


@dataclass(frozen=True)
class QuestionRating:
    key: str
    text: str
    standard: str
    tally: Tally
    interval: tuple[float, float] | None
    band: str | None
    to_fall: int | None
    to_rise: int | None
    too_few: bool = False  # judged in some cases, fewer than the rules' minimum

    @property
    def shown_band(self) -> str:
        """The band, or that there are too few cases to rate, or nothing (none judged)."""
        return self.band or (TOO_FEW if self.too_few else "")


@dataclass(frozen=True)
class StandardRating:
    key: str
    title: str
    questions: tuple[QuestionRating, ...]
    deciding: str | None  # the key question whose percentage rates the standard
    band: str | None  # as the arithmetic gives it
    too_few: bool = False  # some key question judged, none in enough cases to rate
    rated_by: RatedBy = RatedBy.KEY_QUESTIONS
    #: the rating the lead inspector recorded: the judgement of a standard judged on the
    #: evidence, or an override of the arithmetic
    decision: RatingDecision | None = None

    @property
    def rating(self) -> str | None:
        """The standard's rating: as recorded where one was, else as the arithmetic gives."""
        return self.decision.rating if self.decision else self.band

    @property
    def shown_band(self) -> str:
        return self.rating or (TOO_FEW if self.too_few else "")

    @property
    def decision_words(self) -> str:
        """How the recorded rating departs from the arithmetic (empty: none recorded)."""
        if self.decision is None:
            return ""
        return self.decision.words(None if self.rated_by == RatedBy.JUDGEMENT else self.band)

    @property
    def unrated_words(self) -> str:
        """Why the standard has no rating (empty when it has one)."""
        if self.rating:
            return ""
        if self.rated_by == RatedBy.JUDGEMENT:
            return "judged on the evidence: not recorded yet"
        return "too few cases to rate" if self.too_few else "not rated (no applicable cases)"

    @property
    def tally(self) -> Tally | None:
        found = next((q for q in self.questions if q.key == self.deciding), None)
        return found.tally if found else None


def rate_question(key: str, text: str, standard: str, judgements: Iterable[bool | None],
                  rules: RatingRules) -> QuestionRating:
    """``judgements``: per case, True (Yes), False (No) or None (does not count)."""
    counted = [j for j in judgements if j is not None]
    tally = Tally(sum(counted), len(counted))
    if 0 < tally.total < rules.min_cases:
        return QuestionRating(key, text, standard, tally,
                              wilson_interval(tally.yes, tally.total), None, None, None,
                              too_few=True)
    band = rules.band(tally.share)
    return QuestionRating(key, text, standard, tally, wilson_interval(tally.yes, tally.total),
                          band.label if band else None,
                          more_no_to_fall(tally.yes, tally.total, rules),
                          more_yes_to_rise(tally.yes, tally.total, rules))


def rate_standards(questions: Sequence[QuestionRating], rules: RatingRules,
                   titles: Mapping[str, str] | None = None) -> list[StandardRating]:
    """Standards in the order their first key question appears; each rated by the lowest
    key-question percentage among those judged in enough cases to rate (at least one, and
    the rules' minimum). A standard is called by its title in ``titles`` (the framework's),
    else by the rating rules' name for it."""
    order: dict[str, list[QuestionRating]] = {}
    for q in questions:
        order.setdefault(q.standard, []).append(q)
    result = []
    for standard, items in order.items():
        rated = [q for q in items if q.tally.total and not q.too_few]
        lowest = min(rated, key=lambda q: (q.tally.share, q.key)) if rated else None
        band = rules.band(lowest.tally.share) if lowest else None
        title = (titles or {}).get(standard) or rules.title(standard)
        result.append(StandardRating(standard, title, tuple(items),
                                     lowest.key if lowest else None,
                                     band.label if band else None,
                                     too_few=not rated and any(q.too_few for q in items)))
    return result


# -- breakdowns ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Cell:
    group: str
    tally: Tally
    small: bool  # fewer cases than the rules' minimum
    suppressed: bool  # not shown in anything meant for publication

    @property
    def shown_percent(self) -> float | None:
        return None if self.suppressed else self.tally.percent


def breakdown(judgements: Sequence[bool | None], groups: Sequence[str],
              rules: RatingRules, *, for_publication: bool = False) -> list[Cell]:
    """One key question split by a case attribute: ``groups[i]`` is case i's group."""
    # (group, True | False | None) -> how many cases
    counts = Counter(zip(groups, judgements, strict=True))
    cells = []
    for group in sorted({g for g, _ in counts}, key=_group_order):
        yes, no = counts[group, True], counts[group, False]
        tally = Tally(yes, yes + no)
        small = tally.total < rules.small_cell
        cells.append(Cell(group, tally, small, small and for_publication))
    return cells


def _group_order(group: str) -> tuple[bool, str]:
    return (group in ("", "Not recorded"), group)


AGE_BANDS: tuple[tuple[int, str], ...] = ((18, "Under 18"), (25, "18–24"), (35, "25–34"),
                                          (50, "35–49"), (200, "50 and over"))


def age_band(age: int | None) -> str:
    if age is None:
        return "Not recorded"
    return next(label for limit, label in AGE_BANDS if age < limit)



# -- an inspection ------------------------------------------------------------------------------

#: what the breakdowns split by: (attribute, heading)
BREAKDOWN_HEADINGS = (("provider", "Provider"), ("gender", "Gender"),
                      ("ethnicity_group", "Ethnicity group"), ("age_band", "Age band"),
                      ("rosh", "Risk of serious harm"), ("sentence_type", "Sentence or disposal"),
                      ("phase", "Custody or community"), ("assignee", "Inspector"))


@dataclass(frozen=True)
class Breakdown:
    attribute: str
    heading: str
    question_key: str
    question: str
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class OverallRating:
    """The service's rating overall: the band its standards' score falls in, or why there is
    none (``label`` None); where the lead inspector recorded it, that rating, with what the
    arithmetic gives beside it (``calculated``)."""

    label: str | None
    score: int = 0
    out_of: int = 0
    why_not: str = ""
    calculated: str | None = None
    decision: RatingDecision | None = None

    @property
    def words(self) -> str:
        """The overall rating as a line of a report: the rating, the score and any override."""
        if self.decision is not None:
            return f"{self.label} ({self.decision.words(self.calculated)})"
        if self.label is None:
            return f"Not rated: {self.why_not}."
        return f"{self.label} (score {self.score} of {self.out_of})"


def rate_overall(standards: Sequence[StandardRating], rules: RatingRules, framework: str = "",
                 decision: RatingDecision | None = None) -> OverallRating:
    """The overall rating from the standards' ratings (recorded ones as recorded), by the
    rules' overall rule for ``framework``; none until every standard is rated. A decision
    recorded for the service overall stands in place of the arithmetic."""
    calculated = _calculated_overall(standards, rules.overall_for(framework))
    if decision is None:
        return calculated
    return OverallRating(decision.rating, calculated.score, calculated.out_of,
                         calculated.why_not, calculated.label, decision)


def _calculated_overall(standards: Sequence[StandardRating],
                        rule: OverallRule | None) -> OverallRating:
    if rule is None:
        return OverallRating(None, why_not="the rating rules give no overall rule")
    if not standards:
        return OverallRating(None, why_not="the framework has no rated standards")
    unrated = [s.title for s in standards if s.rating is None]
    if unrated:
        return OverallRating(None, why_not="not every standard is rated yet ("
                             + ", ".join(unrated) + ")")
    unscored = [f"{s.title} ({s.rating})" for s in standards if s.rating not in rule.scores]
    if unscored:
        return OverallRating(None, why_not="the rating rules score no such rating: "
                             + ", ".join(unscored))
    score = sum(rule.scores[s.rating] for s in standards)
    out_of = max(rule.scores.values()) * len(standards)
    share = Fraction(score, out_of) if out_of else Fraction(0)
    band = next(b for b in rule.bands if share >= b.lower)
    return OverallRating(band.label, score, out_of)


@dataclass(frozen=True)
class InspectionRatings:
    rules: RatingRules
    cases: int
    standards: tuple[StandardRating, ...]
    breakdowns: tuple[Breakdown, ...]
    for_publication: bool = False
    framework: str = ""  # the framework's id, whose overall table the rules may give
    decisions: Mapping[str, RatingDecision] | None = None

    @property
    def overall(self) -> OverallRating:
        return rate_overall(self.standards, self.rules, self.framework,
                            (self.decisions or {}).get(OVERALL))

    @property
    def questions(self) -> list[QuestionRating]:
        return [q for s in self.standards for q in s.questions]


def rate_inspection(framework: Framework, cases: Sequence[CaseData], rules: RatingRules, *,
                    reference_date: dt.date | None = None,
                    for_publication: bool = False,
                    age_bands: Mapping[uuid.UUID, str] | None = None,
                    decisions: Mapping[str, RatingDecision] | None = None
                    ) -> InspectionRatings:
    """Every key question (a yes/no question that feeds a standard) rated over ``cases``
    the standards, and the breakdowns by profile (ages on ``reference_date``, or today;
    ``age_bands`` gives them by case instead, for cases whose dates of birth are removed);
    ``decisions``, the ratings the lead inspector recorded (by standard, or overall)."""
    keys = [q for q in framework.questions() if q.key_question]
    judged = {q.key: [case_judgement(q, data) for data in cases] for q in keys}
    rated = [rate_question(q.key, q.text, q.standard, judged[q.key], rules) for q in keys]
    labels = []
    for data in cases:
        found = breakdown_labels(data.case)
        found["age_band"] = (age_bands[data.case.id] if age_bands is not None else
                             age_band(age_on(data.case.profile.date_of_birth, reference_date)))
        labels.append(found)
    breakdowns = tuple(
        Breakdown(attribute, heading, q.key, q.text,
                  tuple(breakdown(judged[q.key], [row[attribute] for row in labels], rules,
                                  for_publication=for_publication)))
        for attribute, heading in BREAKDOWN_HEADINGS for q in keys)
    standards = _with_decisions(framework, rate_standards(
        rated, rules, {s.key: s.title for s in framework.standards}), decisions or {}, rules)
    return InspectionRatings(rules, len(cases), tuple(standards), breakdowns, for_publication,
                             framework.id, dict(decisions or {}))


def _with_decisions(framework: Framework, rated: list[StandardRating],
                    decisions: Mapping[str, RatingDecision],
                    rules: RatingRules) -> list[StandardRating]:
    """The standards in the framework's order, those judged on the evidence among them
    (they have no key questions), each with the rating recorded for it."""
    by_key = {s.key: s for s in rated}
    listed = []
    for standard in framework.standards:
        found = by_key.pop(standard.key, None)
        if found is None and standard.rated_by != RatedBy.JUDGEMENT:
            continue  # a standard with no key question is not rated
        listed.append(replace(found, rated_by=standard.rated_by) if found else StandardRating(
            standard.key, standard.title or rules.title(standard.key), (), None, None,
            rated_by=standard.rated_by))
    listed += by_key.values()
    return [replace(s, decision=decisions.get(s.key)) if s.key in decisions else s
            for s in listed]


def case_judgement(question: Question, data: CaseData) -> bool | None:
    """Whether a case was judged sufficient on a key question: its Yes or No; for a need
    matrix, Yes when every applicable need area judged is Yes, No when any is No. None when
    nothing counts (the question does not apply, Not applicable, no answer)."""
    status = data.state.questions.get(question.key)
    record = data.answers.get(question.key)
    if question.type != QuestionType.NEED_MATRIX:
        # as the Cases sheet's column reads it (``answer_code``): its answer where it applies
        if status is None or not status.applicable or record is None:
            return None
        return counted(record.value)
    if status is None or not status.applicable or record is None \
            or not isinstance(record.value, dict):
        return None
    verdicts = [counted(value) for row, value in record.value.items()
                if row in status.applicable_rows]
    verdicts = [v for v in verdicts if v is not None]
    return all(verdicts) if verdicts else None


def age_on(born: dt.date | None, on: dt.date | None) -> int | None:
    """Age in whole years on ``on`` (today when not given); None when the date of birth is
    not recorded."""
    if born is None:
        return None
    on = on or dt.date.today()
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))
