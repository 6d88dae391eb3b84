"""The wheel carries the migrations and the question frameworks the app needs at start-up."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_ships_migrations_and_resources(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(tmp_path), str(ROOT)],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    wheel = next(tmp_path.glob("aspire_casework-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"app/migrations/env.py", "app/migrations/script.py.mako",
            "app/migrations/versions/0001_initial_schema.py",
            "app/resources/frameworks/adult-probation.json",
            "app/resources/frameworks/youth-offending.json",
            "app/resources/frameworks/adult-case-supervision-2018.xlsx",
            "app/resources/frameworks/through-the-gate-2017.xlsx",
            "app/resources/frameworks/youth-court-disposals-2018.xlsx",
            "app/resources/frameworks/youth-out-of-court-disposals-2018.xlsx",
            "app/resources/frameworks/court-work-2018.xlsx",
            "app/resources/case_lists/aliases.json", "app/resources/ratings/default.json",
            "app/main.py"} <= names
    assert not any(name.startswith("tests/") for name in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "aspire = app.main:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
