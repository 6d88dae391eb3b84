"""Applying a batch of changes at once: the same rules as ``apply.apply_change``, set-based.

Re-sent changes are recognised in a few queries; current rows are locked one query per table
(new records are written without looking for them first, see ``_apply_in_bulk``); new and
changed rows are written in bulk, parents before children, each table's changes in one
statement that takes each payload's fields as it reads it (see ``_write``), so a batch
costs a few statements whatever its size and row-level security works out the person's
inspections once per statement; change numbers are taken as one block from the counter.
Changes to the same record are applied in successive waves so their order is kept, and
once one of them is not applied the rest are held back with it (see ``apply_batch``). If a
bulk write is refused (row-level security, a missing parent, a malformed value), the wave
is rolled back to its savepoint and applied change by change, so each refusal is recorded
against its own change and the rest go through."""

from __future__ import annotations

import json
import uuid
from collections import defaultdict

from sqlalchemy import (
    Connection,
    select,
    text,
)
from sqlalchemy import exc as sa_exc

from app.sync.apply import (
    _PARENT,
    TABLE_ORDER,
    TABLES,
    _conflict,
    _now,
    any_uuid,
    apply_change,
    locked,
    raise_conflict,
    recorded_outcomes,
)
from app.sync.protocol import APPLIED, CONFLICT, Change, Outcome


def apply_batch(conn: Connection, changes: list[Change],
                held: dict[uuid.UUID, Outcome] | None = None, *,
                sent_before: bool = True) -> list[Outcome]:
    """Outcomes in the order of ``changes``, each as ``apply_change`` would give it, with
    one rule across the sequence: once a change to a record is not applied (a conflict, a
    refusal), the changes after it to that record are not applied either, since each was
    made on top of the one before. They get its outcome, and the laptop keeps its latest
    version in the conflict. Were they applied, a revision number that happens to match
    would let one overwrite a colleague's edit unseen.

    ``held``: the records held back so far, by id, for a sequence applied in several calls
    (a transfer file); it is updated. ``sent_before``: False when the caller has just
    looked, in this transaction, and found none of the changes sent before."""
    held = {} if held is None else held
    # sent before: the same outcomes again
    outcomes = recorded_outcomes(conn, changes) if sent_before else {}
    pending = changes if not outcomes else []
    for known in outcomes.values():
        if known.status != APPLIED:
            held.setdefault(known.entity_id, known)
    if outcomes:
        pending = [c for c in changes if c.change_id not in outcomes]
    user = conn.scalar(text("SELECT current_user"))
    while pending:
        wave, later, seen = [], [], set()
        for change in pending:
            size = len(seen)
            seen.add(change.entity_id)
            (wave if len(seen) > size else later).append(change)
        held_back = [c for c in wave if c.entity_id in held] if held else []
        if held_back:
            wave = [c for c in wave if c.entity_id not in held]
        done = _apply_in_bulk(conn, wave, user) if wave else {}
        if done is None:  # one by one: each refusal is recorded against its change
            done = {change.change_id: apply_change(conn, change) for change in wave}
        outcomes.update(done)
        for outcome in done.values():
            if outcome.status != APPLIED:
                held[outcome.entity_id] = outcome
        for change in held_back:
            outcomes[change.change_id] = _held_back(conn, change, held[change.entity_id])
        record_outcomes(conn, [outcomes[c.change_id] for c in held_back])
        pending = later
    return [outcomes[c.change_id] for c in changes]


def _held_back(conn: Connection, change: Change, first: Outcome) -> Outcome:
    """The outcome of a change held back behind ``first``, an earlier change to its record
    that was not applied. A conflict keeps this version too, in a conflict of its own with
    the same base and theirs (a transfer file may hold a laptop's only copy of it)."""
    if first.status != CONFLICT:
        return Outcome(change.change_id, change.entity, change.entity_id, first.status,
                       rev=first.rev, detail=first.detail)
    conflict_id = raise_conflict(conn, change, first.base, first.theirs)
    return Outcome(change.change_id, change.entity, change.entity_id, CONFLICT, rev=first.rev,
                   detail=str(conflict_id), base=first.base, theirs=first.theirs,
                   theirs_by=first.theirs_by, theirs_at=first.theirs_at)


