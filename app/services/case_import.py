"""Importing a case list (.xlsx or .csv) into an inspection: check everything, then store
all of it in one transaction or none of it."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from app.core.case_import import RowProblem
from app.core.dto import ImportPreview, ImportReport
from app.core.form import evaluate_form
from app.core.profile import PROFILE_FIELDS
from app.db import repositories as repo
from app.db.engine import Database
from app.errors import Cancelled, ValidationError
from app.io.case_lists import check_case_list
from app.io.case_template import write_case_template
from app.services.cases import refuse_if_closed
from app.services.frameworks import FrameworkCatalog
from app.services.inspections import inspection_not_found

PROGRESS_EVERY = 500


class ImportCancelled(Cancelled):
    """The inspector cancelled reading the file; nothing was stored."""


class ImportRefused(ValidationError):
    """The file has problems; nothing was stored. ``preview`` lists them."""

    def __init__(self, preview: ImportPreview):
        count = len(preview.problems)
        super().__init__(
            f"{Path(preview.file).name} has {count} problem{'s' if count != 1 else ''}; no case "
            "was imported.",
            "Correct each row listed (row, column, value and what is expected) and import the "
            "file again.",
            details=[describe_problem(p) for p in preview.problems],
        )
        self.preview = preview

    def as_dict(self) -> dict[str, object]:
        return {**super().as_dict(), "problems": [
            {"row": p.row, "column": p.column, "value": p.value, "expected": p.expected}
            for p in self.preview.problems]}


def describe_problem(problem: RowProblem) -> str:
    return (f"row {problem.row}, column '{problem.column}': '{problem.value}' — expected "
            f"{problem.expected}")


class CaseImportService:
    def __init__(self, db: Database, catalog: FrameworkCatalog):
        self._db = db
        self._catalog = catalog

    def check(self, *, inspection_id: uuid.UUID, path: Path,
              progress: Callable[[int], None] | None = None,
              cancelled: Callable[[], bool] | None = None) -> ImportPreview:
        """Read and check the whole file; store nothing. ``progress`` gets rows read so far;
        ``cancelled`` is asked between rows and stops the reading when it returns True."""
        with self._db.read() as session:
            if repo.get_inspection(session, inspection_id) is None:
                raise inspection_not_found(inspection_id)
            known = repo.case_references(session, inspection_id)
        table, result = check_case_list(
            path, watch=lambda rows: _watched(rows, progress, cancelled))
        new = tuple(c for c in result.cases if c.reference.lower() not in known)
        existing = tuple(c.reference for c in result.cases if c.reference.lower() in known)
        return ImportPreview(
            inspection_id=inspection_id, file=str(path), sheet=table.sheet,
            header_row=table.header_row, columns=result.columns, rows_read=result.rows_read,
            blank_rows=result.blank_rows, new_cases=new, existing_references=existing,
            problems=result.problems,
        )

    def commit(self, preview: ImportPreview) -> ImportReport:
        """Store the previewed cases, all in one transaction, or refuse them all."""
        if not preview.ok:
            raise ImportRefused(preview)
        with self._db.write() as session:
            inspection = repo.get_inspection(session, preview.inspection_id)
            if inspection is None:
                raise inspection_not_found(preview.inspection_id)
            refuse_if_closed(inspection, "no case can be added to it")
            known = repo.case_references(session, preview.inspection_id)
            cases = [c for c in preview.new_cases if c.reference.lower() not in known]
            framework = self._catalog.from_row(inspection.framework)
            rows = [_case_row(preview.inspection_id, c) for c in cases]
            repo.add_cases(session, rows)
            repo.add_progress_rows(session, _progress_rows(framework, rows))
        return ImportReport(file=preview.file, imported=len(rows),
                            already_present=len(preview.new_cases) - len(rows)
                            + len(preview.existing_references), dry_run=False)

    def write_template(self, path: Path, programme: str | None = None) -> Path:
        """The blank case list workbook, with drop-downs for every coded column."""
        return write_case_template(path, programme)

    def import_file(self, *, inspection_id: uuid.UUID, path: Path,
                    dry_run: bool = False) -> tuple[ImportPreview, ImportReport]:
        """Check and (unless a dry run) store in one call: the command line's path."""
        preview = self.check(inspection_id=inspection_id, path=path)
        if not preview.ok:
            raise ImportRefused(preview)
        if dry_run:
            return preview, ImportReport(file=str(path), imported=0, dry_run=True,
                                         already_present=len(preview.existing_references))
        return preview, self.commit(preview)


def _watched(rows: Iterable, progress, cancelled) -> Iterator:
    for count, row in enumerate(rows, start=1):
        if count % PROGRESS_EVERY == 0:
            if cancelled is not None and cancelled():
                raise ImportCancelled("reading the case list was cancelled")
            if progress is not None:
                progress(count)
        yield row


def _case_row(inspection_id: uuid.UUID, case) -> dict[str, object]:
    row = {"id": uuid.uuid4(), "inspection_id": inspection_id, "reference": case.reference,
           "notes": case.notes, "status": "not_started"}
    row.update({f.name: getattr(case.profile, f.name) for f in PROFILE_FIELDS})
    return row


def _progress_rows(framework, rows: list[dict]) -> list[dict]:
    """Progress of each new (unanswered) case form. With no answers, applicability depends
    only on the profile fields the framework's rules read, so each distinct combination of
    those is worked out once (a handful, however long the list)."""
    read = sorted({name for q in framework.questions() if q.applies_if is not None
                   for name in q.applies_if.references("profile")})
    seen: dict[tuple, dict] = {}
    result = []
    for row in rows:
        key = tuple(row[name] for name in read)
        counts = seen.get(key)
        if counts is None:
            state = evaluate_form(framework, {name: row[name] for name in read}, {})
            counts = {"applicable": state.applicable_count, "answered": 0,
                      "problems": len(state.problems()), "percent": state.percent}
            seen[key] = counts
        result.append({"case_id": row["id"], **counts})
    return result
