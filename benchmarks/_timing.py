"""Small helpers shared by the benchmarks: a timer, percentiles and a table."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence


def time_each(action: Callable[[int], object], count: int,
              between: Callable[[], object] | None = None) -> list[float]:
    """Run ``action(0)`` .. ``action(count - 1)`` and return how long each took, in ms;
    ``between`` runs untimed before each (what the application does while idle)."""
    durations = []
    for i in range(count):
        if between is not None:
            between()
        start = time.perf_counter_ns()
        action(i)
        durations.append((time.perf_counter_ns() - start) / 1_000_000)
    return durations


def percentile(samples: Sequence[float], pct: float) -> float:
    """The nearest-rank percentile (p99 of 1,000 samples is the 990th smallest)."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def summary(samples: Sequence[float]) -> dict[str, float]:
    return {"p50": percentile(samples, 50), "p99": percentile(samples, 99), "max": max(samples)}


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Print rows under headers: the first column left-aligned, the others right-aligned."""
    cells = [[str(h) for h in headers]] + [[_cell(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for n, row in enumerate(cells):
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                        for i, (c, w) in enumerate(zip(row, widths, strict=True))).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))


def _cell(value: object) -> str:
    return f"{value:.2f}" if isinstance(value, float) else str(value)
