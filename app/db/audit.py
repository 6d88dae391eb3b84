"""The audit trail: every change to an answer, or to a case's status or profile, recorded
append-only in the same flush as the change (old and new value of each field changed)."""

from __future__ import annotations

import uuid

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from app.core.ids import time_ordered_id
from app.db.models import Answer, AuditEntry, Case

#: what is audited, per kind of record
AUDITED: dict[type, tuple[str, ...]] = {
    Answer: ("value", "reasons", "evidence"),
    Case: ("reference", "provider", "sentence_type", "phase", "gender", "ethnicity",
           "date_of_birth", "rosh", "mappa", "vulnerability", "disability",
           "responsible_officer", "assignee", "status"),
}


def audit_entries(session: Session, jsonable) -> list[AuditEntry]:
    """Entries for the answers given or changed and the cases changed in this flush (a case
    being created is not a change to it; its answers are audited as they come)."""
    entries = []
    for obj in session.new:
        if isinstance(obj, Answer):
            changes = {f: [None, jsonable(getattr(obj, f))] for f in AUDITED[Answer]
                       if getattr(obj, f) not in (None, [], "")}
            entries.append(_entry(obj, obj.case_id, obj.question_key, changes))
    for obj in session.dirty:
        fields = AUDITED.get(type(obj))
        if fields is None or not session.is_modified(obj, include_collections=False):
            continue
        state = inspect(obj)
        changes = {}
        for name in fields:
            history = state.attrs[name].history
            if history.has_changes():
                old = history.deleted[0] if history.deleted else None
                new = history.added[0] if history.added else None
                if old != new:
                    changes[name] = [jsonable(old), jsonable(new)]
        if changes:
            case_id = obj.case_id if isinstance(obj, Answer) else obj.id
            key = obj.question_key if isinstance(obj, Answer) else None
            entries.append(_entry(obj, case_id, key, changes))
    return entries


def _entry(obj, case_id, question_key, changes) -> AuditEntry:
    if obj.id is None:
        obj.id = uuid.uuid4()
    return AuditEntry(id=time_ordered_id(), case_id=case_id, entity=obj.__tablename__,
                      entity_id=obj.id, question_key=question_key, changes=changes)
