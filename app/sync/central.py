"""The central PostgreSQL store: create or upgrade it, and give people their logins.

The schema comes from the same Alembic migrations as the laptops' databases, plus the
central branch (``migrations/central``) with the change log, roles and row-level security.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import re
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url

from app.config import migrations_dir
from app.errors import UserFacingError, ValidationError
from app.sync import devices
from app.sync.accounts import store_password

log = logging.getLogger(__name__)

ROLES = {"inspector": "aspire_inspector", "supervisor": "aspire_supervisor",
         "admin": "aspire_admin", "analyst": "aspire_analyst"}
#: Accounts that read pooled figures and never sync: they belong to no inspection.
READ_ONLY_ROLES = frozenset({"analyst"})
#: The role the central service's own login is granted (``migrations/central/c009``).
SERVICE_ROLE = "aspire_service"
LOGIN = re.compile(r"^[a-z][a-z0-9_.]{1,62}$")


class CentralError(UserFacingError):
    """The central store cannot be reached or refused the request."""


#: Seconds to wait for the central store to answer a new connection.
CONNECT_TIMEOUT_S = 15


#: Limits on the central service's own database sessions: no statement, wait for a lock or
#: transaction left open holds the store for longer than this (milliseconds).
SERVICE_LIMITS_MS = {"statement_timeout": 30_000, "lock_timeout": 10_000,
                     "idle_in_transaction_session_timeout": 60_000}


def central_engine(url: str, *, service: bool = False) -> Engine:
    """An engine for the central store; TLS settings (sslmode, sslrootcert...) pass through
    the URL's query string to psycopg. The central service's (``service``) runs its
    sessions under ``SERVICE_LIMITS_MS``."""
    try:
        parsed = make_url(url)
    except sa_exc.ArgumentError as exc:
        raise ValidationError(f"'{_redacted(url)}' is not a database address.",
                              "Give it as postgresql://login@host/database.") from exc
    if parsed.get_backend_name() != "postgresql":
        raise ValidationError("The central store must be a PostgreSQL database.",
                              "Give its address as postgresql://login@host/database.")
    # A laptop on a poor network gives up on a connection that does not answer, rather than
    # waiting minutes (and holding the window open at close); the address may set its own.
    connect_args: dict[str, object] = {} if "connect_timeout" in parsed.query else {
        "connect_timeout": CONNECT_TIMEOUT_S}
    if service:
        connect_args["options"] = " ".join(
            f"-c {name}={value}" for name, value in SERVICE_LIMITS_MS.items())
    return create_engine(parsed.set(drivername="postgresql+psycopg"), pool_pre_ping=True,
                         hide_parameters=True,  # errors quote the statement, not its values
                         connect_args=connect_args)


def database_answers(engine: Engine) -> bool:
    """Whether the central database answers now (the reason it does not is logged as its
    kind alone: a connection error's text names the server and the login)."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except sa_exc.SQLAlchemyError as exc:
        log.warning("the central database does not answer (%s)", type(exc).__name__)
        return False
    return True


def schema_revisions(engine: Engine) -> list[str] | None:
    """The central schema's revisions: [] before ``init_central``, None if the database does
    not answer."""
    try:
        with engine.connect() as conn:
            if not conn.execute(text("SELECT to_regclass('alembic_version') IS NOT NULL")
                                ).scalar():
                return []
            return sorted(row[0] for row in conn.execute(
                text("SELECT version_num FROM alembic_version")))
    except sa_exc.SQLAlchemyError as exc:
        log.warning("the central database does not answer (%s)", type(exc).__name__)
        return None


def needs_password(url: str) -> bool:
    """Whether the address names a login but no password (a socket login needs none)."""
    parsed = make_url(url)
    return bool(parsed.username) and parsed.password is None and bool(parsed.host)


def set_password(url: str, password: str) -> str:
    return make_url(url).set(password=password).render_as_string(hide_password=False)


def central_migrations():
    """The migration settings for a central store: the shared schema and its own branch."""
    from alembic.config import Config

    cfg = Config()
    folder = migrations_dir()
    cfg.set_main_option("script_location", str(folder))
    cfg.set_main_option("version_locations", f"{folder / 'versions'} {folder / 'central'}")
    cfg.set_main_option("path_separator", "space")
    return cfg


def init_central(url: str) -> list[str]:
    """Create or upgrade the central schema (shared tables, then the central branch). A
    revision of the shared schema that only a laptop's database takes (its triggers, say)
    is left out, unless a revision of the central branch depends on it."""
    from alembic import command

    engine = central_engine(url)
    cfg = central_migrations()
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "central@head")
            heads = [row[0] for row in conn.execute(text("SELECT version_num FROM "
                                                         "alembic_version"))]
    except sa_exc.OperationalError as exc:
        raise _unreachable(url, exc) from exc
    finally:
        engine.dispose()
    return sorted(heads)


