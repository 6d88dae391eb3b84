"""Applying a batch of changes at once: the same rules as ``apply.apply_change``, set-based.

Re-sent changes are recognised in one query; current rows are locked one query per table;
new and changed rows are written in bulk, parents before children; change numbers are taken
as one block from the counter. Changes to the same record are applied in successive waves so
their order is kept. If a bulk write is refused (row-level security, a missing parent), the
wave is rolled back to its savepoint and applied change by change, so each refusal is
recorded against its own change and the rest go through.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict

from sqlalchemy import Connection, bindparam, select, text
from sqlalchemy import exc as sa_exc

from app.db.bookkeeping import row_values_to_payload
from app.db.models import Base
from app.sync.apply import (
    _PARENT,
    TABLES,
    _conflict,
    _now,
    _recorded_outcome,
    apply_change,
    row_from_payload,
)
from app.sync.protocol import APPLIED, Change, Outcome

_ORDER = {t.name: i for i, t in enumerate(Base.metadata.sorted_tables)}


def apply_batch(conn: Connection, changes: list[Change]) -> list[Outcome]:
    """Outcomes in the order of ``changes``; the same as applying them one by one."""
    outcomes: dict[uuid.UUID, Outcome] = {}
    known = {row[0] for row in conn.execute(
        text("SELECT change_id FROM applied_changes WHERE change_id = ANY(:ids)"),
        {"ids": [c.change_id for c in changes]})}
    for change in changes:
        if change.change_id in known:
            outcomes[change.change_id] = _recorded_outcome(conn, change)
    pending = [c for c in changes if c.change_id not in known]
    user = conn.scalar(text("SELECT current_user"))
    while pending:
        wave, later, seen = [], [], set()
        for change in pending:
            (later if change.entity_id in seen else wave).append(change)
            seen.add(change.entity_id)
        try:
            with conn.begin_nested():
                outcomes.update(_apply_wave(conn, wave, user))
        except (sa_exc.ProgrammingError, sa_exc.IntegrityError, sa_exc.DataError):
            for change in wave:  # one by one: each refusal is recorded against its change
                outcomes[change.change_id] = apply_change(conn, change)
        pending = later
    return [outcomes[c.change_id] for c in changes]


def _apply_wave(conn: Connection, wave: list[Change], user: str) -> dict[uuid.UUID, Outcome]:
    outcomes: dict[uuid.UUID, Outcome] = {}
    written: list[tuple[Change, dict, int]] = []
    by_table: dict[str, list[Change]] = defaultdict(list)
    for change in wave:
        if change.entity not in TABLES:
            raise sa_exc.DataError(f"unknown kind of record '{change.entity}'", None, None)
        by_table[change.entity].append(change)
    for entity in sorted(by_table, key=_ORDER.get):
        table, changes = TABLES[entity], by_table[entity]
        current = _lock_current(conn, entity, changes)
        inserts, updates = [], []
        for change in changes:
            row = current.get(change.entity_id)
            if (entity == "frameworks" and row is not None
                    and row["content_sha256"] == change.payload.get("content_sha256")):
                outcomes[change.change_id] = Outcome(change.change_id, entity,
                                                     change.entity_id, APPLIED, rev=row["rev"])
            elif row is None and change.base_rev == 0:
                inserts.append((change, 1))
            elif row is not None and row["id"] == change.entity_id and \
                    row["rev"] == change.base_rev:
                updates.append((change, change.base_rev + 1))
            else:
                outcomes[change.change_id] = _conflict(conn, table, change, row)
        now = _now()
        rows = {c.change_id: {**row_from_payload(table, c.payload), "id": c.entity_id,
                              "rev": rev, "updated_at": now, "updated_by": user}
                for c, rev in inserts + updates}
        if inserts:
            conn.execute(table.insert(), [rows[c.change_id] for c, _ in inserts])
        if updates:
            columns = [k for k in rows[updates[0][0].change_id] if k != "id"]
            conn.execute(table.update().where(table.c.id == bindparam("_id"))
                         .values({k: bindparam(k) for k in columns}),
                         [{**{k: rows[c.change_id][k] for k in columns}, "_id": c.entity_id}
                          for c, _ in updates])
        written += [(c, rows[c.change_id], rev) for c, rev in inserts + updates]
    if written:
        _log(conn, written)
    for change, _row, rev in written:
        outcomes[change.change_id] = Outcome(change.change_id, change.entity,
                                             change.entity_id, APPLIED, rev=rev)
    _record(conn, [outcomes[c.change_id] for c in wave])
    return outcomes


def _lock_current(conn: Connection, entity: str, changes: list[Change]) -> dict:
    table = TABLES[entity]
    ids = [c.entity_id for c in changes]
    found = {row["id"]: row for row in conn.execute(
        select(table).where(table.c.id.in_(ids)).with_for_update()).mappings()}
    if entity == "answers":
        # an answer created on two laptops has two ids but is one answer: the natural key
        missing = [c for c in changes if c.entity_id not in found]
        if missing:
            cases = list({uuid.UUID(str(c.payload["case_id"])) for c in missing})
            by_key = {(row["case_id"], row["question_key"]): row for row in conn.execute(
                select(table).where(table.c.case_id.in_(cases)).with_for_update()).mappings()}
            for change in missing:
                row = by_key.get((uuid.UUID(str(change.payload["case_id"])),
                                  change.payload["question_key"]))
                if row is not None:
                    found[change.entity_id] = row
    return found


def _log(conn: Connection, written: list[tuple[Change, dict, int]]) -> None:
    """The change log, numbered from one block of the counter."""
    last = conn.scalar(text("UPDATE sync_counter SET value = value + :n WHERE id = 1 "
                            "RETURNING value"), {"n": len(written)})
    first = last - len(written) + 1
    parents = _parents_of(conn, [(c, row) for c, row, _ in written])
    conn.execute(text(
        "INSERT INTO central_changes (seq, change_id, entity, entity_id, inspection_id, op, rev, "
        "payload, changed_by, device_id) VALUES (:seq, :c, :e, :i, :n, :o, :r, "
        "CAST(:p AS json), current_user, :d)"),
        [{"seq": first + i, "c": c.change_id, "e": c.entity, "i": c.entity_id,
          "n": parents[i], "o": c.op, "r": rev,
          "p": json.dumps({**c.payload, **row_values_to_payload(row)}), "d": c.device_id}
         for i, (c, row, rev) in enumerate(written)])


def _parents_of(conn: Connection, written) -> list[uuid.UUID | None]:
    """Each written row's inspection, looking parents up in one query per parent table."""
    wanted: dict[str, set[uuid.UUID]] = defaultdict(set)
    for change, row in written:
        if change.entity in _PARENT:
            parent, column = _PARENT[change.entity]
            wanted[parent].add(row[column])
    lookup = {}
    for parent, ids in wanted.items():
        lookup.update(dict(conn.execute(text(
            f"SELECT id, inspection_id FROM {parent} WHERE id = ANY(:ids)"),
            {"ids": list(ids)}).all()))
    result = []
    for change, row in written:
        if change.entity == "frameworks":
            result.append(None)
        elif change.entity == "inspections":
            result.append(row["id"])
        elif change.entity in _PARENT:
            result.append(lookup.get(row[_PARENT[change.entity][1]]))
        else:
            result.append(row["inspection_id"])
    return result


def _record(conn: Connection, outcomes: list[Outcome]) -> None:
    conn.execute(text(
        "INSERT INTO applied_changes (change_id, entity, entity_id, outcome, rev, conflict_id) "
        "VALUES (:c, :e, :i, :o, :r, :k)"),
        [{"c": o.change_id, "e": o.entity, "i": o.entity_id, "o": o.status, "r": o.rev,
          "k": uuid.UUID(o.detail) if o.status == "conflict" else None} for o in outcomes])
