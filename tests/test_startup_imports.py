"""What the window loads before the inspector can start work: the libraries for workbooks,
PDFs, pooled findings, the central service and its accounts are loaded when first used, not
as the window starts or lists the inspections (each costs tens to hundreds of milliseconds
of a cold start). Each check runs in a fresh interpreter, as a start does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: loaded only by the work that needs them
LATER = ("openpyxl", "reportlab", "psycopg", "argon2", "pyarrow", "python_calamine",
         "starlette", "uvicorn", "alembic", "cryptography", "zxcvbn")

MAKE = """
import sys
from pathlib import Path
from app.db.keys import derive
from app.db.opening import open_database
open_database(Path(sys.argv[1]), user="inspector.one",
              key=derive("correct horse battery staple", b"aspire-test-salt")).close()
"""

WINDOW = """
import json, sys
import app.main
import app.ui.main_window
print(json.dumps(sorted(m for m in sys.argv[1:] if m in sys.modules)))
"""

LISTED = """
import json, sys
from pathlib import Path
from app.bootstrap import build_services
from app.db.keys import derive
from app.db.opening import open_database
db = open_database(Path(sys.argv[1]), user="inspector.one",
                   key=derive("correct horse battery staple", b"aspire-test-salt"))
services = build_services(db)
# what the window's first screen reads: the inspections, a case list, the sync status
services.inspections.list()
services.cases
services.forms
services.review
services.sync.status()
services.close()
print(json.dumps(sorted(m for m in sys.argv[2:] if m in sys.modules)))
"""


def loaded(code: str, *args: str) -> list[str]:
    # as the program starts: without the test run's own start-up, which loads the hasher
    paths = os.environ.get("PYTHONPATH", "").split(os.pathsep)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in paths if p and Path(p).name != "cheap_hashing")}
    done = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1]) if args else []


def test_the_window_shows_before_the_storage_layer_or_any_later_library_is_loaded():
    assert loaded(WINDOW, "sqlalchemy", *LATER) == []


def test_the_inspections_are_listed_without_the_libraries_of_later_work(tmp_path):
    path = tmp_path / "casework.db"
    subprocess.run([sys.executable, "-c", MAKE, str(path)], cwd=ROOT, check=True,
                   timeout=120)
    assert loaded(LISTED, str(path), *LATER) == []
