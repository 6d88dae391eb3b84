"""The export log (append-only) and the folders exports went to."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.dto import ExportLogRecord
from app.core.ids import time_ordered_id
from app.db import models as m


def add_export_log_entry(session: Session, *, kind: str, file_name: str, sha256: str,
                         case_ids: list[uuid.UUID], inspection_id: uuid.UUID | None,
                         pseudonymised: bool, exported_at: dt.datetime) -> ExportLogRecord:
    """An export written, logged (append-only) as the record the log shows."""
    row = m.ExportLogEntry(id=time_ordered_id(), kind=kind, file_name=file_name,
                           sha256=sha256, case_count=len(case_ids),
                           case_ids=[str(c) for c in case_ids], inspection_id=inspection_id,
                           pseudonymised=pseudonymised, exported_at=exported_at)
    session.add(row)
    session.flush()  # stamped: who, when, which revision
    return export_log_record(row)


def export_log_record(row: m.ExportLogEntry) -> ExportLogRecord:
    return ExportLogRecord(
        id=row.id, kind=row.kind, file_name=row.file_name, sha256=row.sha256,
        case_ids=tuple(uuid.UUID(c) for c in row.case_ids), inspection_id=row.inspection_id,
        pseudonymised=row.pseudonymised, exported_by=row.updated_by,
        exported_at=row.exported_at, device_id=row.device_id)


def export_log(session: Session, inspection_id: uuid.UUID | None = None
               ) -> list[ExportLogRecord]:
    """The log, newest first; only one inspection's entries when it is given."""
    query = select(m.ExportLogEntry).order_by(m.ExportLogEntry.exported_at.desc(),
                                              m.ExportLogEntry.id.desc())
    if inspection_id is not None:
        query = query.where(m.ExportLogEntry.inspection_id == inspection_id)
    return [export_log_record(row) for row in session.scalars(query)]


#: AppMeta keys of the folders exports are written to: kept on this laptop, never synced.
EXPORT_FOLDER = "export_folder:"


def note_export_folder(session: Session, folder: str) -> None:
    """Remember a folder an export is about to be written to (once)."""
    key = EXPORT_FOLDER + hashlib.sha256(folder.encode("utf-8")).hexdigest()[:40]
    if session.get(m.AppMeta, key) is None:
        session.add(m.AppMeta(key=key, value=folder))


def export_folders(session: Session) -> list[str]:
    return list(session.scalars(
        select(m.AppMeta.value).where(m.AppMeta.key.startswith(EXPORT_FOLDER))))