def add_user(url: str, *, login: str, name: str, role: str, password: str,
             inspections: Sequence[uuid.UUID] = ()) -> None:
    """Create (or update) a person: their account at the central service (the password
    kept as an argon2id hash), their role in the database (which cannot log in: the
    service acts in it for them), its group, and their inspection memberships.

    Run by an administrator where the database is reachable."""
    if not LOGIN.match(login):
        raise ValidationError(f"'{login}' cannot be a login name.",
                              "Use lower-case letters, digits, '.' and '_', starting with a "
                              "letter (for example j.smith).")
    if role not in ROLES:
        raise ValidationError(f"'{role}' is not a role.", f"Choose one of {', '.join(ROLES)}.")
    if len(password) < 12:
        raise ValidationError("The password is too short.", "Use at least 12 characters.")
    if role in READ_ONLY_ROLES and inspections:
        raise ValidationError(f"An {role} belongs to no inspection's team.",
                              f"Add {login} without --inspection: an {role} reads pooled "
                              "figures across every inspection and changes none.")
    with _as_administrator(url, f"add {login}", with_reason=True) as conn:
        quoted = conn.dialect.identifier_preparer.quote(login)
        exists = conn.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": login})
        # the person's role can never log in: the service acts in it for them
        conn.execute(text(f"{'ALTER' if exists else 'CREATE'} ROLE {quoted} NOLOGIN "
                          "PASSWORD NULL"))
        conn.execute(text(f"GRANT {quoted} TO {SERVICE_ROLE}"))
        for group in ROLES.values():
            conn.execute(text(f"REVOKE {group} FROM {quoted}"))
        conn.execute(text(f"GRANT {ROLES[role]} TO {quoted}"))
        conn.execute(text(
            "INSERT INTO people (login, name, role) VALUES (:l, :n, :r) "
            "ON CONFLICT (login) DO UPDATE SET name = :n, role = :r"),
            {"l": login, "n": name, "r": role})
        store_password(conn, login, password)  # for signing in to the central service
        for inspection_id in inspections:
            _add_membership(conn, inspection_id, login, role)


def reset_password(url: str, *, login: str, password: str) -> None:
    """An administrator's reset: a new password for ``login`` at the central service, which
    they must change at their next sign-in; wrong tries and lock-out are cleared and every
    session of theirs ends."""
    with _as_administrator(url, f"reset {login}'s password") as conn:
        if not conn.scalar(text("SELECT 1 FROM people WHERE login = :l"), {"l": login}):
            raise ValidationError(f"There is no person '{login}' at the central store.",
                                  "Check the login, or add them with 'aspire central "
                                  "add-user'.")
        store_password(conn, login, password, must_change=True)


def issue_enrolment_code(url: str, *, login: str, days: int,
                         now: dt.datetime | None = None) -> devices.EnrolmentCode:
    """An administrator's one-time code enrolling a laptop for ``login`` that never reaches
    the network, valid for ``days`` days. The code is shown once: the store keeps its hash."""
    with _as_administrator(url, f"enrol a device for {login}") as conn:
        return devices.store_enrolment_code(conn, login, days, now or dt.datetime.now(dt.UTC))


def withdraw_device(url: str, *, device_id: uuid.UUID,
                    now: dt.datetime | None = None) -> devices.Device:
    """An administrator withdraws a laptop (lost, stolen, or given to someone else): it can
    no longer sign in, and its sessions end at once. Returns the device as it now stands."""
    with _as_administrator(url, "withdraw the device") as conn:
        if devices.known_device(conn, device_id) is None:
            raise ValidationError(f"There is no device {device_id} at the central store.",
                                  "Check the id: a laptop shows it under Help > About.")
        conn.execute(text("UPDATE devices SET revoked_at = COALESCE(revoked_at, :now) "
                          "WHERE device_id = :d"),
                     {"now": now or dt.datetime.now(dt.UTC), "d": device_id})
        conn.execute(text("DELETE FROM service_sessions WHERE device_id = :d"),
                     {"d": device_id})
        return devices.known_device(conn, device_id)


@dataclass(frozen=True)
class Publication:
    """A framework version published at the central store (``already``: it was, as is)."""

    framework_key: str
    version: str
    title: str
    content_sha256: str
    already: bool


