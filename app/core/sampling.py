"""The case sample: how many cases to inspect, how to spread them across strata, and the draw.

The size uses the proportion formula with a finite-population correction. The defaults (80%
confidence, a 5-point margin) are recalled from inspection methodology annexes and are not
verified, so every one of them can be changed. Stratification by gender, sentence or disposal
type and risk of serious harm follows the ratio checks described for youth inspections (2018).
Ethnicity is recorded and compared but not stratified on.
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist

DEFAULT_CONFIDENCE = 0.80  # configurable; recalled from inspection methodology, not verified
DEFAULT_MARGIN = 0.05
DEFAULT_PROPORTION = 0.5
DEFAULT_STRATA = ("gender", "sentence_type", "rosh")  # case profile field names
DEFAULT_RESERVE_PER_STRATUM = 2

NOT_RECORDED = "not_recorded"

# Guards the rounding up against floating-point noise (a size of 39.0000000001 is 39, not 40).
_ROUNDING_TOLERANCE = 1e-9

Stratum = tuple[str, ...]  # the values of the stratifying fields, in field order


def _check_fraction(name: str, value: float) -> None:
    if not 0 < value < 1:
        raise ValueError(f"{name} must be between 0 and 1 (exclusive), not {value!r}")


def z_value(confidence: float) -> float:
    """The two-sided standard normal value for a confidence level, e.g. 0.80 gives 1.2816."""
    _check_fraction("Confidence level", confidence)
    return NormalDist().inv_cdf(1 - (1 - confidence) / 2)


def sample_size(population: int, confidence: float = DEFAULT_CONFIDENCE,
                margin: float = DEFAULT_MARGIN, proportion: float = DEFAULT_PROPORTION) -> int:
    """Cases to inspect from an eligible population, rounded up and never more than it."""
    z = z_value(confidence)
    _check_fraction("Margin of error", margin)
    _check_fraction("Expected proportion", proportion)
    if population < 0:
        raise ValueError(f"Eligible population cannot be negative, not {population!r}")
    if population == 0:
        return 0
    n0 = z * z * proportion * (1 - proportion) / (margin * margin)
    n = n0 / (1 + (n0 - 1) / population)
    return min(population, math.ceil(n - _ROUNDING_TOLERANCE))


def _code(value: object) -> str:
    return NOT_RECORDED if value is None or value == "" else str(value)


def stratum_of(profile: Mapping[str, object], fields: Sequence[str] = DEFAULT_STRATA) -> Stratum:
    """The stratum a case belongs to: its value for each stratifying field."""
    return tuple(_code(profile.get(name)) for name in fields)


@dataclass(frozen=True)
class Allocation:
    sizes: dict[Stratum, int]  # cases to draw per stratum
    requested: int  # the size asked for
    total: int  # sum of sizes; above `requested` only when one case per stratum forces it
    raised_for_minimum: bool  # True when total > requested for that reason


def allocate(counts: Mapping[Stratum, int], size: int) -> Allocation:
    """Spread `size` cases across strata in proportion to their caseload.

    Quotas are rounded by largest remainder (Hamilton's method). Every stratum with cases then
    gets at least one, taken from the strata with the largest allocations, so that no group
    (girls, for example) is left out of the sample.
    """
    if size < 0:
        raise ValueError(f"Sample size cannot be negative, not {size!r}")
    if any(count < 0 for count in counts.values()):
        raise ValueError("Caseload counts cannot be negative")
    present = {stratum: count for stratum, count in counts.items() if count > 0}
    population = sum(present.values())
    if size >= population:
        return Allocation(dict(present), size, population, False)
    if size < len(present):
        return Allocation(dict.fromkeys(present, 1), size, len(present), True)

    # Exact integer arithmetic: the quota is size * count / population.
    sizes = {stratum: size * count // population for stratum, count in present.items()}
    left = size - sum(sizes.values())
    by_remainder = sorted(present, key=lambda s: (-(size * present[s] % population),
                                                  -present[s], s))
    for stratum in by_remainder[:left]:
        sizes[stratum] += 1

    for stratum in sorted(s for s in present if sizes[s] == 0):
        # Take from the largest allocation; on a tie, from the stratum furthest above its quota.
        donor = min((s for s in present if sizes[s] > 1),
                    key=lambda s: (-sizes[s], present[s], s))
        sizes[donor] -= 1
        sizes[stratum] = 1
    return Allocation(sizes, size, size, False)


@dataclass(frozen=True)
class SampleUnit:
    case_id: str  # any hashable id as a string
    reference: str  # orders units before drawing, so the draw does not depend on input order
    stratum: Stratum


@dataclass(frozen=True)
class SampleDraw:
    selected: tuple[str, ...]  # case ids, in draw order
    reserve: dict[Stratum, tuple[str, ...]]  # per stratum, the next cases in draw order
    allocation: Allocation


def draw_sample(units: Sequence[SampleUnit], size: int, seed: int,
                reserve_per_stratum: int = DEFAULT_RESERVE_PER_STRATUM) -> SampleDraw:
    """A reproducible stratified random sample, with reserve cases for each stratum.

    The same cases, given in any order, with the same seed always give the same draw, so a
    sample can be re-created and checked later from its seed.
    """
    if reserve_per_stratum < 0:
        raise ValueError(f"Reserve per stratum cannot be negative, not {reserve_per_stratum!r}")
    duplicates = sorted(cid for cid, n in Counter(u.case_id for u in units).items() if n > 1)
    if duplicates:
        raise ValueError(f"Case ids appear more than once: {', '.join(duplicates)}")
    by_stratum: dict[Stratum, list[SampleUnit]] = defaultdict(list)
    for unit in units:
        by_stratum[unit.stratum].append(unit)
    allocation = allocate({s: len(members) for s, members in by_stratum.items()}, size)

    rng = random.Random(seed)
    selected: list[str] = []
    reserve: dict[Stratum, tuple[str, ...]] = {}
    for stratum in sorted(by_stratum):
        ordered = [u.case_id for u in sorted(by_stratum[stratum],
                                             key=lambda u: (u.reference, u.case_id))]
        rng.shuffle(ordered)
        take = allocation.sizes.get(stratum, 0)
        selected.extend(ordered[:take])
        reserve[stratum] = tuple(ordered[take:take + reserve_per_stratum])
    return SampleDraw(tuple(selected), reserve, allocation)


def replacement_for(draw_reserve: Sequence[str], already_used: Collection[str]) -> str | None:
    """The first reserve case of a stratum not yet used; None when the reserve is exhausted."""
    return next((case_id for case_id in draw_reserve if case_id not in already_used), None)


@dataclass(frozen=True)
class ProportionRow:
    attribute: str  # profile field name, e.g. "gender"
    value: str  # code
    caseload_count: int
    caseload_percent: float  # 0..100, one decimal place
    sample_count: int
    sample_percent: float


def _percent(count: int, total: int) -> float:
    return round(100 * count / total, 1) if total else 0.0


def compare_proportions(caseload: Sequence[Mapping[str, object]],
                        sample: Sequence[Mapping[str, object]],
                        attributes: Sequence[str] = (*DEFAULT_STRATA, "ethnicity"),
                        ) -> list[ProportionRow]:
    """How the sample's make-up compares with the caseload's, attribute by attribute."""
    rows = []
    for attribute in attributes:
        in_caseload = Counter(_code(profile.get(attribute)) for profile in caseload)
        in_sample = Counter(_code(profile.get(attribute)) for profile in sample)
        values = sorted(in_caseload.keys() | in_sample.keys(),
                        key=lambda v: (-in_caseload[v], v))
        rows.extend(
            ProportionRow(attribute, value,
                          in_caseload[value], _percent(in_caseload[value], len(caseload)),
                          in_sample[value], _percent(in_sample[value], len(sample)))
            for value in values
        )
    return rows


