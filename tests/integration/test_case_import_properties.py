"""Generated messy case lists, written as real files and imported through the service:
each imports exactly, or is refused with its problems listed by row, and never half."""

from __future__ import annotations

import contextlib
import csv
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from app.errors import ValidationError
from app.services.case_import import ImportRefused
from tests.conftest import raw_connection
from tests.integration.helpers import make_inspection

HEADERS = {"reference": ["CRN", "case ref", " Case Reference "], "gender": ["Sex", "GENDER"],
           "rosh": ["RoSH", "risk of serious harm"], "date_of_birth": ["DOB", "date of birth"]}
GOOD = {"gender": ["M", "f", "Male", " female "], "rosh": ["L", "medium", "VH", "High"],
        "date_of_birth": ["31/01/1990", "1985-02-03", "1/2/1977"]}
BAD = {"gender": ["Q", "12"], "rosh": ["extreme", "5"], "date_of_birth": ["31/02/1990",
                                                                           "1990/31/01"]}


@st.composite
def case_lists(draw):
    fields = ["reference", *draw(st.lists(st.sampled_from(sorted(GOOD)), unique=True))]
    headers = [draw(st.sampled_from(HEADERS[f])) for f in fields]
    rows, bad_rows, references = [], set(), []
    for i in range(draw(st.integers(1, 12))):
        if draw(st.booleans()) and draw(st.booleans()):
            rows.append([""] * len(fields))  # a blank row, ignored
            continue
        row = [f"X{i:04d}"]
        wrong = False
        for field in fields[1:]:
            if draw(st.integers(0, 9)) == 0:
                row.append(draw(st.sampled_from(BAD[field])))
                wrong = True
            else:
                row.append(draw(st.sampled_from(GOOD[field])))
        if wrong:
            bad_rows.add(len(rows) + 2)  # spreadsheet row: after the header, counted from 1
        references.append(row[0])
        rows.append(row)
    return headers, rows, bad_rows, references


def write(path: Path, headers, rows) -> Path:
    if path.suffix == ".csv":
        with path.open("w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows([headers, *rows])
    else:
        workbook = Workbook()
        workbook.active.append(headers)
        for row in rows:
            workbook.active.append([cell or None for cell in row])
        workbook.save(path)
    return path


def counts(db_path) -> tuple[int, int]:
    with contextlib.closing(raw_connection(db_path)) as conn:
        return (conn.execute("SELECT count(*) FROM cases").fetchone()[0],
                conn.execute("SELECT count(*) FROM outbox").fetchone()[0])


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(listing=case_lists(), suffix=st.sampled_from([".csv", ".xlsx"]))
def test_imports_exactly_or_refuses_by_row_and_never_half(mini, db_path, listing, suffix):
    headers, rows, bad_rows, references = listing
    inspection = make_inspection(mini)
    before = counts(db_path)
    with tempfile.TemporaryDirectory() as folder:
        path = write(Path(folder) / f"list{suffix}", headers, rows)
        try:
            _preview, report = mini.imports.import_file(inspection_id=inspection.id, path=path)
        except ImportRefused as refused:
            assert bad_rows, "a clean list was refused"
            assert {p.row for p in refused.preview.problems} == bad_rows
            assert counts(db_path) == before
            return
        except ValidationError as exc:  # the file as a whole could not be used
            raise AssertionError(f"unexpected refusal: {exc.message}") from exc
    assert not bad_rows, "a list with bad rows was imported"
    assert report.imported == len(references)
    stored = sorted(c.reference for c in mini.cases.list(inspection.id))
    assert stored == sorted(references)
    assert counts(db_path)[0] == before[0] + len(references)
