"""Three laptops editing the same case offline and syncing in any order: in the end every
copy holds the same answers, no answer given is lost, and nothing is duplicated.

An answer a laptop held when it synced is kept as a revision or in a conflict; one its
inspector replaced before syncing is kept in the audit trail, as every answer given is."""

from __future__ import annotations

import contextlib
import tempfile
import uuid
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text

from app.sync import engine as sync_engine
from tests.conftest import raw_connection
from tests.integration.helpers import make_case, make_inspection
from tests.integration.sync_fixtures import laptop
from tests.service import stop_services_for

QUESTIONS = {"victim": st.sampled_from(["yes", "no"]), "officers": st.integers(1, 20),
             "comment": st.text("abc xyz", min_size=1, max_size=8).map(str.strip)
             .filter(bool)}
STEPS = st.lists(st.one_of(
    st.tuples(st.just("edit"), st.integers(0, 2), st.sampled_from(sorted(QUESTIONS)),
              st.data()),
    st.tuples(st.just("sync"), st.integers(0, 2), st.none(), st.none()),
), min_size=1, max_size=14)


def central_answers(url: str) -> dict[str, object]:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = {k: v for k, v in conn.execute(text("SELECT question_key, value FROM answers"))}
        count = conn.execute(text("SELECT count(*) FROM answers")).scalar()
    engine.dispose()
    assert count == len(found), "an answer is held twice"
    return found


def everything_ever_kept(url: str, laptops) -> set[tuple[str, str, str]]:
    """Every answer value the central store has held, or keeps in a conflict, and every
    value a laptop keeps in a conflict of its own: by whose it is."""
    engine = create_engine(url)
    with engine.connect() as conn:
        kept = {(by, p["question_key"], repr(p["value"])) for by, p in conn.execute(text(
            "SELECT changed_by, payload FROM central_changes WHERE entity = 'answers'"))}
        kept |= {(by, p["question_key"], repr(p["value"])) for by, p in conn.execute(text(
            "SELECT raised_by, yours FROM central_conflicts WHERE entity = 'answers'")) if p}
    engine.dispose()
    for machine in laptops:
        with contextlib.closing(raw_connection(machine.services.database.path)) as local:
            import json
            for (yours,) in local.execute("SELECT yours FROM conflicts WHERE entity='answers'"):
                payload = json.loads(yours)
                kept.add((machine.login, payload["question_key"], repr(payload["value"])))
    return kept


def audited_answers(url: str) -> set[tuple[str, str]]:
    """Every answer value the central audit trail records as given."""
    engine = create_engine(url)
    with engine.connect() as conn:
        audited = {(key, repr(changes["value"][1])) for key, changes in conn.execute(text(
            "SELECT question_key, changes FROM audit_entries WHERE entity = 'answers'"))
            if "value" in changes}
    engine.dispose()
    return audited


def assert_no_silent_overwrite(url: str) -> None:
    """Each revision is applied on top of the one before it, once: two edits made from the
    same starting point never both become the next revision (one is a conflict)."""
    engine = create_engine(url)
    with engine.connect() as conn:
        revisions: dict[str, list[int]] = {}
        for entity_id, rev in conn.execute(text(
                "SELECT entity_id, rev FROM central_changes WHERE entity = 'answers' "
                "ORDER BY seq")):
            revisions.setdefault(str(entity_id), []).append(rev)
    engine.dispose()
    for entity_id, revs in revisions.items():
        assert revs == list(range(1, len(revs) + 1)), (entity_id, revs)


def sync_property(examples: int):
    """The property below, tried on ``examples`` orders of edits and syncs."""
    return lambda test: settings(
        max_examples=examples, deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )(given(steps=STEPS, batch=st.sampled_from([1, 2, sync_engine.PUSH_BATCH]))(test))


@sync_property(examples=6)
def test_any_order_of_edits_and_syncs_converges_without_loss(postgres_server, central_template,
                                                             steps, batch):
    """``batch``: changes sent per central transaction, so small batches overlap (one is
    applied centrally while the one before is recorded here)."""
    converges_without_loss(postgres_server, central_template, steps, batch)


@pytest.mark.long
@sync_property(examples=40)
def test_many_orders_of_edits_and_syncs_converge_without_loss(postgres_server, central_template,
                                                              steps, batch):
    converges_without_loss(postgres_server, central_template, steps, batch)


def converges_without_loss(postgres_server, central_template, steps, batch) -> None:
    name = f"prop_{uuid.uuid4().hex[:10]}"
    url = postgres_server.create_database(name, central_template)
    try:
        with tempfile.TemporaryDirectory() as folder, \
                mock.patch.object(sync_engine, "PUSH_BATCH", batch):
            run(url, Path(folder), steps)
    finally:
        stop_services_for(url)
        postgres_server.drop_database(name)


def run(url: str, folder: Path, steps) -> None:
    first = laptop(folder, url, "inspector.one")
    inspection = make_inspection(first.services)
    case = make_case(first.services, "X1", inspection=inspection)
    for key, value in (("victim", "yes"), ("officers", 1), ("comment", "start")):
        # every laptop starts from the same answers, so concurrent edits are common
        first.services.forms.record_answer(case_id=case.id, question_key=key, value=value)
    first.sync()
    machines = [first] + [laptop(folder, url, login, inspections=[inspection.id])
                          for login in ("inspector.two", "inspector.three")]
    for machine in machines[1:]:
        machine.sync()
    given_values: set[tuple[str, str]] = set()
    held_at_sync: set[tuple[str, str, str]] = set()  # what each laptop held when it synced
    unsent: list[dict[str, object]] = [{} for _ in machines]  # each laptop's latest edits
    for kind, who, key, data in steps:
        machine = machines[who]
        if kind == "sync":
            held_at_sync.update((machine.login, k, repr(v)) for k, v in unsent[who].items())
            unsent[who].clear()
            machine.sync()
            continue
        value = data.draw(QUESTIONS[key])
        held = machine.services.forms.open(case.id).answers.get(key)
        machine.services.forms.record_answer(case_id=case.id, question_key=key, value=value)
        if held is not None and held.value == value:
            continue  # given already: nothing changes, nothing to keep
        given_values.add((key, repr(value)))
        unsent[who][key] = value
    held_at_sync.update((machine.login, k, repr(v))
                        for machine, edits in zip(machines, unsent, strict=True)
                        for k, v in edits.items())
    for _ in range(2):  # everyone syncs, twice: the last changes reach everyone
        for machine in machines:
            machine.sync()
    central = central_answers(url)
    for machine in machines:
        local = {k: r.value for k, r in machine.services.forms.open(case.id).answers.items()
                 if r.value is not None}
        assert local == central, machine.login
        assert machine.services.sync.status().pending_changes == 0
    lost = held_at_sync - everything_ever_kept(url, machines)
    assert not lost, f"answers lost: {lost}"
    unaudited = given_values - audited_answers(url)
    assert not unaudited, f"answers missing from the audit trail: {unaudited}"
    assert_no_silent_overwrite(url)
    for machine in machines:
        machine.services.close()
