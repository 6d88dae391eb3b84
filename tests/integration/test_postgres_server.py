"""The throwaway PostgreSQL server that the central store's tests run against."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

# Databases handed out by ``central_url``, checked for removal by a later test in this module.
_HANDED_OUT: list[str] = []


def _scalar(url: str, statement: str, **params):
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(statement), params).scalar_one()
    finally:
        engine.dispose()


def test_server_answers_through_sqlalchemy_and_psycopg(postgres_server, central_url):
    version = _scalar(central_url, "SELECT version()")
    assert version.startswith("PostgreSQL ")
    assert make_url(central_url).drivername == "postgresql+psycopg"
    assert _scalar(central_url, "SELECT current_user") == postgres_server.superuser
    _HANDED_OUT.append(make_url(central_url).database)


def test_each_central_database_is_separate(postgres_server, central_url):
    other_name = f"central_other_{uuid.uuid4().hex[:8]}"
    other_url = postgres_server.create_database(other_name)
    try:
        first = create_engine(central_url)
        try:
            with first.begin() as conn:
                conn.execute(text("CREATE TABLE inspection (id integer PRIMARY KEY)"))
                conn.execute(text("INSERT INTO inspection VALUES (1)"))
        finally:
            first.dispose()
        assert _scalar(central_url, "SELECT count(*) FROM inspection") == 1
        assert _scalar(other_url, "SELECT to_regclass('public.inspection') IS NULL") is True
        assert make_url(central_url).database != other_name
    finally:
        postgres_server.drop_database(other_name)
    _HANDED_OUT.append(make_url(central_url).database)


def test_ordinary_roles_must_give_their_password_over_tcp(postgres_server, central_url):
    role = f"inspector_{uuid.uuid4().hex[:8]}"
    database = make_url(central_url).database
    admin = create_engine(central_url)
    try:
        with admin.begin() as conn:
            conn.execute(text(f"CREATE ROLE {role} LOGIN PASSWORD 'correct horse'"))
        right = postgres_server.url(database, user=role, password="correct horse")
        assert _scalar(right, "SELECT current_user") == role

        wrong = postgres_server.url(database, user=role, password="wrong")
        with pytest.raises(OperationalError, match="password authentication failed"):
            _scalar(wrong, "SELECT 1")
        with pytest.raises(OperationalError):
            _scalar(postgres_server.url(database, user=role), "SELECT 1")

        method = _scalar(central_url, "SELECT rolpassword FROM pg_authid WHERE rolname = :r",
                         r=role)
        assert method.startswith("SCRAM-SHA-256$")
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP OWNED BY {role}"))
            conn.execute(text(f"DROP ROLE IF EXISTS {role}"))
        admin.dispose()
    _HANDED_OUT.append(database)


def test_central_databases_are_dropped_after_each_test(postgres_server):
    if not _HANDED_OUT:
        pytest.skip("no earlier test in this module handed out a central database")
    remaining = _scalar(postgres_server.url(),
                        "SELECT count(*) FROM pg_database WHERE datname = ANY(:names)",
                        names=list(_HANDED_OUT))
    assert remaining == 0


def test_drop_ends_open_sessions(postgres_server):
    name = f"central_busy_{uuid.uuid4().hex[:8]}"
    engine = create_engine(postgres_server.create_database(name))
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            postgres_server.drop_database(name)
    except OperationalError:
        pass  # the session was ended by the drop, as intended
    finally:
        engine.dispose()
    exists = _scalar(postgres_server.url(), "SELECT count(*) FROM pg_database WHERE datname = :n",
                     n=name)
    assert exists == 0
