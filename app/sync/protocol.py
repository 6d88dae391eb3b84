"""What travels between a laptop and the central store."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

APPLIED, CONFLICT, REFUSED = "applied", "conflict", "refused"


@dataclass(frozen=True)
class Change:
    """One local change from the outbox."""

    change_id: uuid.UUID
    entity: str
    entity_id: uuid.UUID
    op: str
    base_rev: int
    rev: int
    payload: dict
    device_id: uuid.UUID | None = None
    #: the change as it travels, when the outbox has written it out already: a JSON object
    #: of ``id`` (the record's), ``rev`` (the one it makes), ``change_id``, ``op``,
    #: ``device_id`` and ``payload``
    wire: str | None = field(default=None, compare=False, repr=False)


@dataclass(slots=True)  # not frozen: made by the thousand per batch, frozen costs four times
class Outcome:
    """What the central store did with a change; the same whenever the change is re-sent."""

    change_id: uuid.UUID
    entity: str
    entity_id: uuid.UUID
    status: str  # applied, conflict or refused
    rev: int | None = None
    detail: str = ""
    base: dict | None = None
    theirs: dict | None = None
    theirs_by: str = ""
    theirs_at: dt.datetime | None = None


@dataclass(frozen=True)
class PulledChange:
    seq: int
    entity: str
    entity_id: uuid.UUID
    rev: int
    payload: dict = field(repr=False)
    changed_by: str = ""
