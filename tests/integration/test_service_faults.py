"""The central service killed outright (its process, SIGKILL) in the middle of a laptop's
push and in the middle of a colleague's pull: the sync says the store cannot be reached, both
sides stay whole, and the next sync, once the service is back, completes it with nothing lost
and nothing applied twice."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from app.bootstrap import build_services
from app.sync import client
from app.sync import engine as sync_engine
from app.sync.central import CentralError, add_user
from tests.conftest import MINI_FRAMEWORKS, new_database, opened
from tests.integration.helpers import make_case, make_inspection
from tests.integration.sync_fixtures import PASSWORD, Laptop
from tests.integration.test_sync_faults import central_rows, local_checks, outbox_size

CASES = 12


def person(tmp_path, central_url: str, address: str, login: str, inspections=()) -> Laptop:
    add_user(central_url, login=login, name=login.title(), role="inspector",
             password=PASSWORD, inspections=inspections)
    db = new_database(tmp_path / f"{login}.db", login)
    return Laptop(login, opened(build_services(db, MINI_FRAMEWORKS)), address, central_url)


def killing(service):
    """A progress report that kills the service at the first report of ``stage``."""
    def report(stage: str, _done: int, _total: int) -> None:
        if stage == report.stage and service.process.poll() is None:
            service.process.kill()
            service.process.wait(30)
    return report


def answers_at(central_url: str) -> dict:
    engine = create_engine(central_url)
    with engine.connect() as conn:
        found = dict(conn.execute(text(
            "SELECT c.reference || '/' || a.question_key, a.value::text FROM answers a "
            "JOIN cases c ON c.id = a.case_id")).all())
    engine.dispose()
    return found


def test_the_service_killed_mid_push_and_mid_pull(central, tmp_path, start_service,
                                                  monkeypatch):
    monkeypatch.setenv("ASPIRE_FRAMEWORKS_DIR", str(MINI_FRAMEWORKS))
    monkeypatch.setattr(sync_engine, "PUSH_BATCH", 8)
    monkeypatch.setattr(sync_engine, "PULL_PAGE", 8)
    monkeypatch.setattr(client, "FIRST_PAUSE_S", 0.01)
    service = start_service(central)
    one = person(tmp_path, central, service.base, "inspector.one")
    inspection = make_inspection(one.services)
    for n in range(CASES):
        case = make_case(one.services, f"X{n:03}", inspection=inspection)
        for key, value in (("victim", "yes"), ("officers", n + 1), ("comment", f"Seen {n}")):
            one.services.forms.record_answer(case_id=case.id, question_key=key, value=value)
    waiting = outbox_size(one)

    report = killing(service)
    report.stage = "push"
    with pytest.raises(CentralError, match="cannot be reached"):
        one.services.sync.sync(one.url, PASSWORD, report=report)
    local_checks(one)
    partly = central_rows(central)
    assert 0 < partly["central_changes"] < waiting  # killed part way
    assert partly["duplicated changes"] == 0

    service = start_service(central)  # back, at another port
    one.url = service.base
    done = one.sync()
    assert done.refused == done.conflicts == 0
    assert outbox_size(one) == 0
    whole = central_rows(central)
    assert whole["central_changes"] == waiting and whole["duplicated changes"] == 0
    assert len(answers_at(central)) == 3 * CASES

    two = person(tmp_path, central, service.base, "inspector.two",
                 inspections=[inspection.id])
    whole = central_rows(central)  # with two's membership
    report = killing(service)
    report.stage = "pull"
    with pytest.raises(CentralError, match="cannot be reached"):
        two.services.sync.sync(two.url, PASSWORD, report=report)
    local_checks(two)
    assert 0 < len(two.services.cases.list(inspection.id)) < CASES

    service = start_service(central)
    two.url = service.base
    assert two.sync().refused == 0
    local_checks(two)
    got = {}
    for case in two.services.cases.list(inspection.id):
        for key, record in two.services.forms.open(case.id).answers.items():
            got[f"{case.reference}/{key}"] = record.value
    assert len(got) == 3 * CASES
    assert {k: str(v) for k, v in got.items()} == {
        k: v.strip('"') for k, v in answers_at(central).items()}
    assert central_rows(central) == whole  # the pull changed nothing at the store
    for machine in (one, two):
        machine.services.close()
