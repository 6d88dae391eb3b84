"""Every benchmark starts: its imports resolve against today's code and it reads its options.

The benchmarks run by hand, not in the suite, so a helper renamed in the app would otherwise
break one unseen until someone next measures with it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = sorted((Path(__file__).resolve().parents[1] / "benchmarks").glob("bench_*.py"))


def test_there_are_benchmarks():
    assert len(BENCHMARKS) >= 10


@pytest.mark.parametrize("script", BENCHMARKS, ids=lambda path: path.stem)
def test_benchmark_starts(script):
    result = subprocess.run([sys.executable, str(script), "--help"], capture_output=True,
                            text=True, timeout=120, cwd=script.parent)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage:"), result.stdout
