"""Minimal data on a laptop: a case released from it is removed once the central store
holds everything done to it here, and comes back whole if it returns.

A case is released from this laptop when it is reassigned from this laptop's user to
someone else, or when its inspection is closed (and the closing has reached the central
store). Its data (the case and every row that belongs to it: answers, practice examples,
review history, queries, audit trail, second marks, places in the sample, progress and
conflicts) is removed only when no change to any of it waits in the outbox and no conflict
about it is unresolved; until then the case stays and is tried again after the next sync.
Removal writes nothing to the outbox and changes nothing centrally; secure delete, on for
every connection, overwrites what is removed.

The table of released cases (local only) remembers what was removed, so the pull passes
over later changes to those cases. If one is assigned to this user again, or its inspection
is reopened, the next sync fetches its current rows from the central store.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable

from sqlalchemy import Column, Connection, Table, delete, func, or_, select, update
from sqlalchemy.dialects.sqlite import insert
from sqlalchemy.orm import Session

from app.core.workflow import InspectionStatus
from app.db import models as m
from app.db.bookkeeping import REMOTE_APPLY, utcnow
from app.db.engine import Database
from app.sync.apply import TABLES
from app.sync.link import Link, rows_of_cases
from app.sync.protocol import PulledChange

log = logging.getLogger(__name__)

REASSIGNED, CLOSED = "reassigned", "closed"
RELEASED, PURGING, PURGED = "released", "purging", "purged"
#: cases removed per transaction (each checked again inside it)
PURGE_BATCH = 100

_R = m.ReleasedCase
_CASES: Table = m.Case.__table__


def _rows_of_a_case() -> dict[Table, tuple[Column, ...]]:
    """Every table with a foreign key to cases, parents first, and the columns naming it."""
    found = {}
    for table in m.Base.metadata.sorted_tables:
        columns = tuple(sorted((fk.parent for fk in table.foreign_keys
                                if fk.column.table is _CASES), key=lambda c: c.key))
        if columns:
            found[table] = columns
    return found


CASE_ROWS = _rows_of_a_case()
_CASE_COLUMNS = {table.name: tuple(c.key for c in cols) for table, cols in CASE_ROWS.items()}


def cases_of(entity: str, entity_id: uuid.UUID, payload: dict | None) -> set[uuid.UUID]:
    """The cases a record (given as its payload) belongs to."""
    if entity == "cases":
        return {entity_id}
    found = set()
    for key in _CASE_COLUMNS.get(entity, ()):
        if payload and payload.get(key):
            found.add(uuid.UUID(str(payload[key])))
    return found


def cases_of_row(entity: str, entity_id: uuid.UUID, values: dict) -> list[uuid.UUID]:
    """The cases a record (given as its column values, ids read) belongs to."""
    if entity == "cases":
        return [entity_id]
    return [values[key] for key in _CASE_COLUMNS.get(entity, ()) if values.get(key)]


# -- noticing a release ---------------------------------------------------------------------

def note_reassignments(session: Session, user: str, rows: Iterable[dict]) -> None:
    """Before cases are changed to ``rows`` (column values): each assigned here to ``user``
    that now goes to someone else is released from this laptop."""
    leaving = {row["id"]: row["assignee"] for row in rows
               if row.get("assignee") and row["assignee"] != user}
    if not leaving:
        return
    mine = session.execute(select(_CASES.c.id, _CASES.c.inspection_id).where(
        _CASES.c.id.in_(list(leaving)), _CASES.c.assignee == user)).all()
    for case_id, inspection_id in mine:
        _release(session, case_id, inspection_id, REASSIGNED, leaving[case_id])


def _release(session: Session, case_id: uuid.UUID, inspection_id: uuid.UUID, reason: str,
             assignee: str | None) -> None:
    session.execute(insert(_R).values(
        case_id=case_id, inspection_id=inspection_id, reason=reason, state=RELEASED,
        assignee=assignee, released_at=utcnow()).on_conflict_do_nothing())


def pass_over_removed(session: Session, changes: list[PulledChange]) -> list[PulledChange]:
    """The pulled changes that do not belong to a case removed from this laptop. Of those
    that do, only who the case is assigned to now is kept (to know if it comes back)."""
    removed = set(session.scalars(select(_R.case_id).where(_R.state == PURGED)))
    if not removed:
        return changes
    kept = []
    for change in changes:
        if not cases_of(change.entity, change.entity_id, change.payload) & removed:
            kept.append(change)
        elif change.entity == "cases" and change.payload is not None:
            session.execute(update(_R).where(_R.case_id == change.entity_id).values(
                assignee=change.payload.get("assignee")))
    return kept


# -- removing -------------------------------------------------------------------------------

def purge_released(db: Database) -> set[uuid.UUID]:
    """Release the cases that must leave this laptop and remove those that may go now;
    returns the ids of the cases removed. Safe to run at any time: what is not yet
    acknowledged by the central store stays."""
    with db.write() as session:
        session.info[REMOTE_APPLY] = True
        _forget_returned(session, db.user)
        _release_closed(session)
        ready = _removable(session)
    removed: set[uuid.UUID] = set()
    for start in range(0, len(ready), PURGE_BATCH):
        with db.write() as session:
            session.info[REMOTE_APPLY] = True
            # checked again in the transaction that removes them: an answer saved meanwhile
            # keeps its case
            batch = _removable(session, ready[start:start + PURGE_BATCH])
            _remove(session, batch)
            removed.update(batch)
    if removed:
        log.info("removed %d released case(s) from this laptop", len(removed))
    return removed


def _forget_returned(session: Session, user: str) -> None:
    """Released cases still here that need not leave after all: assigned back to this
    user, or their inspection reopened."""
    rows = session.execute(
        select(_R.case_id, _R.reason, m.Case.assignee, m.Inspection.status)
        .join(m.Case, m.Case.id == _R.case_id)
        .join(m.Inspection, m.Inspection.id == m.Case.inspection_id)
        .where(_R.state == RELEASED)).all()
    back = [case_id for case_id, reason, assignee, status in rows
            if status != InspectionStatus.CLOSED and (reason == CLOSED or assignee == user)]
    if back:
        session.execute(delete(_R).where(_R.case_id.in_(back)))


def _release_closed(session: Session) -> None:
    """Every case here of an inspection whose closing the central store has accepted."""
    closed = set(session.scalars(select(m.Inspection.id).where(
        m.Inspection.status == InspectionStatus.CLOSED)))
    if not closed:
        return
    closed -= set(session.scalars(select(m.Outbox.entity_id).where(
        m.Outbox.entity == "inspections", m.Outbox.entity_id.in_(closed))))
    closed -= set(session.scalars(select(m.Conflict.entity_id).where(
        m.Conflict.entity == "inspections", m.Conflict.resolved_at.is_(None))))
    for case_id, inspection_id, assignee in session.execute(
            select(m.Case.id, m.Case.inspection_id, m.Case.assignee).where(
                m.Case.inspection_id.in_(closed))):
        _release(session, case_id, inspection_id, CLOSED, assignee)


def _removable(session: Session, among: list[uuid.UUID] | None = None) -> list[uuid.UUID]:
    """Released cases with nothing waiting to be acknowledged and no open conflict."""
    query = select(_R.case_id).where(_R.state == RELEASED)
    if among is not None:
        query = query.where(_R.case_id.in_(among))
    released = list(session.scalars(query.order_by(_R.released_at)))
    if not released:
        return []
    held = _waiting(session) | _disputed(session, open_only=True)
    return [case_id for case_id in released if case_id not in held]


def _waiting(session: Session) -> set[uuid.UUID]:
    """Cases with a change in the outbox (to the case or to any of its rows)."""
    o = m.Outbox
    keys = sorted({key for keys in _CASE_COLUMNS.values() for key in keys})
    found = set()
    for row in session.execute(select(o.entity, o.entity_id, *(
            func.json_extract(o.payload, f"$.{key}") for key in keys)).where(
            o.entity.in_(["cases", *_CASE_COLUMNS])).distinct()):
        entity, entity_id, values = row[0], row[1], row[2:]
        found |= cases_of(entity, entity_id, dict(zip(keys, values, strict=True)))
    return found


def _disputed(session: Session, *, open_only: bool) -> set[uuid.UUID]:
    return set(_conflicts_by_case(session, open_only=open_only))


def _conflicts_by_case(session: Session, *, open_only: bool) -> dict[uuid.UUID, list]:
    c = m.Conflict
    query = select(c.id, c.entity, c.entity_id, c.yours, c.theirs)
    if open_only:
        query = query.where(c.resolved_at.is_(None))
    found: dict[uuid.UUID, list] = {}
    for conflict_id, entity, entity_id, yours, theirs in session.execute(query):
        for case_id in (cases_of(entity, entity_id, yours)
                        | cases_of(entity, entity_id, theirs)):
            found.setdefault(case_id, []).append(conflict_id)
    return found


def _remove(session: Session, case_ids: list[uuid.UUID]) -> None:
    """The cases and everything belonging to them, in one transaction. The history tables
    let their rows go only while the case is marked as being purged."""
    if not case_ids:
        return
    session.execute(update(_R).where(_R.case_id.in_(case_ids)).values(state=PURGING))
    for table, columns in reversed(CASE_ROWS.items()):
        session.execute(delete(table).where(or_(*(column.in_(case_ids)
                                                  for column in columns))))
    conflicts = _conflicts_by_case(session, open_only=False)
    ids = [cid for case_id in case_ids for cid in conflicts.get(case_id, ())]
    if ids:
        session.execute(delete(m.Conflict).where(m.Conflict.id.in_(ids)))
    session.execute(delete(_CASES).where(_CASES.c.id.in_(case_ids)))
    session.execute(update(_R).where(_R.case_id.in_(case_ids)).values(
        state=PURGED, purged_at=utcnow()))


# -- bringing a case back -------------------------------------------------------------------

def restore_returned(db: Database, central: Link) -> set[uuid.UUID]:
    """Removed cases that belong on this laptop again (assigned back to its user, or their
    inspection reopened): their current rows are fetched from the central store and kept
    here as sync keeps them. Returns the ids of the cases brought back."""
    with db.read() as session:
        wanted = list(session.scalars(
            select(_R.case_id).join(m.Inspection, m.Inspection.id == _R.inspection_id)
            .where(_R.state == PURGED, m.Inspection.status != InspectionStatus.CLOSED,
                   or_(_R.reason == CLOSED, _R.assignee == db.user))))
    if not wanted:
        return set()
    fetched = rows_of_cases(central, wanted)
    with db.write() as session:
        session.info[REMOTE_APPLY] = True
        back = set(session.scalars(select(_R.case_id).where(
            _R.case_id.in_([row["id"] for row in fetched.get(_CASES, ())]),
            _R.state == PURGED)))
        for table, rows in fetched.items():
            store_missing_rows(session, table,
                               [row for row in rows if _belongs(table, row, back)])
        session.execute(delete(_R).where(_R.case_id.in_(back)))
    if back:
        log.info("brought %d case(s) back to this laptop", len(back))
    return back


def fetch_cases(conn: Connection, case_ids: list[uuid.UUID]) -> dict[Table, list[dict]]:
    """The cases' rows in the central store (as far as this person may see them)."""
    fetched = {_CASES: [dict(r) for r in conn.execute(
        select(_CASES).where(_CASES.c.id.in_(case_ids))).mappings()]}
    present = [row["id"] for row in fetched[_CASES]]
    for table, columns in CASE_ROWS.items():
        if table.name in TABLES and present:
            fetched[table] = [dict(r) for r in conn.execute(select(table).where(
                or_(*(column.in_(present) for column in columns)))).mappings()]
    return fetched


def _belongs(table: Table, row: dict, back: set[uuid.UUID]) -> bool:
    if table is _CASES:
        return row["id"] in back
    return bool(cases_of(table.name, row["id"], row) & back)


def store_missing_rows(session: Session, table: Table, rows: list[dict]) -> list[uuid.UUID]:
    """Stores the rows not here yet whose parents are here, and returns their ids; one made
    later than this laptop's pull reached, whose parent is not here yet, comes with the next
    pull instead."""
    if not rows:
        return []
    here = set(session.scalars(select(table.c.id).where(
        table.c.id.in_([row["id"] for row in rows]))))
    rows = [row for row in rows if row["id"] not in here]
    for fk in table.foreign_keys:
        values = {row[fk.parent.key] for row in rows if row[fk.parent.key] is not None}
        if values:
            present = set(session.scalars(select(fk.column).where(fk.column.in_(values))))
            rows = [row for row in rows
                    if row[fk.parent.key] is None or row[fk.parent.key] in present]
    if rows:
        session.execute(table.insert(), rows)
    return [row["id"] for row in rows]
