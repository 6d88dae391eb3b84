"""Agreement between two markers of the same cases: percentage agreement and Cohen's kappa."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Agreement:
    pairs: int
    agreed: int
    kappa: float | None  # None when it cannot be worked out (no pairs, or chance is certain)

    @property
    def percent(self) -> float | None:
        return None if not self.pairs else 100 * self.agreed / self.pairs


def agreement(pairs: Sequence[tuple[object, object]]) -> Agreement:
    """``pairs``: (first marker's judgement, second marker's) for each case both judged.

    Cohen's kappa = (p_o - p_e) / (1 - p_e), where p_o is the share of cases on which they
    agree and p_e the share expected by chance from each marker's own proportions."""
    n = len(pairs)
    if n == 0:
        return Agreement(0, 0, None)
    agreed = sum(1 for a, b in pairs if a == b)
    first, second = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    observed = agreed / n
    expected = sum(first[c] * second[c] for c in first.keys() | second.keys()) / (n * n)
    kappa = None if expected == 1 else (observed - expected) / (1 - expected)
    return Agreement(n, agreed, kappa)
