"""Findings pooled across inspections: the choices an analysis makes, and the figures worked
out from the counts the central store gives.

The annual reports pool case assessments across inspections by rules stated in their text,
which an analysis here applies by default and states on every output:

- only the latest data where a unit was re-inspected (an inspection another one re-inspects
  is left out);
- targeted samples (a full joint inspection's) are never pooled with random ones: an
  analysis takes one sample design at a time;
- like is compared with like: one framework family (a framework id, across its versions,
  whose question keys keep their meaning) at a time;
- a figure from too few cases is said to be so, and cells smaller than a threshold are
  suppressed in anything meant for publication.

Per key question: the share judged sufficient, with its counts and a 95% Wilson score
interval, for all cases and for each group of each dimension chosen; and each group set
against the rest of the cases, the difference in shares with a 95% interval by Newcombe's
hybrid score method (Newcombe 1998, method 10), built from the two Wilson intervals.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from app.core.frameworks import id_problem
from app.core.inspection_details import RANDOM, SAMPLE_DESIGN
from app.core.intervals import Z95, wilson_interval
from app.core.profile import PROGRAMMES

#: What pooled figures may be split by: (code, heading). The first four describe the
#: inspection, the rest the case.
DIMENSIONS: tuple[tuple[str, str], ...] = (
    ("year", "Year"), ("programme", "Programme"), ("organisation_type", "Organisation type"),
    ("region", "Region"), ("gender", "Gender"), ("ethnicity_group", "Ethnicity group"),
    ("age_band", "Age band"), ("rosh", "Risk of serious harm"),
    ("sentence_type", "Sentence or disposal"), ("phase", "Custody or community"),
)
DIMENSION_HEADINGS = dict(DIMENSIONS)
#: a group with nothing recorded
NOT_RECORDED = "Not recorded"
#: cells with fewer judged cases than this are suppressed for publication, by default
SUPPRESS_BELOW = 10
#: a figure from fewer judged cases than this is too few to say much (the rating rules'
#: minimum to rate)
TOO_FEW = 5


@dataclass(frozen=True)
class PoolingChoice:
    """What an analysis pools and how. Empty ``years`` or ``programmes``: all there are."""

    family: str | None = None
    years: tuple[int, ...] = ()
    programmes: tuple[str, ...] = ()
    sample_design: str = RANDOM
    #: the rule "only the latest data where a unit was re-inspected"
    latest_only: bool = True
    by: tuple[str, ...] = tuple(code for code, _ in DIMENSIONS)
    suppress_below: int = SUPPRESS_BELOW
    #: count every case form as answered so far, not the approved ones only
    provisional: bool = False

    def problems(self) -> list[str]:
        found = []
        if self.family is not None and (id_problem(self.family)
                                        or not self.family.isprintable()):
            found.append(f"{self.family!r} cannot be a framework family: "
                         f"{id_problem(self.family) or 'it holds characters no id has'}")
        unknown = [d for d in self.by if d not in DIMENSION_HEADINGS]
        if unknown:
            found.append(f"'{', '.join(unknown)}' cannot split pooled figures; choose from "
                         f"{', '.join(DIMENSION_HEADINGS)}")
        twice = sorted({d for d in self.by if self.by.count(d) > 1} - set(unknown))
        if twice:
            found.append(f"'{', '.join(twice)}' is asked for more than once")
        strange = [p for p in self.programmes if p not in PROGRAMMES]
        if strange:
            found.append(f"{', '.join(map(repr, strange))} is not a programme; choose from "
                         f"{', '.join(PROGRAMMES.codes())}")
        if self.sample_design not in SAMPLE_DESIGN:
            found.append(f"'{self.sample_design}' is not a sample design; choose "
                         f"{' or '.join(SAMPLE_DESIGN.codes())}")
        if not 0 <= self.suppress_below <= 1000:
            found.append(f"cells are suppressed below a number of cases from 0 to 1,000, "
                         f"not {self.suppress_below}")
        return found

    def statements(self) -> list[str]:
        """Each choice, in words, for the output to say."""
        design = SAMPLE_DESIGN.label(self.sample_design).split(" (")[0].lower()
        return [
            f"Framework family: {self.family} (one family at a time, so that like is "
            "compared with like).",
            f"Sample design: {design}s only (targeted and random samples are never "
            "pooled together).",
            ("Re-inspections: only the latest inspection of a unit counts; an inspection "
             "re-inspected later is left out.") if self.latest_only else
            ("Re-inspections: every inspection counts, re-inspected or not (asked for; "
             "the published rule counts only the latest)."),
            ("Case forms: every case form as answered so far (provisional)."
             if self.provisional else "Case forms: approved case forms only."),
            f"Years: {', '.join(map(str, self.years)) if self.years else 'all'}; "
            f"programmes: {', '.join(self.programmes) if self.programmes else 'all'}.",
            (f"Cells of fewer than {self.suppress_below} judged cases are suppressed (no "
             "count, share or interval shown)." if self.suppress_below else
             "No cells are suppressed: not for publication as it stands."),
            f"Figures from fewer than {TOO_FEW} judged cases are marked as too few.",
        ]


@dataclass(frozen=True)
class Count:
    """The central store's count for one key question and one group of one dimension
    (``dimension`` None: all cases): cases judged sufficient, and cases judged."""

    question_key: str
    dimension: str | None
    group: str
    sufficient: int
    judged: int


@dataclass(frozen=True)
class Figure:
    question_key: str
    question: str
    dimension: str | None
    group: str
    #: None where suppressed
    sufficient: int | None
    judged: int | None
    share: float | None
    low: float | None
    high: float | None
    suppressed: bool
    too_few: bool


@dataclass(frozen=True)
class Difference:
    """A group's share set against the rest of the cases judged on the same question."""

    question_key: str
    question: str
    dimension: str
    group: str
    share: float | None
    rest_share: float | None
    difference: float | None
    low: float | None
    high: float | None
    suppressed: bool


