"""The database's health and its sync bookkeeping: counts, schema revision, integrity,
conflicts, what waits to sync."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db import models as m


def table_counts(session: Session) -> dict[str, int]:
    tables = (m.Inspection, m.Case, m.Answer, m.PracticeExample, m.Framework, m.Outbox)
    return {t.__tablename__: session.scalar(select(func.count()).select_from(t)) or 0
            for t in tables}


def schema_revision(session: Session) -> str:
    return session.connection().exec_driver_sql(
        "SELECT version_num FROM alembic_version").scalar() or ""


def open_conflicts(session: Session) -> list[m.Conflict]:
    return list(session.scalars(select(m.Conflict).where(m.Conflict.resolved_at.is_(None))
                                .order_by(m.Conflict.detected_at)))


def get_conflict(session: Session, conflict_id: uuid.UUID) -> m.Conflict | None:
    return session.get(m.Conflict, conflict_id)


def resolve_conflict(session: Session, conflict_id: uuid.UUID, *, by: str, at,
                     resolution: dict) -> None:
    row = session.get(m.Conflict, conflict_id)
    row.resolved_at, row.resolved_by, row.resolution = at, by, resolution


def sync_status(session: Session) -> tuple:
    state = session.get(m.SyncState, "central")
    # the audit entry written with each change travels with it: not counted twice
    pending = session.scalar(select(func.count()).select_from(m.Outbox).where(
        m.Outbox.entity != m.AuditEntry.__tablename__)) or 0
    conflicts = session.scalar(select(func.count()).select_from(m.Conflict).where(
        m.Conflict.resolved_at.is_(None))) or 0
    return (state.last_sync_at if state else None), pending, conflicts


def integrity_check(session: Session) -> tuple[str, int]:
    conn = session.connection()
    rows = [r[0] for r in conn.exec_driver_sql("PRAGMA integrity_check").all()]
    fk_problems = len(conn.exec_driver_sql("PRAGMA foreign_key_check").all())
    return ("ok" if rows == ["ok"] else "; ".join(rows[:10])), fk_problems
