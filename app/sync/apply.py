"""The central store's apply step, run in the caller's own database role.

Each change is applied in a savepoint: recognised if re-sent (by ``change_id``), applied
only if its ``base_rev`` is the central ``rev``, otherwise kept as a conflict with base,
yours and theirs. Every applied change takes the next number from a one-row counter in the
same transaction, so a pull paging by that number never skips a change committed late.
Row-level security and grants decide what the caller may write; a refusal is an outcome
like any other, so it never blocks the changes queued behind it.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Callable

from sqlalchemy import Connection, Integer, Table, Text, bindparam, cast, func, select, text
from sqlalchemy import column as column_clause
from sqlalchemy import exc as sa_exc
from sqlalchemy import table as table_clause
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import Date, DateTime, Uuid

from app.core.ids import time_ordered_id
from app.db.bookkeeping import row_values_to_payload
from app.db.models import APPEND_ONLY, SYNCED_MODELS
from app.db.types import UtcDateTime
from app.sync.protocol import APPLIED, CONFLICT, REFUSED, Change, Outcome

TABLES: dict[str, Table] = {model.__tablename__: model.__table__ for model in SYNCED_MODELS}
#: the order rows are written in: parents first, and a membership before the inspection's
#: cases, since row-level security lets a person write a case only once they are a member
TABLE_ORDER: dict[str, int] = {name: i for i, name in enumerate(TABLES)}


def locked(query, table: Table):
    """The current rows, locked until commit: rows of an append-only table are never
    changed, so they are read without a lock (which would need the right to change them)."""
    return query if table.name in APPEND_ONLY else query.with_for_update()
#: the device id stamped on rows an administrator adds at the central store itself
CENTRAL_DEVICE = uuid.UUID("0c3a7e0e-5d2b-4f7a-9a61-6b0c1d2e3f40")
_PARENT = {"answers": ("cases", "case_id"), "practice_examples": ("cases", "case_id"),
           "case_events": ("cases", "case_id"), "query_messages": ("cases", "case_id"),
           "audit_entries": ("cases", "case_id"), "second_marks": ("cases", "case_id"),
           "sample_members": ("samples", "sample_id"), "sample_events": ("samples", "sample_id")}


def apply_change(conn: Connection, change: Change) -> Outcome:
    """Apply one change (inside the caller's transaction) and return its outcome."""
    known = recorded_outcomes(conn, [change]).get(change.change_id)
    if known is not None:
        return known
    try:
        with conn.begin_nested():
            conn.execute(text("INSERT INTO applied_changes (change_id, entity, entity_id, "
                              "outcome) VALUES (:c, :e, :i, 'pending')"),
                         {"c": change.change_id, "e": change.entity, "i": change.entity_id})
            outcome = _apply(conn, change)
            conn.execute(text("UPDATE applied_changes SET outcome = :o, rev = :r, "
                              "conflict_id = :k, detail = :d WHERE change_id = :c"),
                         {"o": outcome.status, "r": outcome.rev, "d": outcome.detail,
                          "k": _conflict_id(outcome), "c": change.change_id})
            return outcome
    except sa_exc.OperationalError:
        raise  # the database itself (a lost connection, a timeout): nothing to refuse
    except (sa_exc.StatementError, ValueError, KeyError, TypeError) as exc:
        # the change's own fault: a rule the store enforces, or a value it cannot hold
        detail = _reason(exc) if isinstance(exc, sa_exc.DBAPIError) else (
            f"the change is malformed ({type(exc).__name__})")
    with conn.begin_nested():
        conn.execute(text("INSERT INTO applied_changes (change_id, entity, entity_id, outcome, "
                          "detail) VALUES (:c, :e, :i, :o, :d)"),
                     {"c": change.change_id, "e": change.entity, "i": change.entity_id,
                      "o": REFUSED, "d": detail})
    return refused(conn, change, detail)


def refused(conn: Connection, change: Change, detail: str) -> Outcome:
    """A refusal, with the record as the store holds it, as far as the sender may see it
    (none for a record the store does not have), for the laptop to show instead."""
    table = TABLES.get(change.entity)
    current = None if table is None else conn.execute(
        select(table).where(table.c.id == change.entity_id)).mappings().first()
    if current is None:
        return Outcome(change.change_id, change.entity, change.entity_id, REFUSED,
                       detail=detail)
    return Outcome(change.change_id, change.entity, change.entity_id, REFUSED, detail=detail,
                   rev=current["rev"], theirs=row_values_to_payload(current),
                   theirs_by=current["updated_by"], theirs_at=current["updated_at"])


def _apply(conn: Connection, change: Change) -> Outcome:
    table = TABLES.get(change.entity)
    if table is None:
        raise sa_exc.DataError(f"unknown kind of record '{change.entity}'", None, None)
    current = _current(conn, table, change)
    if (change.entity == "frameworks" and current is not None
            and current["content_sha256"] == change.payload.get("content_sha256")):
        # a framework version never changes: another laptop has already brought the same one
        return Outcome(change.change_id, change.entity, change.entity_id, APPLIED,
                       rev=current["rev"])
    if current is None and change.base_rev == 0:
        new_rev = 1
        values = _row(conn, table, change, new_rev)
        conn.execute(table.insert().values(**values))
    elif current is not None and current["rev"] == change.base_rev and \
            current["id"] == change.entity_id:
        new_rev = change.base_rev + 1
        values = _row(conn, table, change, new_rev)
        conn.execute(table.update().where(table.c.id == change.entity_id).values(**values))
    else:
        return _conflict(conn, table, change, current)
    # the row as written (a new inspection is not visible to its author until their
    # membership arrives, so it is not read back)
    payload = {**change.payload, **row_values_to_payload(values)}
    conn.execute(text(
        "INSERT INTO central_changes (seq, change_id, entity, entity_id, inspection_id, op, rev, "
        "payload, changed_by, at, device_id) VALUES (:seq, :c, :e, :i, :n, :o, :r, "
        "CAST(:p AS json), current_user, :at, :d)"),
        {"seq": next_sequence(conn), "c": change.change_id, "e": change.entity,
         "i": change.entity_id, "n": inspection_of(conn, change.entity, payload),
         "o": change.op, "r": new_rev, "p": _json(payload), "at": values["updated_at"],
         "d": change.device_id})
    return Outcome(change.change_id, change.entity, change.entity_id, APPLIED, rev=new_rev)


def _current(conn: Connection, table: Table, change: Change):
    row = conn.execute(locked(select(table).where(table.c.id == change.entity_id),
                              table)).mappings().first()
    if row is None and change.entity == "answers":
        # two laptops may each have created the answer to the same question: the same
        # answer to the central store, so the second is a conflict, not a duplicate
        row = conn.execute(select(table).where(
            table.c.case_id == uuid.UUID(str(change.payload["case_id"])),
            table.c.question_key == change.payload["question_key"]).with_for_update()
        ).mappings().first()
    return row


def _conflict(conn: Connection, table: Table, change: Change, current) -> Outcome:
    theirs = row_values_to_payload(current) if current is not None else None
    base = conn.scalar(text("SELECT payload FROM central_changes WHERE entity = :e AND "
                            "entity_id = :i AND rev = :r ORDER BY seq DESC LIMIT 1"),
                       {"e": change.entity, "i": change.entity_id, "r": change.base_rev})
    conflict_id = raise_conflict(conn, change, base, theirs)
    return Outcome(change.change_id, change.entity, change.entity_id, CONFLICT,
                   rev=current["rev"] if current is not None else None,
                   detail=str(conflict_id), base=base, theirs=theirs,
                   theirs_by=current["updated_by"] if current is not None else "",
                   theirs_at=current["updated_at"] if current is not None else None)


def raise_conflict(conn: Connection, change: Change, base: dict | None,
                   theirs: dict | None) -> uuid.UUID:
    """Keep ``change`` in a new central conflict with ``base`` and ``theirs``; its id."""
    conflict_id = uuid.uuid4()
    conn.execute(text(
        "INSERT INTO central_conflicts (id, change_id, entity, entity_id, inspection_id, base, "
        "yours, theirs) VALUES (:k, :c, :e, :i, :n, CAST(:b AS json), CAST(:y AS json), "
        "CAST(:t AS json))"),
        {"k": conflict_id, "c": change.change_id, "e": change.entity, "i": change.entity_id,
         "n": inspection_of(conn, change.entity, change.payload), "b": _json(base),
         "y": change.text, "t": _json(theirs)})
    return conflict_id


def next_sequence(conn: Connection) -> int:
    """The next change number; taking it locks the counter row until commit, so numbers
    become visible in the order they were given."""
    return conn.scalar(text("UPDATE sync_counter SET value = value + 1 WHERE id = 1 "
                            "RETURNING value"))


def inspection_of(conn: Connection, entity: str, payload: dict) -> uuid.UUID | None:
    if entity == "frameworks":
        return None
    if entity == "inspections":
        return uuid.UUID(str(payload["id"]))
    if entity in _PARENT:
        parent, column = _PARENT[entity]
        return conn.scalar(text(f"SELECT inspection_id FROM {parent} WHERE id = :p"),
                           {"p": uuid.UUID(str(payload[column]))})
    if entity == "export_log":  # an export may span no single inspection
        inspection = payload.get("inspection_id")
        return uuid.UUID(str(inspection)) if inspection else None
    return uuid.UUID(str(payload["inspection_id"]))


def record_admin_insert(conn: Connection, entity: str, values: dict) -> None:
    """A row added centrally by an administrator, logged so laptops pull it."""
    change = Change(time_ordered_id(), entity, values["id"], "insert", 0, 1,
                    row_values_to_payload({**values, "rev": 0, "updated_at": _now(),
                                           "updated_by": "", "device_id": CENTRAL_DEVICE}))
    outcome = apply_change(conn, change)
    if outcome.status != APPLIED:
        raise RuntimeError(f"could not add {entity}: {outcome.detail}")


def _row(conn: Connection, table: Table, change: Change, rev: int) -> dict:
    """The payload as column values, stamped centrally (who changed it cannot be claimed)."""
    values = row_from_payload(table, change.payload)
    values.update(id=change.entity_id, rev=rev, updated_at=_now(),
                  updated_by=conn.scalar(text("SELECT current_user")))
    return values


def row_from_payload(table: Table, payload: dict, entity_id: uuid.UUID | None = None) -> dict:
    """JSON-ready values back into column values (ids, dates and times as Python objects).
    ``entity_id``: the record's id, already read (the payload's own is then not read)."""
    readers = _READERS.get(table)
    if readers is None:
        every = tuple((column.key, _reader(column.type)) for column in table.columns)
        readers = _READERS[table] = (every, tuple(r for r in every if r[0] != "id"))
    values = {}
    for key, read in readers[0] if entity_id is None else readers[1]:
        if key in payload:
            value = payload[key]
            values[key] = value if value is None or read is None else read(value)
    if entity_id is not None and "id" in payload:
        values["id"] = entity_id
    return values


def _reader(kind) -> Callable[[object], object] | None:
    """How a column of this type reads a JSON-ready value (None: as it is)."""
    if isinstance(kind, Uuid):
        return lambda value: read_id(str(value))
    if isinstance(kind, DateTime | UtcDateTime):
        return dt.datetime.fromisoformat
    if isinstance(kind, Date):
        return dt.date.fromisoformat
    return None


@functools.lru_cache(maxsize=4096)
def read_id(value: str) -> uuid.UUID:
    """An id, read once however many rows name it (the case of every answer, the device of
    every change)."""
    return uuid.UUID(value)


#: each table's columns, and how each reads a JSON-ready value (all of them, and all but
#: the id)
_Readers = tuple[tuple[str, Callable[[object], object] | None], ...]
_READERS: dict[Table, tuple[_Readers, _Readers]] = {}


def recorded_outcomes(conn: Connection, changes: list[Change]) -> dict[uuid.UUID, Outcome]:
    """The outcomes already given to any of ``changes`` (sent before), by change id: a few
    queries however many. A change applied in bulk is known by its change log entry alone;
    any other outcome (and an applied one given change by change) by ``applied_changes``."""
    ids = [c.change_id.hex for c in changes]
    applied = dict(conn.execute(select(_LOGGED.c.change_id, _LOGGED.c.rev).where(
        _LOGGED.c.change_id == any_uuid("ids", ids))).all())
    other = {row[0]: row[1:] for row in conn.execute(select(
        _OUTCOMES.c.change_id, _OUTCOMES.c.outcome, _OUTCOMES.c.rev, _OUTCOMES.c.conflict_id,
        _OUTCOMES.c.detail).where(_OUTCOMES.c.change_id == any_uuid("ids", ids)))}
    if not applied and not other:
        return {}  # nothing sent before (the usual case)
    conflicts = {}
    if any(row[0] == CONFLICT for row in other.values()):
        conflicts = {row[0]: row[1:] for row in conn.execute(text(
            "SELECT id, base, theirs, raised_at FROM central_conflicts "
            "WHERE id = ANY(:k)"), {"k": [row[2] for row in other.values()
                                          if row[0] == CONFLICT]})}
    outcomes = {}
    for change in changes:
        key = (change.change_id, change.entity, change.entity_id)
        if change.change_id in other:
            outcome, rev, conflict_id, detail = other[change.change_id]
            if outcome == CONFLICT:
                # a conflict over a record of no inspection is not theirs to read
                base, theirs, raised_at = conflicts.get(conflict_id, (None, None, None))
                outcomes[change.change_id] = Outcome(
                    *key, CONFLICT, rev=rev, detail=str(conflict_id), base=base,
                    theirs=theirs, theirs_by=(theirs or {}).get("updated_by", ""),
                    theirs_at=raised_at)
            elif outcome == REFUSED:  # with the record as the store holds it now
                outcomes[change.change_id] = refused(conn, change, detail)
            else:
                outcomes[change.change_id] = Outcome(*key, outcome, rev=rev, detail=detail)
        elif change.change_id in applied:
            outcomes[change.change_id] = Outcome(*key, APPLIED, rev=applied[change.change_id])
    return outcomes


#: the change log, and the outcomes other than applied in bulk
_LOGGED = table_clause("central_changes", column_clause("change_id", Uuid),
                       column_clause("rev", Integer))
_OUTCOMES = table_clause(
    "applied_changes", column_clause("change_id", Uuid), column_clause("outcome", Text),
    column_clause("rev", Integer), column_clause("conflict_id", Uuid),
    column_clause("detail", Text))


def any_uuid(name: str, ids: list[str]):
    """``= ANY(array)``: one text parameter however many ids."""
    return func.any(cast(func.string_to_array(bindparam(name, ",".join(ids), type_=Text),
                                              ","), ARRAY(Uuid)))


def _conflict_id(outcome: Outcome) -> uuid.UUID | None:
    return uuid.UUID(outcome.detail) if outcome.status == CONFLICT else None


def _reason(exc: Exception) -> str:
    message = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
    if "row-level security" in message or "permission denied" in message:
        return f"not allowed: {message}"
    return message


def _json(value) -> str | None:
    import json

    return None if value is None else json.dumps(value)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
