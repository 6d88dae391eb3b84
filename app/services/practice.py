"""Practice examples and quotations attached to a case."""

from __future__ import annotations

import uuid

from app.core.dto import PracticeExampleRecord
from app.core.frameworks import Stage
from app.core.practice import EXAMPLE_KIND, SPEAKER_ROLE
from app.db import repositories as repo
from app.db.engine import Database
from app.errors import NotFoundError, ValidationError
from app.services.cases import case_or_error, refuse_if_locked

MAX_NARRATIVE = 20_000


class PracticeExampleService:
    def __init__(self, db: Database):
        self._db = db

    def list(self, case_id: uuid.UUID) -> list[PracticeExampleRecord]:
        with self._db.read() as session:
            case_or_error(session, case_id)
            return repo.practice_examples(session, case_id)

    def save(self, *, case_id: uuid.UUID, kind: str, narrative: str, theme: str = "",
             stage: str = "", title: str = "", speaker_role: str = "",
             cleared_for_publication: bool = False,
             example_id: uuid.UUID | None = None) -> PracticeExampleRecord:
        """Add a new example, or update ``example_id``."""
        values = _validated(kind=kind, narrative=narrative, theme=theme, stage=stage,
                            title=title, speaker_role=speaker_role,
                            cleared_for_publication=cleared_for_publication)
        with self._db.write() as session:
            refuse_if_locked(session, case_or_error(session, case_id))
            if example_id is None:
                return repo.add_practice_example(session, case_id, values)
            saved = repo.change_practice_example(session, example_id, case_id, values)
            if saved is None:
                raise _no_such_example(example_id)
            return saved

    def remove(self, *, case_id: uuid.UUID, example_id: uuid.UUID) -> None:
        """Mark an example deleted (kept for sync and audit, hidden from the case)."""
        with self._db.write() as session:
            refuse_if_locked(session, case_or_error(session, case_id))
            if not repo.remove_practice_example(session, example_id, case_id):
                raise _no_such_example(example_id)


def _validated(**values) -> dict:
    problems = []
    if values["kind"] not in EXAMPLE_KIND:
        problems.append(f"kind: '{values['kind']}' is not one of {', '.join(EXAMPLE_KIND.codes())}")
    narrative = (values["narrative"] or "").strip()
    if not narrative:
        problems.append("narrative: write the example or quotation")
    elif len(narrative) > MAX_NARRATIVE:
        problems.append(f"narrative: keep it under {MAX_NARRATIVE:,} characters")
    if values["stage"] and values["stage"] not in {s.value for s in Stage}:
        problems.append(f"stage: '{values['stage']}' is not an ASPIRE stage")
    if values["speaker_role"] not in SPEAKER_ROLE:
        problems.append(f"speaker: '{values['speaker_role']}' is not a known role")
    if problems:
        raise ValidationError("The practice example cannot be saved: " + "; ".join(problems)
                              + ".", "Correct it and save again.", details=problems)
    return {**values, "narrative": narrative, "theme": values["theme"].strip(),
            "title": values["title"].strip()}


def _no_such_example(example_id: uuid.UUID) -> NotFoundError:
    return NotFoundError(f"There is no practice example {example_id} on this case.",
                         "Reopen the case to see its current practice examples.")
