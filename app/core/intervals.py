"""Intervals around a share of cases: what the ratings and pooled findings put beside each
percentage."""

from __future__ import annotations

import math

Z95 = 1.959963984540054  # two-sided 95%


def wilson_interval(yes: int, total: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval for yes/total (without continuity correction)."""
    if total == 0:
        return None
    p = yes / total
    centre = p + z * z / (2 * total)
    spread = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total))
    scale = 1 + z * z / total
    return max(0.0, (centre - spread) / scale), min(1.0, (centre + spread) / scale)
