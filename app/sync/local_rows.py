"""Writing rows pulled from the central store into this laptop's database, many at once.

SQLAlchemy's insert of many rows does work for every row and every column (the parameters
gathered, each value bound on its own) that costs several times what SQLite takes to store
them. Rows that carry every column of their table are bound here, column by column, with
the very converters SQLAlchemy would use, and handed to the driver in one statement run for
each row; rows that leave a column out (for its default) go through SQLAlchemy as before.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Table
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session

from app.db.types import UtcDateTime


def insert_rows(session: Session, table: Table, rows: list[dict]) -> None:
    """Insert ``rows`` (column values, by column key) into ``table``, in the session's
    transaction."""
    columns = list(table.columns)
    if any(len(row) != len(columns) for row in rows):  # a row holds only the table's keys
        session.execute(table.insert(), rows)
        return
    connection = session.connection()
    dialect = connection.dialect
    quote = dialect.identifier_preparer.quote
    statement = (f"INSERT INTO {quote(table.name)} "
                 f"({', '.join(quote(column.name) for column in columns)}) "
                 f"VALUES ({', '.join('?' * len(columns))})")
    try:
        values = []
        for column in columns:
            given = [row[column.key] for row in rows]
            bind = column.type.dialect_impl(dialect).bind_processor(dialect)
            if bind is not None and isinstance(column.type, UtcDateTime):
                bind = _remembering(bind)  # few moments (all in UTC), each many times
            values.append(given if bind is None else list(map(bind, given)))
    except Exception as exc:  # a value its column cannot take: as SQLAlchemy says it
        raise sa_exc.StatementError(f"({type(exc).__module__}.{type(exc).__name__}) {exc}",
                                    statement, None, exc) from exc
    connection.exec_driver_sql(statement, list(zip(*values, strict=True)))


def _remembering(bind: Callable[[object], object]) -> Callable[[object], object]:
    """``bind``, working each value out once."""
    known: dict[object, object] = {}

    def bound(value: object) -> object:
        try:
            return known[value]
        except KeyError:
            known[value] = done = bind(value)
            return done

    return bound