def publish_framework(url: str, framework, *, now: dt.datetime | None = None) -> Publication:
    """Publish a framework version (``app.core.frameworks.Framework``, read and checked from
    its workbook or file) at the central store, as the administrator ``url`` logs in as:
    laptops fetch it at their next sync and the service accepts inspections pinned to it.
    A version already published with other content, or shipped with the service with
    other content, is refused: a version never changes."""
    import hashlib

    from app.config import frameworks_dir
    from app.core.frameworks import id_problem, new_version_problem, version_problem
    from app.io.framework_workbook import load_framework_folder

    said = id_problem(framework.id) or version_problem(framework.version)
    if said:
        raise ValidationError(f"The framework cannot be published: {said}.",
                              "Correct its settings and publish it again.")
    digest = hashlib.sha256(framework.raw.encode("utf-8")).hexdigest()
    shipped_all = load_framework_folder(frameworks_dir())
    shipped = next((f for f in shipped_all
                    if (f.id, f.version) == (framework.id, framework.version)), None)
    if shipped is not None and shipped != framework:
        raise ValidationError(
            f"Version {framework.version} of '{framework.id}' is shipped with the service, "
            "with different questions; a version never changes.",
            "Give the workbook a new version and publish that.")
    with _as_administrator(url, "publish the framework") as conn:
        published = conn.execute(text("SELECT framework_key, version, programme FROM "
                                      "published_frameworks")).all()
        said = new_version_problem(framework, [(f.id, f.version, f.programme)
                                               for f in shipped_all]
                                   + [tuple(row) for row in published])
        if said:
            raise ValidationError(f"The framework cannot be published: {said}.",
                                  "Correct its settings and publish it again.")
        found = conn.execute(text(
            "SELECT content_sha256 FROM published_frameworks WHERE framework_key = :k "
            "AND version = :v"), {"k": framework.id, "v": framework.version}).first()
        if found is not None:
            if found[0] != digest:
                raise ValidationError(
                    f"Version {framework.version} of '{framework.id}' is already published, "
                    "with different questions; a version never changes once published.",
                    "Give the workbook a new version and publish that.")
            return Publication(framework.id, framework.version, framework.title, digest, True)
        who = conn.scalar(text("SELECT current_user"))
        conn.execute(text(
            "INSERT INTO published_frameworks (content_sha256, framework_key, version, title, "
            "programme, content, published_by, published_at) VALUES (:sha, :k, :v, :t, :p, "
            ":c, :by, :at)"),
            {"sha": digest, "k": framework.id, "v": framework.version, "t": framework.title,
             "p": framework.programme, "c": framework.raw, "by": who,
             "at": now or dt.datetime.now(dt.UTC)})
    return Publication(framework.id, framework.version, framework.title, digest, False)


def published_at(engine: Engine) -> dict:
    """The framework versions administrators have published at the store, by the SHA-256
    of their content (``app.sync.judge.PublishedFramework``, as the service judges a
    framework a laptop brings)."""
    from app.sync.judge import PublishedFramework

    with engine.connect() as conn:
        if not conn.scalar(text("SELECT to_regclass('published_frameworks') IS NOT NULL")):
            return {}  # a store not yet brought up to this version ('aspire central init')
        rows = conn.execute(text(
            "SELECT content_sha256, framework_key, version, title, programme "
            "FROM published_frameworks ORDER BY framework_key, version")).all()
    return {row[0]: PublishedFramework(row[1], row[2], row[3], row[4]) for row in rows}


def published_content(engine: Engine, content_sha256: str) -> str | None:
    """A published framework version's content, or None if none has that SHA-256."""
    with engine.connect() as conn:
        return conn.scalar(text("SELECT content FROM published_frameworks "
                                "WHERE content_sha256 = :s"), {"s": content_sha256})


@contextlib.contextmanager
def _as_administrator(url: str, doing: str, *, with_reason: bool = False
                      ) -> Iterator[Connection]:
    """One transaction of an administrator's at the central store; a store that cannot be
    reached, or refuses (not an administrator, no schema yet), is said so."""
    engine = central_engine(url)
    try:
        with engine.begin() as conn:
            yield conn
    except sa_exc.OperationalError as exc:
        raise _unreachable(url, exc) from exc
    except sa_exc.ProgrammingError as exc:
        reason = f": {exc.orig}" if with_reason else ""
        raise CentralError(f"The central store refused to {doing}{reason}.",
                           "Run this as an administrator of the central store, after "
                           "'aspire central init'.") from exc
    finally:
        engine.dispose()


def _add_membership(conn, inspection_id: uuid.UUID, login: str, role: str) -> None:
    found = conn.scalar(text("SELECT 1 FROM inspections WHERE id = :i"), {"i": inspection_id})
    if not found:
        raise ValidationError(f"There is no inspection {inspection_id} in the central store.",
                              "Sync the inspection from a laptop first, or check the id.")
    already = conn.scalar(text("SELECT 1 FROM inspection_members WHERE inspection_id = :i "
                               "AND person = :p"), {"i": inspection_id, "p": login})
    if already:
        return
    from app.sync.apply import record_admin_insert

    record_admin_insert(conn, "inspection_members", {
        "id": uuid.uuid4(), "inspection_id": inspection_id, "person": login,
        "role": "lead_inspector" if role == "admin" else role})


def _unreachable(url: str, exc: Exception) -> CentralError:
    return CentralError(
        f"The central store at {_redacted(url)} cannot be reached ({exc.__cause__ or exc}).",
        "Check the address and the network; work carries on offline and syncs later.")


def _redacted(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except sa_exc.ArgumentError:
        return "(the address given)"
