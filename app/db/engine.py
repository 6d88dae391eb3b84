"""The SQLite engine: durable settings on every connection and one writer at a time.

The file is encrypted with SQLCipher: every connection gives the key first (a raw key, so no
key derivation per connection). Every connection then gets WAL, ``synchronous=FULL`` (an
answer shown as saved is on disk), foreign keys, a busy timeout and secure delete. The
driver is switched out of its legacy transaction handling so that SQLAlchemy's BEGIN is the
real one; write transactions begin IMMEDIATE so a second writer waits at the start, never
half-way.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, event, select
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, sessionmaker
from sqlcipher3 import dbapi2 as sqlcipher

from app.db import bookkeeping
from app.db.keys import DatabaseKey, apply_key
from app.db.models import AppMeta
from app.db.storage_errors import damaged_error, storage_error

if TYPE_CHECKING:
    from app.db.open_marks import OpenMark

log = logging.getLogger(__name__)

APPLICATION_ID = 0x41535052  # "ASPR": marks the file as ours
BUSY_TIMEOUT_MS = 5000
PRAGMAS = (
    "PRAGMA foreign_keys=ON",
    f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
    "PRAGMA synchronous=FULL",
    "PRAGMA secure_delete=ON",
)
_BEGIN_OPTION = "sqlite_begin"


class CaseworkSession(Session):
    """The session class used everywhere; sync bookkeeping is attached to it."""


bookkeeping.install(CaseworkSession)


def create_sqlite_engine(path: Path, key: DatabaseKey | None) -> Engine:
    """An engine on ``path``, encrypted with ``key`` (None only for a plain file, which the
    app itself never creates: it is encrypted when opened, see ``app.db.encryption``)."""
    engine = create_engine(
        f"sqlite:///{path}", module=sqlcipher,
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
        hide_parameters=True,  # errors quote the statement, never the values bound to it
    )

    def on_connect(dbapi_connection, _record) -> None:
        apply_key(dbapi_connection, key)
        _on_connect(dbapi_connection)

    event.listen(engine, "connect", on_connect)
    event.listen(engine, "begin", _on_begin)
    return engine


def connect(path: Path | str, key: DatabaseKey | None, *, uri: bool = False):
    """A bare DB-API connection (for backups and checks), keyed like the engine's."""
    conn = sqlcipher.connect(str(path), uri=uri, timeout=BUSY_TIMEOUT_MS / 1000)
    apply_key(conn, key)
    return conn


def _on_connect(dbapi_connection) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (see _on_begin)
    cursor = dbapi_connection.cursor()
    mode = cursor.execute("PRAGMA journal_mode=WAL").fetchone()[0]
    if mode.lower() != "wal":
        log.warning("journal mode is %s, not WAL", mode)
    for pragma in PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


def _on_begin(connection) -> None:
    mode = connection.get_execution_options().get(_BEGIN_OPTION, "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {mode}")


class Database:
    """An open local database: sessions for reading and for writing, and who is writing."""

    def __init__(self, path: Path, engine: Engine, *, user: str,
                 key: DatabaseKey | None = None, mark: OpenMark | None = None):
        self.path = path
        self.engine = engine
        self.user = user
        self.key = key
        self._mark = mark  # this process has the database open (``open_marks``)
        self._sessions = sessionmaker(engine, class_=CaseworkSession, expire_on_commit=False)
        self.device_id = self._load_device_id()

    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only unit of work (rolled back at the end)."""
        with self._storage_errors("read"), self._sessions() as session:
            self._prepare(session)
            try:
                yield session
            finally:
                session.rollback()

    @contextlib.contextmanager
    def write(self) -> Iterator[Session]:
        """One user action: a single IMMEDIATE transaction, committed on success."""
        with self._storage_errors("saved"), self._sessions() as session:
            self._prepare(session)
            try:
                session.connection(execution_options={_BEGIN_OPTION: "IMMEDIATE"})
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextlib.contextmanager
    def _storage_errors(self, doing: str) -> Iterator[None]:
        """A locked, full or failing disk is told to the user as what it is, not shown as a
        crash (``storage_error``)."""
        try:
            yield
        except sa_exc.OperationalError as exc:
            raise storage_error(self.path, exc.orig, doing) from exc
        except sa_exc.DatabaseError as exc:
            if type(exc.orig) is sqlcipher.DatabaseError:  # pages it cannot read as written
                raise damaged_error(self.path, exc.orig) from exc
            raise

    def _prepare(self, session: Session) -> None:
        session.info[bookkeeping.USER] = self.user
        session.info[bookkeeping.DEVICE] = getattr(self, "device_id", None)

    def _load_device_id(self) -> uuid.UUID:
        with self._sessions() as session:
            self._prepare(session)
            session.connection(execution_options={_BEGIN_OPTION: "IMMEDIATE"})
            row = session.get(AppMeta, "device_id")
            if row is None:
                row = AppMeta(key="device_id", value=str(uuid.uuid4()))
                session.add(row)
                session.commit()
            return uuid.UUID(row.value)

    def as_person(self, user: str) -> Database:
        """The same open database, its changes recorded as ``user``'s (the demonstration
        plays a whole team on one laptop). Closing this one closes both."""
        return Database(self.path, self.engine, user=user, key=self.key, mark=self._mark)

    def close(self) -> None:
        self.engine.dispose()
        if self._mark is not None:
            self._mark.release()  # closed properly: the next opening need not check it

    def pragma(self, name: str) -> object:
        with self.engine.connect() as conn:
            return conn.exec_driver_sql(f"PRAGMA {name}").scalar()

    def meta(self, key: str) -> str | None:
        with self.read() as session:
            return session.scalar(select(AppMeta.value).where(AppMeta.key == key))
