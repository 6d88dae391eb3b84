"""Where a change of this laptop's meets someone else's, is refused by the central store, or
comes from the store and cannot be applied here: the one place such a conflict is kept.

A conflict keeps what the record was before either change (``base``), ours (``yours``) and
the store's (``theirs``), for the person to resolve. Kept, resolved or not, for as long as the
record's case is on this laptop (``models.Conflict``).
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.orm import Session

from app.db import models as m
from app.db.bookkeeping import utcnow
from app.sync.protocol import CONFLICT, PulledChange


def keep_conflict(session: Session, *, kind: str, entity: str, entity_id: uuid.UUID,
                  base: dict | None, yours: dict | None, theirs: dict | None,
                  theirs_by: str = "", theirs_at: dt.datetime | None = None,
                  detail: str = "") -> None:
    """Keep a conflict of ``kind`` (a conflict, a refusal, a change set aside). ``base``,
    ``yours`` and ``theirs`` are always given, None only where there is none: no base for
    a record made on both sides, nothing of ours in a change set aside."""
    session.add(m.Conflict(kind=kind, detail=detail[:500], entity=entity, entity_id=entity_id,
                           base=base, yours=yours, theirs=theirs, theirs_by=theirs_by[:120],
                           theirs_at=theirs_at, detected_at=utcnow()))


def waiting_here(session: Session, entity: str, entity_id: uuid.UUID
                 ) -> tuple[dict | None, dict | None]:
    """(base, yours) of the changes to a record still waiting in the outbox: the record as
    this laptop and the central store last agreed on it (None for one made here), and as it
    is here now. (None, None) when nothing of it is waiting."""
    rows = session.execute(select(m.Outbox.op, m.Outbox.base, m.Outbox.payload).where(
        m.Outbox.entity == entity, m.Outbox.entity_id == entity_id).order_by(
        m.Outbox.seq)).all()
    if not rows:
        return None, None
    first, last = rows[0], rows[-1]
    return (None if first.op == "insert" else first.base), last.payload


def keep_ours(session: Session, change: PulledChange) -> None:
    """A record changed centrally while edited here: ours goes into a conflict, with the
    record as this laptop had it from the store before ours (``waiting_here``), and leaves
    the outbox."""
    base, yours = waiting_here(session, change.entity, change.entity_id)
    keep_conflict(session, kind=CONFLICT, entity=change.entity, entity_id=change.entity_id,
                  base=base, yours=yours, theirs=change.payload,
                  theirs_by=change.changed_by or "",
                  detail="changed centrally while edited here")
    session.execute(delete(m.Outbox).where(outbox_of(change.entity, change.entity_id)))


def outbox_of(entity: str, entity_id: uuid.UUID) -> ColumnElement[bool]:
    """The outbox rows of a record (by kind and id, as the outbox is indexed: by id alone,
    each look would read the whole outbox)."""
    return (m.Outbox.entity == entity) & (m.Outbox.entity_id == entity_id)