@dataclass(frozen=True)
class LeftOut:
    """An inspection an analysis left out, and why."""

    inspection: str
    why: str


@dataclass(frozen=True)
class PooledFindings:
    choice: PoolingChoice
    inspections: int
    cases: int
    figures: tuple[Figure, ...]
    differences: tuple[Difference, ...]
    left_out: tuple[LeftOut, ...] = ()
    families: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def statements(self) -> list[str]:
        return [*self.choice.statements(), *self.notes]


def newcombe_difference(yes1: int, n1: int, yes2: int, n2: int,
                        z: float = Z95) -> tuple[float, float, float] | None:
    """The difference p1 - p2 with its interval by Newcombe's hybrid score method (the two
    Wilson intervals combined), or None when either side has no cases."""
    first, second = wilson_interval(yes1, n1, z), wilson_interval(yes2, n2, z)
    if first is None or second is None:
        return None
    p1, p2 = yes1 / n1, yes2 / n2
    (l1, u1), (l2, u2) = first, second
    d = p1 - p2
    low = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return d, max(-1.0, low), min(1.0, high)


def pooled_findings(choice: PoolingChoice, counts: Iterable[Count],
                    questions: Mapping[str, str], *, inspections: int, cases: int,
                    left_out: Sequence[LeftOut] = (), families: Sequence[str] = (),
                    notes: Sequence[str] = ()) -> PooledFindings:
    """The figures and differences from the store's counts; ``questions``: each key
    question's wording, in the order to show them."""
    counts = list(counts)
    order = {key: n for n, key in enumerate(questions)}
    dims = {code: n for n, (code, _) in enumerate(DIMENSIONS)}
    counts.sort(key=lambda c: (order.get(c.question_key, len(order)),
                               -1 if c.dimension is None else dims.get(c.dimension, 99),
                               _group_order(c.group)))
    overall = {c.question_key: c for c in counts if c.dimension is None}
    floor = choice.suppress_below
    figures = tuple(_figure(c, questions.get(c.question_key, c.question_key), floor)
                    for c in counts)
    differences = []
    for c in counts:
        whole = overall.get(c.question_key)
        if c.dimension is None or whole is None:
            continue
        rest = Count(c.question_key, c.dimension, "", whole.sufficient - c.sufficient,
                     whole.judged - c.judged)
        differences.append(_difference(c, rest, questions.get(c.question_key,
                                                              c.question_key), floor))
    return PooledFindings(choice, inspections, cases, figures, tuple(differences),
                          tuple(left_out), tuple(families), tuple(notes))


def _figure(count: Count, question: str, floor: int) -> Figure:
    suppressed = count.judged < floor
    if suppressed:  # nothing of its size, not even whether it is under the minimum
        return Figure(count.question_key, question, count.dimension, count.group, None, None,
                      None, None, None, True, False)
    interval = wilson_interval(count.sufficient, count.judged)
    share = count.sufficient / count.judged if count.judged else None
    low, high = interval if interval else (None, None)
    return Figure(count.question_key, question, count.dimension, count.group,
                  count.sufficient, count.judged, share, low, high, False,
                  count.judged < TOO_FEW)


