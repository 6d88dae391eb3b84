"""A record made on this laptop and at the central store (or on two laptops) under two ids:
an answer to the same question of a case, the same person's place on a team. The store keeps
one of each, so when the central one arrives, ours gives way to it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import models as m
from app.db.bookkeeping import row_values_to_payload, utcnow
from app.sync.apply import TABLES
from app.sync.conflicts import keep_ours
from app.sync.protocol import REFUSED, PulledChange

#: records the store keeps unique by more than their id: an answer per question of a case, a
#: membership per person of an inspection. Made here and at the store (or on two laptops)
#: under two ids, the central one is kept and ours gives way.
NATURAL_KEYS = {"answers": ("case_id", "question_key"),
                "inspection_members": ("inspection_id", "person")}
#: how a refusal is resolved when the same record was made at the central store as well
MADE_CENTRALLY = "made centrally too"
#: what a row's own bookkeeping is, rather than what it says
_STAMPS = {"id", "rev", "updated_at", "updated_by", "device_id"}


@dataclass
class TwinsMet:
    """What giving way to central records did: how many unsent edits of ours it kept in a
    conflict, and the records whose refusal a central one resolved."""

    conflicts: int = 0
    refusals_resolved: set[uuid.UUID] = field(default_factory=set)


def drop_local_twins(session: Session, entity: str, inserts: list[dict]) -> TwinsMet:
    """A record made here under another id, with the natural key of one arriving from the
    central store (``inserts``: its column values), gives way to it. What ours said
    differently is not lost: an unsent edit of it is kept in a conflict first. One the
    store refused stays refused, for the person to see, unless the central record says the
    same: it then stands for ours, and the refusal is resolved by it (whether ours is still
    here or has left with the refusal)."""
    met = TwinsMet()
    if entity not in NATURAL_KEYS:
        return met
    table = TABLES[entity]
    parent, key = NATURAL_KEYS[entity]
    incoming = {(v[parent], v[key]): v for v in inserts}  # column values: ids read
    for refusal in session.scalars(select(m.Conflict).where(
            m.Conflict.entity == entity, m.Conflict.kind == REFUSED,
            m.Conflict.resolved_at.is_(None))):  # ours left the laptop when it was refused
        yours = refusal.yours if isinstance(refusal.yours, dict) else {}
        central = incoming.get((_id_or_none(yours.get(parent)), yours.get(key)))
        if central is not None and central["id"] != refusal.entity_id \
                and _resolve_by_central(refusal, central):
            met.refusals_resolved.add(refusal.entity_id)
    here = session.execute(select(table).where(
        table.c[parent].in_(list({v[parent] for v in inserts})))).mappings().all()
    twins = [(twin, central) for twin in here
             if (central := incoming.get((twin[parent], twin[key]))) is not None
             and central["id"] != twin["id"]]
    if not twins:
        return met
    waiting = set(session.scalars(select(m.Outbox.entity_id).where(
        m.Outbox.entity_id.in_([twin["id"] for twin, _ in twins]))))
    for twin, central in twins:
        twin_id = twin["id"]
        if twin_id in waiting:
            keep_ours(session, PulledChange(0, entity, twin_id, central["rev"],
                                            row_values_to_payload(central)))
            met.conflicts += 1
        session.execute(table.delete().where(table.c.id == twin_id))
    return met


def _id_or_none(value: object) -> uuid.UUID | None:
    """A payload's id, read (None if it is none)."""
    try:
        return None if value is None else uuid.UUID(str(value))
    except ValueError:
        return None


def _resolve_by_central(refusal: m.Conflict, central: dict) -> bool:
    """Whether the refusal of ours is resolved by the same record made centrally: if it
    says the same as ours; otherwise it stays, for the person to see."""
    if refusal.resolved_at is not None or _says_otherwise(refusal.yours,
                                                          row_values_to_payload(central)):
        return False
    refusal.resolved_at = utcnow()
    refusal.resolved_by = central.get("updated_by") or ""
    refusal.resolution = {"choice": MADE_CENTRALLY, "record": str(central["id"])}
    return True


def _says_otherwise(yours: dict | None, theirs: dict) -> bool:
    return yours is not None and any(
        yours.get(name) != value for name, value in theirs.items() if name not in _STAMPS)
