"""A person who joins an inspection receives all of it at their next sync, whatever their
cursor.

The pull reads changes in the order the central store numbered them, and row-level security
shows a person only the inspections they belong to. Changes made to an inspection before
they joined were passed over when their cursor went by. So when a membership of this
laptop's user arrives in a pull for an inspection the laptop does not hold, the pull stops
there, and the inspection is fetched whole from the central store as it is now (rows of
cases removed from this laptop excepted): its own rows first, then its cases' rows a page of
cases at a time, so that no answer of the service's is large, and all of it is kept in one
transaction; the cursor moves past the membership in that same transaction, and the pull goes
on. Later changes it meets are then ones the laptop holds.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from sqlalchemy import Connection, Table, select
from sqlalchemy.orm import Session

from app.db import models as m
from app.db.bookkeeping import REMOTE_APPLY
from app.db.engine import Database
from app.sync.apply import TABLE_ORDER, TABLES
from app.sync.link import Link, merged, rows_of_cases, typed_rows
from app.sync.purge import PURGED, store_missing_rows

log = logging.getLogger(__name__)

_INSPECTIONS = TABLES["inspections"]
_CASES = TABLES["cases"]
_SAMPLES = TABLES["samples"]
#: ``drop_twins(session, entity, rows)``: makes way for rows whose natural key a row made
#: here holds under another id
DropTwins = Callable[[Session, str, list[dict]], None]


def held(session: Session, inspection_id: uuid.UUID) -> bool:
    return session.get(m.Inspection, inspection_id) is not None


def catch_up(db: Database, central: Link, inspection_id: uuid.UUID, *,
             drop_twins: DropTwins, then: Callable[[Session], None],
             progress: Callable[[int, int], None] | None = None) -> set[uuid.UUID]:
    """Fetch the inspection whole and keep what this laptop lacks of it; ``then(session)``
    runs in the same transaction (the pull moves its cursor there). ``progress(done, total)``
    counts the cases fetched. Returns the ids of the cases brought in."""
    with db.read() as session:
        removed = set(session.scalars(select(m.ReleasedCase.case_id).where(
            m.ReleasedCase.state == PURGED)))
    own = typed_rows(central.inspection(inspection_id))
    case_ids = [row["id"] for row in own.get(_CASES, ()) if row["id"] not in removed]
    fetched = merged(own, rows_of_cases(central, case_ids, progress))
    brought: set[uuid.UUID] = set()
    with db.write() as session:
        session.info[REMOTE_APPLY] = True
        for table in sorted(fetched, key=lambda t: TABLE_ORDER[t.name]):
            rows = [row for row in fetched[table] if not _of_removed_case(table, row, removed)]
            if rows:
                drop_twins(session, table.name, rows)
            stored = store_missing_rows(session, table, rows)
            if table is _CASES:
                brought.update(stored)
        then(session)
    if brought:
        log.info("brought %d case(s) of a newly joined inspection to this laptop",
                 len(brought))
    return brought


def fetch_inspection(conn: Connection, inspection_id: uuid.UUID) -> dict[Table, list[dict]]:
    """The inspection's own rows (as far as this person may see it), by table: the rows of
    its framework, its team, its cases and its samples, not those recorded of each case
    (``purge.fetch_cases`` gives them)."""
    def rows(table: Table, where) -> list[dict]:
        return [dict(r) for r in conn.execute(select(table).where(where)).mappings()]

    fetched = {_INSPECTIONS: rows(_INSPECTIONS, _INSPECTIONS.c.id == inspection_id)}
    if not fetched[_INSPECTIONS]:
        return fetched  # not visible after all (taken off the team again meanwhile)
    frameworks = TABLES["frameworks"]
    fetched[frameworks] = rows(frameworks, frameworks.c.id.in_(
        {row["framework_id"] for row in fetched[_INSPECTIONS]}))
    for table in TABLES.values():
        if table is not _INSPECTIONS and "inspection_id" in table.c:
            fetched[table] = rows(table, table.c.inspection_id == inspection_id)
    sample_ids = [row["id"] for row in fetched[_SAMPLES]]
    for table in TABLES.values():
        if table not in fetched and "sample_id" in table.c and sample_ids:
            fetched[table] = rows(table, table.c.sample_id.in_(sample_ids))
    return fetched


def _of_removed_case(table: Table, row: dict, removed: set[uuid.UUID]) -> bool:
    """Whether the row is of a case removed from this laptop (it stays removed)."""
    if table is _CASES:
        return row["id"] in removed
    return any(row.get(column) in removed for column in ("case_id", "other_case_id"))