def _apply_in_bulk(conn: Connection, wave: list[Change], user: str) -> dict | None:
    """The wave's outcomes, written in bulk; None if the store refuses the bulk write.

    New records are first written without looking for them: a record already there (the
    same framework from another laptop, the same question first answered on two) breaks a
    unique key, and the wave is tried again looking first, which finds it."""
    for look_first in (False, True):
        try:
            with conn.begin_nested():
                return _apply_wave(conn, wave, user, look_first)
        except sa_exc.IntegrityError:
            continue
        except (sa_exc.ProgrammingError, sa_exc.DataError):
            return None
    return None


def _apply_wave(conn: Connection, wave: list[Change], user: str,
                look_first: bool) -> dict[uuid.UUID, Outcome]:
    outcomes: dict[uuid.UUID, Outcome] = {}  # decided here; the written ones are recorded
    by_table: dict[str, list[Change]] = defaultdict(list)  # by the statement writing them
    for change in wave:
        if change.entity not in TABLES:
            raise sa_exc.DataError(f"unknown kind of record '{change.entity}'", None, None)
        by_table[change.entity].append(change)
    now = _now().isoformat()
    written: dict[uuid.UUID, Outcome] = {}
    for entity in sorted(by_table, key=TABLE_ORDER.get):
        table, changes = TABLES[entity], by_table[entity]
        new_only = not look_first and all(c.base_rev == 0 for c in changes)
        current = {} if new_only else _lock_current(conn, entity, changes)
        inserts, updates = [], []
        for change in changes:
            row = current.get(change.entity_id) if current else None
            if (entity == "frameworks" and row is not None
                    and row["content_sha256"] == change.payload.get("content_sha256")):
                outcomes[change.change_id] = Outcome(change.change_id, entity,
                                                     change.entity_id, APPLIED, rev=row["rev"])
            elif row is None and change.base_rev == 0:
                inserts.append(change)
            elif row is not None and row["id"] == change.entity_id and \
                    row["rev"] == change.base_rev:
                updates.append(change)
            else:
                outcomes[change.change_id] = _conflict(conn, table, change, row)
        if inserts:
            written.update(_write(conn, table, inserts, _INSERT, now, user))
        if updates:
            written.update(_write(conn, table, updates, _UPDATE, now, user))
    record_outcomes(conn, list(outcomes.values()))
    return {**outcomes, **written}


#: how each kind of record finds its inspection, for the change log (r: the written row)
_INSPECTION_OF = {
    "frameworks": "NULL::uuid",
    "inspections": "r.id",
    **{child: f"(SELECT p.inspection_id FROM {parent} p WHERE p.id = r.{column})"
       for child, (parent, column) in _PARENT.items()},
}
#: what a change may do to its record
_OPS = frozenset({"insert", "update", "delete"})
#: set by the central store on every row it writes
_STAMPED = ("id", "rev", "updated_at", "updated_by")
_INSERT = "INSERT INTO {table} ({columns}) SELECT {values} FROM r"
_UPDATE = "UPDATE {table} t SET {assignments} FROM r WHERE t.id = r.id"