def _difference(group: Count, rest: Count, question: str, floor: int) -> Difference:
    if group.judged < max(floor, 1) or rest.judged < max(floor, 1):
        return Difference(group.question_key, question, group.dimension or "", group.group,
                          None, None, None, None, None, True)
    d, low, high = newcombe_difference(group.sufficient, group.judged, rest.sufficient,
                                       rest.judged)
    return Difference(group.question_key, question, group.dimension or "", group.group,
                      group.sufficient / group.judged, rest.sufficient / rest.judged, d, low,
                      high, False)


def _group_order(group: str) -> tuple[bool, str]:
    return (group in ("", NOT_RECORDED), group)


# -- over the wire -----------------------------------------------------------------------------

def choice_to_query(choice: PoolingChoice) -> list[tuple[str, str]]:
    """The choice as a query string's pairs, as the central service reads it."""
    pairs = [("sample", choice.sample_design), ("latest_only", str(choice.latest_only).lower()),
             ("suppress_below", str(choice.suppress_below)),
             ("provisional", str(choice.provisional).lower()), ("by", ",".join(choice.by))]
    if choice.family:
        pairs.append(("framework", choice.family))
    pairs += [("year", str(y)) for y in choice.years]
    pairs += [("programme", p) for p in choice.programmes]
    return pairs


def choice_from_query(values: Mapping[str, Sequence[str]]) -> PoolingChoice:
    """The choice a query string gives (each key to its values); a value that cannot be
    read raises ValueError naming it."""
    def one(key: str, default: str) -> str:
        found = values.get(key) or [default]
        if len(found) != 1:
            raise ValueError(f"'{key}' is given more than once")
        return found[0]

    def flag(key: str, default: bool) -> bool:
        word = one(key, str(default).lower())
        if word not in ("true", "false"):
            raise ValueError(f"'{key}' is true or false, not '{word}'")
        return word == "true"

    def whole(key: str, word: str) -> int:
        if not (word.isascii() and word.isdigit()) or len(word) > 6:
            raise ValueError(f"'{key}' is a whole number, not '{word}'")
        return int(word)

    by = one("by", ",".join(code for code, _ in DIMENSIONS))
    return PoolingChoice(
        family=one("framework", "") or None,
        years=tuple(whole("year", y) for y in values.get("year", ())),
        programmes=tuple(values.get("programme", ())),
        sample_design=one("sample", RANDOM), latest_only=flag("latest_only", True),
        by=tuple(dict.fromkeys(d for d in by.split(",") if d)),
        suppress_below=whole("suppress_below", one("suppress_below", str(SUPPRESS_BELOW))),
        provisional=flag("provisional", False))


def findings_to_wire(findings: PooledFindings) -> dict:
    return dataclasses.asdict(findings)


def findings_from_wire(data: Mapping) -> PooledFindings:
    """The findings as the service sent them (``findings_to_wire``); KeyError or TypeError
    when they are not whole."""
    raw = dict(data["choice"])
    for key in ("years", "programmes", "by"):
        raw[key] = tuple(raw[key])
    return PooledFindings(
        PoolingChoice(**raw), int(data["inspections"]), int(data["cases"]),
        tuple(Figure(**f) for f in data["figures"]),
        tuple(Difference(**d) for d in data["differences"]),
        tuple(LeftOut(**o) for o in data["left_out"]), tuple(data["families"]),
        tuple(data["notes"]))


# -- as a table ------------------------------------------------------------------------------

#: the columns of the findings as one tidy table (a row per key question and group), as the
#: workbook, the Parquet file and the command line give them
FINDINGS_COLUMNS: tuple[str, ...] = (
    "question_key", "question", "split_by", "group", "sufficient", "judged", "share",
    "share_low", "share_high", "too_few", "suppressed", "rest_share", "difference",
    "difference_low", "difference_high")


def findings_rows(findings: PooledFindings) -> list[tuple]:
    """One row per figure, in ``FINDINGS_COLUMNS``: a group's row carries its difference
    from the rest of the cases; the all-cases row (split by "All cases") has none."""
    differences = {(d.question_key, d.dimension, d.group): d for d in findings.differences}
    rows = []
    for f in findings.figures:
        d = differences.get((f.question_key, f.dimension, f.group))
        rows.append((
            f.question_key, f.question,
            DIMENSION_HEADINGS.get(f.dimension, "All cases") if f.dimension else "All cases",
            f.group or "All cases", f.sufficient, f.judged, f.share, f.low, f.high, f.too_few,
            f.suppressed, *((d.rest_share, d.difference, d.low, d.high) if d else
                            (None,) * 4)))
    return rows
