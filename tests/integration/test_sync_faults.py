"""A sync interrupted at each of its steps leaves both databases valid, and the next sync
completes it: nothing lost, nothing applied twice."""

from __future__ import annotations

import contextlib
import threading

import pytest
from sqlalchemy import create_engine, text

from app.sync import batch as sync_batch
from app.sync import engine as sync_engine
from app.sync.central import CentralError
from app.sync.client import ServiceLink
from app.sync.link import PushedTooSoon
from tests.conftest import raw_connection
from tests.integration.sync_fixtures import two_laptops_on_one_case


class Dropped(ConnectionError):
    """The network went away at this point."""


def local_checks(machine) -> None:
    with contextlib.closing(raw_connection(machine.services.database.path)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []


def outbox_size(machine) -> int:
    """Every change waiting, the audit trail's included."""
    with contextlib.closing(raw_connection(machine.services.database.path)) as conn:
        return conn.execute("SELECT count(*) FROM outbox").fetchone()[0]


def central_rows(url: str) -> dict[str, int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        counts = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar()
                  for t in ("answers", "central_changes", "applied_changes", "cases")}
        counts["duplicated changes"] = conn.execute(text(
            "SELECT count(*) - count(DISTINCT change_id) FROM central_changes")).scalar()
    engine.dispose()
    return counts


def break_once(monkeypatch, target, name: str, after: int = 0):
    """Make ``target.name`` fail once, after letting ``after`` calls through."""
    original = getattr(target, name)
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == after + 1:
            raise Dropped(f"connection dropped in {name}")
        return original(*args, **kwargs)

    monkeypatch.setattr(target, name, flaky)
    return calls


FAULTS = {
    # pushing: rows are written centrally, then the transaction fails before it commits
    "during the central apply": (sync_batch, "record_outcomes", 0),
    # pushing: the central store committed, but the reply never arrived here
    "after the central commit, before recording outcomes": (sync_engine.SyncEngine, "_record",
                                                            0),
    # pulling: the page was read, the local transaction fails
    "while applying a pulled page": (sync_engine.SyncEngine, "_apply_page", 0),
}


@pytest.fixture
def pair(central, tmp_path):
    one, two, case = two_laptops_on_one_case(tmp_path, central)
    return central, one, two, case


@pytest.mark.parametrize("fault", list(FAULTS))
def test_an_interrupted_sync_is_completed_by_the_next(pair, monkeypatch, fault):
    central_url, one, two, case = pair
    for key, value in (("victim", "yes"), ("officers", 3), ("comment", "Seen at home")):
        one.services.forms.record_answer(case_id=case.id, question_key=key, value=value)
    target, name, after = FAULTS[fault]
    broken = one if "pulled" not in fault else two
    if broken is two:
        one.sync()
    calls = break_once(monkeypatch, target, name, after)
    # at the service, the failure is its own; the laptop is told it could not finish
    with pytest.raises(CentralError if target is sync_batch else Dropped):
        broken.sync()
    assert calls["n"] == after + 1
    local_checks(one), local_checks(two)
    monkeypatch.undo()
    one.sync(), two.sync(), one.sync()
    for machine in (one, two):
        local_checks(machine)
        answers = machine.services.forms.open(case.id).answers
        assert {k: r.value for k, r in answers.items()} == {
            "victim": "yes", "officers": 3, "comment": "Seen at home"}, fault
        assert machine.services.sync.status().pending_changes == 0
        assert machine.services.sync.status().open_conflicts == 0
    counts = central_rows(central_url)
    assert counts["answers"] == 3 and counts["duplicated changes"] == 0


def test_a_sync_with_nothing_to_do_changes_nothing(pair):
    central_url, one, _two, _case = pair
    one.sync()  # brings in the colleague joining the team
    before = central_rows(central_url)
    quiet = one.sync()
    assert (quiet.pushed, quiet.pulled, quiet.conflicts) == (0, 0, 0)
    assert central_rows(central_url) == before


def test_a_batch_that_overtakes_the_one_before_it_is_applied_after_it(pair, monkeypatch):
    """Two batches travel side by side; when the second reaches the store first, the store
    applies nothing of it, and the laptop sends it again once the first is answered: every
    change applied once, in the order made."""
    central_url, one, _two, case = pair
    one.sync()
    for key, value in (("victim", "yes"), ("officers", 3), ("comment", "Seen at home")):
        one.services.forms.record_answer(case_id=case.id, question_key=key, value=value)
    waiting = outbox_size(one)
    monkeypatch.setattr(sync_engine, "PUSH_BATCH", 2)
    overtaken = threading.Event()
    too_soon: list[object] = []
    sending = ServiceLink.push

    def push(link, changes, after=None):
        if after is None and not overtaken.is_set():
            assert overtaken.wait(timeout=60)  # the batch after this one arrives first
        try:
            return sending(link, changes, after)
        except PushedTooSoon:
            too_soon.append(after)
            overtaken.set()
            raise

    monkeypatch.setattr(ServiceLink, "push", push)
    synced = one.sync()
    assert too_soon  # (a batch behind the one re-sent may be too soon as well, and waits)
    assert synced.pushed == synced.applied == waiting
    assert synced.conflicts == synced.refused == 0
    assert outbox_size(one) == 0
    counts = central_rows(central_url)
    assert counts["duplicated changes"] == 0 and counts["answers"] == 3
    local_checks(one)


def test_changes_acknowledged_before_a_push_fails_leave_the_outbox(pair, monkeypatch):
    """Acknowledged changes leave the outbox some batches at a time: when the push fails
    part-way, those the store has acknowledged still leave it, and only the rest are sent
    next time. A batch already on its way behind the one that failed is not applied
    either: the store holds nothing of the failed one, so it refuses it unapplied."""
    central_url, one, _two, case = pair
    one.sync()
    for key, value in (("victim", "yes"), ("officers", 3), ("comment", "Seen at home")):
        one.services.forms.record_answer(case_id=case.id, question_key=key, value=value)
    waiting = outbox_size(one)
    before = central_rows(central_url)["central_changes"]
    monkeypatch.setattr(sync_engine, "PUSH_BATCH", 2)
    calls = break_once(monkeypatch, sync_engine.SyncEngine, "_apply_centrally", after=2)
    with pytest.raises(Dropped):
        one.sync()
    assert calls["n"] == 2 + sync_engine.IN_FLIGHT
    applied = central_rows(central_url)["central_changes"] - before
    assert applied == 2 * 2 < waiting  # the two batches before the one that failed
    assert outbox_size(one) == waiting - applied
    local_checks(one)
    monkeypatch.undo()
    finished = one.sync()
    assert finished.pushed == finished.applied == waiting - applied
    assert outbox_size(one) == 0