def _write(conn: Connection, table, changes: list[Change], how: str, now: str,
           user: str) -> dict[uuid.UUID, Outcome]:
    """One statement for a table's new or changed rows: the rows themselves and their change
    log entries (numbered from one block of the counter), which also record them as
    applied. The payloads travel as the outbox's own JSON text, one after another, with the
    record ids, revisions, change ids, ops and devices beside them as lists in the same
    order; the server takes from each payload only the fields written. Each
    payload is logged as it came; the id, revision and who and when are stamped here, never
    taken from the payload, and logged in the entry's own columns (``rev``, ``changed_by``,
    ``at``), which a pull lays over the payload."""
    keys = changes[0].keys
    if keys is None or any(c.keys != keys for c in changes):
        raise sa_exc.DataError("changes to one kind of record carry different fields", None,
                               None)
    if any(c.op not in _OPS for c in changes):
        raise sa_exc.DataError("a change is neither an insert, an update nor a delete", None,
                               None)
    fields = [key for key in (c.key for c in table.columns)
              if key in changes[0].payload and key not in _STAMPED]
    columns = [*fields, *_STAMPED]
    write = how.format(table=table.name, columns=", ".join(columns),
                       values=", ".join(f"r.{key}" for key in columns),
                       assignments=", ".join(f"{key} = r.{key}" for key in columns
                                             if key != "id"))
    typed = ", ".join(f"{key} {table.c[key].type.compile(dialect=conn.dialect)}"
                      for key in fields)
    conn.execute(text(f"""
        WITH r AS MATERIALIZED (
            SELECT {", ".join(f"p.{key}" for key in fields)}, w.id, w.rev,
                   CAST(:now AS timestamptz) AS updated_at, current_user AS updated_by,
                   w.k, w.change_id, w.op AS change_op, w.device_id AS change_device, w.doc
            FROM (SELECT CAST(doc AS json) AS doc, id, rev, change_id, op, device_id, k
                  FROM ROWS FROM (unnest(string_to_array(:docs, chr(30))),
                                  unnest(CAST(string_to_array(:ids, ',') AS uuid[])),
                                  unnest(CAST(string_to_array(:revs, ',') AS int[])),
                                  unnest(CAST(string_to_array(:change_ids, ',') AS uuid[])),
                                  unnest(string_to_array(:ops, ',')),
                                  unnest(CAST(string_to_array(:devices, ',', '') AS uuid[])))
                       WITH ORDINALITY AS w(doc, id, rev, change_id, op, device_id, k)) w,
                 LATERAL json_to_record(w.doc) AS p({typed})),
        counter AS (UPDATE sync_counter SET value = value + :n WHERE id = 1
                    RETURNING value - :n AS before),
        written AS ({write})
        INSERT INTO central_changes (seq, change_id, entity, entity_id, inspection_id, op,
                                     rev, payload, changed_by, at, device_id)
        SELECT counter.before + r.k, r.change_id, :entity, r.id,
               {_INSPECTION_OF.get(table.name, "r.inspection_id")}, r.change_op, r.rev,
               r.doc, r.updated_by, r.updated_at, r.change_device
        FROM r CROSS JOIN counter"""),
        # a JSON text never holds a raw control character such as chr(30), the separator
        {"docs": "\x1e".join(c.text for c in changes),
         "ids": ",".join(c.entity_id.hex for c in changes),
         "revs": ",".join(str(c.base_rev + 1) for c in changes),
         "change_ids": ",".join(c.change_id.hex for c in changes),
         "ops": ",".join(c.op for c in changes),
         "devices": ",".join("" if c.device_id is None else c.device_id.hex for c in changes),
         "n": len(changes), "now": now, "entity": table.name})
    return {c.change_id: Outcome(c.change_id, c.entity, c.entity_id, APPLIED,
                                 rev=c.base_rev + 1) for c in changes}


def _lock_current(conn: Connection, entity: str, changes: list[Change]) -> dict:
    table = TABLES[entity]
    found = {row["id"]: row for row in conn.execute(locked(
        select(table).where(table.c.id == any_uuid("ids", [c.entity_id.hex for c in changes])),
        table)).mappings()}
    if entity == "answers":
        # an answer created on two laptops has two ids but is one answer: the natural key
        missing = [c for c in changes if c.entity_id not in found]
        if missing:
            cases = list({str(c.payload["case_id"]) for c in missing})
            by_key = {(str(row["case_id"]), row["question_key"]): row for row in conn.execute(
                select(table).where(table.c.case_id == any_uuid("cases", cases))
                .with_for_update()).mappings()}
            for change in missing:
                row = by_key.get((str(change.payload["case_id"]), change.payload["question_key"]))
                if row is not None:
                    found[change.entity_id] = row
    return found


def record_outcomes(conn: Connection, outcomes: list[Outcome]) -> None:
    """Outcomes decided without writing the record (conflicts, refusals of a record held
    back, a framework already here)."""
    if not outcomes:
        return
    conn.execute(text(
        "INSERT INTO applied_changes (change_id, entity, entity_id, outcome, rev, conflict_id, "
        "detail) SELECT change_id, entity, entity_id, outcome, rev, conflict_id, detail "
        "FROM json_populate_recordset(NULL::applied_changes, CAST(:rows AS json))"),
        {"rows": json.dumps([
            {"change_id": str(o.change_id), "entity": o.entity, "entity_id": str(o.entity_id),
             "outcome": o.status, "rev": o.rev,
             "conflict_id": o.detail if o.status == CONFLICT else None,
             "detail": "" if o.status == CONFLICT else o.detail} for o in outcomes])})
