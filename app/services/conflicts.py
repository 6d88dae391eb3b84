"""Conflicts: an answer (or other record) changed here and elsewhere at the same time.

The central version is what every laptop holds meanwhile; the inspector sees base, theirs
and yours, with who and when, and chooses. The choice is saved as a new revision, like any
other answer, and the conflict record is kept, marked resolved.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from app.core.dto import ConflictRecord
from app.db import repositories as repo
from app.db.bookkeeping import utcnow
from app.db.engine import Database
from app.errors import NotFoundError, ValidationError
from app.services.case_forms import CaseFormService
from app.services.frameworks import FrameworkCatalog

KEEP_THEIRS, USE_MINE, MERGED, ACKNOWLEDGED = "theirs", "yours", "merged", "acknowledged"


class ConflictService:
    def __init__(self, db: Database, catalog: FrameworkCatalog, forms: CaseFormService):
        self._db = db
        self._catalog = catalog
        self._forms = forms

    def open(self) -> list[ConflictRecord]:
        with self._db.read() as session:
            return [self._record(session, row) for row in repo.open_conflicts(session)]

    def resolve(self, *, conflict_id: uuid.UUID, choice: str, value: object = None,
                reasons: Sequence[str] = (), evidence: str = "") -> None:
        """Keep theirs, use mine, or save a merged answer (``value``, ``reasons``,
        ``evidence``); a refusal is acknowledged. Using mine or a merge is a new revision."""
        with self._db.read() as session:
            row = repo.get_conflict(session, conflict_id)
            if row is None or row.resolved_at is not None:
                raise NotFoundError("That conflict is not open any more.",
                                    "Reopen the list of conflicts.")
            entity, yours, kind = row.entity, row.yours or {}, row.kind
        if kind != "conflict" and choice != ACKNOWLEDGED:
            raise ValidationError("This change can only be acknowledged.",
                                  "Read why it was refused or set aside, then choose OK.")
        if choice == ACKNOWLEDGED:
            pass
        elif choice in (USE_MINE, MERGED):
            if entity != "answers":
                raise ValidationError("Only answers can be merged here.",
                                      "Keep theirs, then make the change again.")
            given = (yours.get("value"), yours.get("reasons") or (), yours.get("evidence", ""))
            if choice == MERGED:
                given = (value, reasons, evidence)
            self._forms.record_answer(case_id=uuid.UUID(str(yours["case_id"])),
                                      question_key=yours["question_key"], value=given[0],
                                      reasons=given[1], evidence=given[2])
        elif choice != KEEP_THEIRS:
            raise ValidationError(f"'{choice}' is not a way to resolve a conflict.",
                                  "Keep theirs, use mine, or write a merged answer.")
        with self._db.write() as session:
            repo.resolve_conflict(session, conflict_id, by=self._db.user, at=utcnow(),
                                  resolution={"choice": choice})

    def _record(self, session, row) -> ConflictRecord:
        payload = row.yours or row.theirs or {}
        if not isinstance(payload, dict):
            payload = {}
        case_id = payload.get("case_id") or (payload.get("id") if row.entity == "cases"
                                            else None)
        try:
            case = repo.get_case(session, uuid.UUID(str(case_id))) if case_id else None
        except ValueError:  # a damaged or forged change set aside: no case to name
            case = None
        key, text = payload.get("question_key", ""), ""
        if case is not None and key:
            framework = self._catalog.from_row(
                repo.get_inspection(session, case.inspection_id).framework)
            try:
                text = framework.question(key).text
            except KeyError:
                text = key
        yours, theirs, base = (v if isinstance(v, dict) else {}
                               for v in (row.yours, row.theirs, row.base))
        pick = "value" if row.entity == "answers" else None
        return ConflictRecord(
            id=row.id, kind=row.kind, entity=row.entity, entity_id=row.entity_id,
            case_id=case.id if case else None, case_reference=case.reference if case else "",
            question_key=key, question_text=text,
            base=base.get(pick) if pick else base, yours=yours.get(pick) if pick else yours,
            yours_by=yours.get("updated_by", ""), yours_at=yours.get("updated_at", ""),
            theirs=theirs.get(pick) if pick else theirs, theirs_by=row.theirs_by,
            theirs_at=row.theirs_at, detected_at=row.detected_at, detail=row.detail,
            yours_evidence=yours.get("evidence", ""), theirs_evidence=theirs.get("evidence", ""))
