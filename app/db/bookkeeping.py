"""Sync bookkeeping that no code path can forget.

Before a flush, every new, changed or deleted synced row gets its revision bumped and is
stamped with who, when and which device. After the flush, in the same transaction, one
outbox row per change records it for the central store. A crash therefore never leaves a
change without its outbox row, or an outbox row without its change.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import Date, DateTime, Uuid, event, insert, inspect
from sqlalchemy.orm import Session

from app.core.ids import time_ordered_id
from app.db.audit import audit_entries
from app.db.models import Outbox, Synced
from app.db.types import UtcDateTime

#: Keys in ``Session.info``.
USER = "user"
DEVICE = "device_id"
REMOTE_APPLY = "remote_apply"  # set while applying changes pulled from the central store
_PENDING = "_pending_changes"


@dataclass
class _Change:
    obj: Synced
    op: str
    base_rev: int
    #: the record before the change (None for a new one)
    base: dict[str, object] | None = None


def _dependency_order() -> dict[str, int]:
    from app.db.models import Base

    return {table.name: i for i, table in enumerate(Base.metadata.sorted_tables)}


_ORDER = _dependency_order()


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def install(session_class: type[Session]) -> None:
    """Attach the bookkeeping to a session class (done once by the engine factory)."""
    event.listen(session_class, "before_flush", _before_flush)
    event.listen(session_class, "after_flush", _after_flush)


def _before_flush(session: Session, _context, _instances) -> None:
    if session.info.get(REMOTE_APPLY):
        return
    user, device = session.info[USER], session.info[DEVICE]
    now = utcnow()
    pending: list[_Change] = []
    session.info[_PENDING] = pending
    for entry in audit_entries(session, _jsonable):
        session.add(entry)
    for obj in session.new:
        if isinstance(obj, Synced):
            if obj.id is None:
                obj.id = uuid.uuid4()
            pending.append(_Change(obj, "insert", 0))
            _stamp(obj, 1, now, user, device)
    for obj in session.dirty:
        if isinstance(obj, Synced) and session.is_modified(obj, include_collections=False):
            base = obj.rev or 0
            pending.append(_Change(obj, "update", base, _payload_before(obj)))
            _stamp(obj, base + 1, now, user, device)
    for obj in session.deleted:
        if isinstance(obj, Synced):
            pending.append(_Change(obj, "delete", obj.rev or 0, row_payload(obj)))


def _stamp(obj: Synced, rev: int, now: dt.datetime, user: str, device: uuid.UUID) -> None:
    obj.rev = rev
    obj.updated_at = now
    obj.updated_by = user
    obj.device_id = device


def _after_flush(session: Session, _context) -> None:
    pending: list[_Change] = session.info.pop(_PENDING, [])
    if not pending:
        return
    # parents before children (children before parents for deletes), so the central store,
    # which checks foreign keys, can apply the outbox in order
    pending.sort(key=lambda c: _ORDER.get(c.obj.__tablename__, len(_ORDER))
                 * (-1 if c.op == "delete" else 1))
    now = utcnow()
    rows = [
        {
            "change_id": time_ordered_id(),
            "entity": change.obj.__tablename__,
            "entity_id": change.obj.id,
            "op": change.op,
            "base_rev": change.base_rev,
            "rev": change.obj.rev if change.op != "delete" else change.base_rev,
            "payload": row_payload(change.obj),
            "base": change.base,
            "created_at": now,
            "created_by": session.info[USER],
            "device_id": session.info[DEVICE],
        }
        for change in pending
    ]
    session.connection().execute(insert(Outbox), rows)


def set_changed(row: Synced, values: dict[str, object]) -> None:
    """Set on ``row`` only the values that differ: an attribute set, even to what it held,
    makes a new revision that every laptop then pulls."""
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)


def insert_many(session: Session, model: type[Synced], rows: list[dict[str, object]]) -> None:
    """Insert many new synced rows at once (an imported case list, say), each stamped and
    given its outbox row in the same transaction, as the flush events would have done."""
    if not rows:
        return
    now, user, device = utcnow(), session.info[USER], session.info[DEVICE]
    columns = model.__table__.columns
    defaults = {c.key: _default(c) for c in columns}
    stamp = {"rev": 1, "updated_at": now, "updated_by": user, "device_id": device}
    # which columns need turning into JSON-ready text is known from their types, once
    convert = [(c.key, str if isinstance(c.type, Uuid) else _isoformat) for c in columns
               if isinstance(c.type, Uuid | Date | DateTime | UtcDateTime)]
    complete, outbox = [], []
    for row in rows:
        values = {**defaults, **row, **stamp}
        if values["id"] is None:
            values["id"] = uuid.uuid4()
        payload = dict(values)
        for key, to_text in convert:
            if payload[key] is not None:
                payload[key] = to_text(payload[key])
        complete.append(values)
        outbox.append({"change_id": time_ordered_id(), "entity": model.__tablename__,
                       "entity_id": values["id"], "op": "insert", "base_rev": 0, "rev": 1,
                       "payload": payload, "created_at": now, "created_by": user,
                       "device_id": device})
    connection = session.connection()
    _executemany(connection, model.__table__, complete)
    _executemany(connection, Outbox.__table__, outbox)


def _executemany(connection, table, rows: list[dict[str, object]]) -> None:
    """One driver-level executemany. Each column's own bind processor turns the values into
    what SQLAlchemy itself would store, without its per-row overhead (an import is tens of
    thousands of rows)."""
    dialect = connection.dialect
    if dialect.paramstyle != "qmark":
        connection.execute(table.insert(), rows)
        return
    columns = [c for c in table.columns if c.key in rows[0]]  # not autoincrement keys
    keys = [c.key for c in columns]
    processors = [c.type.bind_processor(dialect) or _same for c in columns]
    sql = str(table.insert().compile(dialect=dialect, column_keys=keys))
    connection.exec_driver_sql(sql, [
        tuple(process(row[key]) for key, process in zip(keys, processors, strict=True))
        for row in rows
    ])


def _same(value: object) -> object:
    return value


def _isoformat(value: dt.date) -> str:
    return value.isoformat()


def _default(column) -> object:
    default = column.default
    if default is None or not default.is_scalar:
        return None
    return default.arg


def row_payload(obj: Synced) -> dict[str, object]:
    """The row's column values as JSON-ready data (what the central store receives)."""
    mapper = inspect(obj).mapper
    return {attr.key: _jsonable(getattr(obj, attr.key)) for attr in mapper.column_attrs}


def _payload_before(obj: Synced) -> dict[str, object]:
    """The row as it was before the changes about to be flushed (``row_payload`` of it)."""
    state = inspect(obj)
    before = {}
    for attr in state.mapper.column_attrs:
        history = state.attrs[attr.key].history
        before[attr.key] = _jsonable(history.deleted[0] if history.deleted
                                     else getattr(obj, attr.key))
    return before


def row_values_to_payload(values) -> dict[str, object]:
    """The same JSON-ready form for a plain mapping of column values."""
    return {key: _jsonable(value) for key, value in dict(values).items()}


def _jsonable(value: object) -> object:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value
