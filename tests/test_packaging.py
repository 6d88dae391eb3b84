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
            "app/resources/case_lists/aliases.json", "app/resources/ratings/default.json",
            "app/main.py"} <= names
    # every framework shipped, whether a framework file or a workbook
    shipped = {f"app/resources/frameworks/{p.name}"
               for p in (ROOT / "resources" / "frameworks").iterdir()
               if p.suffix in (".json", ".xlsx")}
    assert len(shipped) >= 12 and shipped <= names, sorted(shipped - names)
    assert not any(name.startswith("tests/") for name in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "aspire = app.main:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
