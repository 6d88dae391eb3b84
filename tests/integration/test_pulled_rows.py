"""Rows pulled from the central store are written into the laptop's database by the driver
directly, many at once: exactly as SQLAlchemy's own insert writes them."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session

from app.db import models as m
from app.sync.apply import TABLES, row_from_payload
from app.sync.local_rows import insert_rows

AWKWARD = 'Seen, "at home"\\ on\nTuesday\x1e\x07\tçà 😀'


def answer(**given) -> dict:
    return {"id": str(uuid.uuid4()), "case_id": str(uuid.uuid4()), "question_key": "victim",
            "value": "yes", "reasons": [], "evidence": "", "respondent": "inspector",
            "rev": 1, "updated_at": "2026-12-07T09:30:00.123456+00:00",
            "updated_by": "inspector.one", "device_id": str(uuid.uuid4()), **given}


PAYLOADS = {
    "answers": [answer(), answer(value=None, reasons=["no_plan", AWKWARD], evidence=AWKWARD),
                answer(value={"housing": "yes", "debt": None}, reasons=None,
                       updated_at="2026-12-07T10:30:00+01:00"),
                answer(value=["a", 2, 3.5, True], question_key="needs", rev=7,
                       updated_at="2026-03-29T01:30:00-04:00")],
    "cases": [{**{column.key: None for column in TABLES["cases"].columns},
               "id": str(uuid.uuid4()), "inspection_id": str(uuid.uuid4()),
               "reference": "X1", "status": "in_progress", "rev": 2,
               "updated_at": "2026-12-07T09:30:00+00:00", "updated_by": "inspector.one",
               "device_id": str(uuid.uuid4()), "date_of_birth": "1990-02-03", "notes": ""}],
}


def stored(engine, table) -> list[tuple]:
    with engine.connect() as conn:
        return sorted(conn.exec_driver_sql(f"SELECT * FROM {table.name}").all(), key=repr)


def written(rows: dict[str, list[dict]], write) -> dict[str, list[tuple]]:
    engine = create_engine("sqlite://")
    m.Base.metadata.create_all(engine)
    with Session(engine) as session, session.begin():
        for name, payloads in rows.items():
            write(session, TABLES[name], [row_from_payload(TABLES[name], p) for p in payloads])
    return {name: stored(engine, TABLES[name]) for name in rows}


def by_sqlalchemy(session, table, rows):
    session.execute(table.insert(), rows)


def test_rows_are_stored_as_sqlalchemy_stores_them():
    assert written(PAYLOADS, insert_rows) == written(PAYLOADS, by_sqlalchemy)


def test_rows_that_leave_a_column_out_take_its_default_as_before():
    partial = {"answers": [{k: v for k, v in answer().items() if k not in ("reasons",
                                                                           "respondent")}]}
    assert written(partial, insert_rows) == written(partial, by_sqlalchemy)


def test_a_value_a_column_cannot_take_fails_as_it_did():
    naive = {"answers": [answer(), answer(updated_at="2026-12-07T09:30:00")]}
    for write in (insert_rows, by_sqlalchemy):
        with pytest.raises(sa_exc.StatementError) as failed:
            written(naive, write)
        assert isinstance(failed.value.orig, ValueError)
