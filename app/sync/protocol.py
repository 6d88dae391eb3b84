"""What travels between a laptop and the central store."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass, field

APPLIED, CONFLICT, REFUSED = "applied", "conflict", "refused"
#: a pulled change this laptop could not apply, kept aside (a local record only)
SET_ASIDE = "set aside"


class Change:
    """One local change from the outbox.

    Its payload may come as the JSON text the outbox holds (``text``), with its keys
    (``keys``): it is then read only if something asks for it, since most changes travel
    to the central store without being read on the way."""

    __slots__ = ("_payload", "_text", "base_rev", "change_id", "device_id", "entity",
                 "entity_id", "keys", "op", "rev")

    def __init__(self, change_id: uuid.UUID, entity: str, entity_id: uuid.UUID, op: str,
                 base_rev: int, rev: int, payload: dict | None = None,
                 device_id: uuid.UUID | None = None, *, text: str | None = None,
                 keys: str | None = None):
        if payload is None and text is None:
            raise ValueError("a change needs its payload, as a dict or as JSON text")
        self.change_id, self.entity, self.entity_id, self.op = change_id, entity, entity_id, op
        self.base_rev, self.rev, self.device_id = base_rev, rev, device_id
        self._payload, self._text = payload, text
        #: the payload's keys, in order, comma-separated (None: not strict JSON)
        self.keys = ",".join(payload) if payload is not None else keys

    @property
    def payload(self) -> dict:
        if self._payload is None:
            self._payload = json.loads(self._text)
        return self._payload

    @property
    def text(self) -> str:
        """The payload as JSON text."""
        if self._text is None:
            self._text = json.dumps(self._payload)
        return self._text

    def __repr__(self) -> str:
        return (f"Change({self.op} {self.entity} {self.entity_id}, base_rev={self.base_rev}, "
                f"change_id={self.change_id})")


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
