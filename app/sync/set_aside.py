"""A pulled change this laptop cannot apply (a forged or damaged entry, one that needs a
record not here yet): kept aside with why, for the person to see, rather than stopping every
later sync; later syncs try it again (``SyncEngine._retry_set_aside``)."""

from __future__ import annotations

import json
import logging

from sqlalchemy import exc as sa_exc
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db import models as m
from app.sync.apply import TABLES, read_id
from app.sync.conflicts import keep_conflict
from app.sync.protocol import SET_ASIDE, PulledChange

log = logging.getLogger(__name__)

#: what a pulled change may fail with that is the change's own fault: a forged or malformed
#: entry (a missing parent, a missing or malformed value) may fail in any way. Only the
#: database's own trouble (``OperationalError``: locked, full) is not set aside.
UNAPPLIABLE = (Exception,)
#: at most this many changes are kept set aside at once, each with at most this much of
#: what it held (JSON characters); beyond, they are counted and logged, not kept
MOST_SET_ASIDE = 500
LARGEST_SET_ASIDE = 64 * 1024
#: how a change set aside is settled when a later sync applies it
APPLIED_LATER = "applied at a later sync"
#: columns naming another record, which must at least be ids
_REFERENCES = ("case_id", "inspection_id", "sample_id", "other_case_id", "framework_id")


def malformed(change: PulledChange) -> str | None:
    """Why a pulled change cannot even be read (an unknown kind of record, a payload that
    is not a record, a reference that is not an id), or None."""
    if change.entity not in TABLES:
        return "an unknown kind of record"
    if change.payload is None:
        return None
    if not isinstance(change.payload, dict):
        return "the change is not a record"
    for key in _REFERENCES:
        value = change.payload.get(key)
        if value is not None:
            try:
                read_id(str(value))  # the same case in every answer: read once
            except ValueError:
                return f"its {key} is not an id"
    return None


def set_aside(session: Session, change: PulledChange, exc: Exception) -> None:
    """Keep a pulled change this laptop cannot apply, with why (the rule it broke, never
    the values), for the person to see; later syncs try it again."""
    if isinstance(exc, sa_exc.IntegrityError):
        why = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else "a rule"
    elif isinstance(exc, ValueError) and not exc.__traceback__:  # from ``malformed``
        why = str(exc)
    else:
        why = f"the change is malformed ({type(exc).__name__})"
    entity = change.entity if change.entity in TABLES else "unknown"
    log.warning("a pulled %s change could not be applied here and was set aside (%s)",
                entity, type(exc).__name__)
    kept = session.scalar(select(func.count()).select_from(m.Conflict).where(
        m.Conflict.kind == SET_ASIDE, m.Conflict.resolved_at.is_(None))) or 0
    if kept >= MOST_SET_ASIDE:  # a flood of forged entries fills no laptop
        return
    payload = change.payload if isinstance(change.payload, dict) else None
    if payload is not None and len(json.dumps(payload, default=str)) > LARGEST_SET_ASIDE:
        payload, why = None, f"{why}; too large to keep here"
    keep_conflict(session, kind=SET_ASIDE, entity=entity, entity_id=change.entity_id,
                  base=None, yours=None, theirs=payload, theirs_by=str(change.changed_by or ""),
                  detail=why)
