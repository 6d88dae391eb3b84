"""An answer reported as saved survives the laptop dying, and never without its outbox row.

A child process records answers as fast as it can, saying before each save what it is
about to save and after it what was saved. It is killed outright at a random moment,
often in the middle of a save. The database is then reopened and must hold every answer
reported as saved (the one being saved at the kill may or may not be there), pass
SQLite's own checks, and have an outbox that accounts for every revision of every row.
"""

from __future__ import annotations

import contextlib
import json
import random
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

import pytest
from sqlalchemy import select

from app.bootstrap import build_services
from app.db.bookkeeping import row_payload
from app.db.models import SYNCED_MODELS, Answer, Case, Outbox
from app.db.opening import open_database
from tests.conftest import MINI_FRAMEWORKS, TEST_KEY, raw_connection
from tests.integration.helpers import make_case, make_inspection

ROOT = Path(__file__).resolve().parents[2]
USER = "inspector.one"
SEED = 20240611
LONGEST_RUN_S = 0.3  # how long a child may record answers before it is killed
READY_TIMEOUT_S = 60

# The inspector at work: one answer after another, each a real change (the evidence note
# names the round and the entry), across every kind of question in the small framework.
CHILD = r'''
import datetime as dt
import json
import sys
import uuid
from pathlib import Path

from app.bootstrap import build_services
from app.db.opening import open_database
from tests.conftest import TEST_KEY

db_path, frameworks, user, round_no, *case_ids = sys.argv[1:]
services = build_services(open_database(Path(db_path), user=user, key=TEST_KEY), Path(frameworks))
cases = [uuid.UUID(c) for c in case_ids]

QUESTIONS = ("comment", "officers", "rosh_assessment", "barriers", "victim", "workload",
             "needs", "partners", "seen_on")
NEEDS = ("accommodation", "drug_misuse", "alcohol_misuse")
REASONS = ("not_done", "not_timely", "other")


def answer(n):
    key = QUESTIONS[n % len(QUESTIONS)]
    turn = n // len(QUESTIONS)
    reasons = []
    if key == "comment":
        value = f"Supervision record read in full, entry {n}"
    elif key == "officers":
        value = 1 + n % 20
    elif key in ("rosh_assessment", "barriers"):
        value = ("no", "yes", "na")[turn % (3 if key == "barriers" else 2)]
        if value == "no":
            reasons = list(REASONS[: 1 + turn % 3])
    elif key == "victim":
        value = ("yes", "no")[turn % 2]
    elif key == "workload":
        value = ("positive", "none")[turn % 2]
    elif key == "needs":
        value = [need for i, need in enumerate(NEEDS) if (turn % 7 + 1) >> i & 1]
    elif key == "partners":
        value = {need: ("yes", "no", "na")[(turn + i) % 3] for i, need in enumerate(NEEDS)}
    else:
        value = (dt.date(2024, 1, 1) + dt.timedelta(days=n % 300)).isoformat()
    evidence = f"Round {round_no}, entry {n}: checked against the case record."
    return {"case": str(cases[n % len(cases)]), "key": key, "value": value,
            "reasons": reasons, "evidence": evidence}


print("ready", flush=True)
n = 0
while True:
    given = answer(n)
    print("about", json.dumps(given), flush=True)
    saved = services.forms.record_answer(
        case_id=uuid.UUID(given["case"]), question_key=given["key"], value=given["value"],
        reasons=given["reasons"], evidence=given["evidence"]).record
    print("saved", json.dumps({"case": given["case"], "key": saved.question_key,
                               "value": saved.value, "reasons": list(saved.reasons),
                               "evidence": saved.evidence, "rev": saved.rev}), flush=True)
    n += 1
'''


def run_until_killed(db_path: Path, round_no: int, case_ids: list[str], delay: float,
                     stderr_path: Path) -> list[tuple[str, dict]]:
    """Run the inspector's process, kill it ``delay`` seconds after it is ready, and
    return the complete lines it wrote (a line cut short by the kill is dropped)."""
    with stderr_path.open("w") as stderr:
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(db_path), str(MINI_FRAMEWORKS), USER,
             str(round_no), *case_ids],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=stderr, text=True)
        try:
            first = _ready_line(child)
            assert first == "ready\n", (
                f"round {round_no}: the inspector's process did not start:\n"
                f"{stderr_path.read_text()}")
            lines: list[str] = []
            reader = threading.Thread(target=lambda: lines.extend(child.stdout), daemon=True)
            reader.start()
            time.sleep(delay)
            still_running = child.poll() is None
            child.kill()
            child.wait(timeout=30)
            reader.join(timeout=30)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
            child.stdout.close()
    assert still_running, (
        f"round {round_no}: the inspector's process stopped by itself:\n"
        f"{stderr_path.read_text()}")
    events = []
    for line in lines:
        if line.endswith("\n"):
            kind, _, data = line.partition(" ")
            events.append((kind, json.loads(data)))
    return events


def _ready_line(child: subprocess.Popen) -> str:
    found: list[str] = []
    waiter = threading.Thread(target=lambda: found.append(child.stdout.readline()), daemon=True)
    waiter.start()
    waiter.join(READY_TIMEOUT_S)
    return found[0] if found else ""


def stored_answers(db) -> dict[tuple[str, str], dict]:
    with db.read() as session:
        return {
            (str(a.case_id), a.question_key): {
                "case": str(a.case_id), "key": a.question_key, "value": a.value,
                "reasons": list(a.reasons), "evidence": a.evidence, "rev": a.rev,
            }
            for a in session.scalars(select(Answer))
        }


def check_sqlite_is_sound(db_path: Path) -> None:
    """SQLite's own checks, made before the app touches the file."""
    with contextlib.closing(raw_connection(db_path)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []


def check_outbox_matches_rows(db) -> None:
    """Every revision of every synced row has exactly one outbox row, in order, and the
    newest one carries the row as it is stored; no outbox row is without its change."""
    with db.read() as session:
        changes = defaultdict(list)
        for change in session.scalars(select(Outbox).order_by(Outbox.seq)):
            changes[(change.entity, change.entity_id)].append(change)
        accounted = set()
        for model in SYNCED_MODELS:
            for row in session.scalars(select(model)):
                entity = (model.__tablename__, row.id)
                accounted.add(entity)
                mine = changes.get(entity, [])
                where = f"{model.__tablename__} {row.id}"
                assert [c.rev for c in mine] == list(range(1, row.rev + 1)), where
                assert [c.base_rev for c in mine] == list(range(row.rev)), where
                assert [c.op for c in mine] == ["insert"] + ["update"] * (row.rev - 1), where
                newest = mine[-1].payload
                assert newest == row_payload(row), where
                if isinstance(row, Answer):
                    assert (newest["value"], newest["reasons"], newest["evidence"],
                            newest["rev"]) == (row.value, row.reasons, row.evidence, row.rev)
                if isinstance(row, Case):
                    assert (newest["status"], newest["rev"]) == (row.status, row.rev)
        assert set(changes) <= accounted, "outbox rows for changes that are not stored"


def replay(events: list[tuple[str, dict]], expected: dict, round_no: int) -> dict | None:
    """Apply the saves reported in one round to ``expected``; return the save in flight
    at the kill (announced but not reported as saved), if any."""
    in_flight = None
    for kind, data in events:
        if kind == "about":
            assert in_flight is None, f"round {round_no}: two saves at once"
            in_flight = data
        else:
            assert kind == "saved", f"round {round_no}: unexpected line {kind}"
            key = (data["case"], data["key"])
            before = expected.get(key)
            assert in_flight is not None
            assert {**in_flight, "rev": data["rev"]} == data, (
                f"round {round_no}: saved something other than what was given")
            assert data["rev"] == (before["rev"] if before else 0) + 1, (
                f"round {round_no}: {key} skipped a revision")
            expected[key] = data
            in_flight = None
    return in_flight


def test_answers_reported_saved_survive_a_killed_process(tmp_path):
    kill_rounds(tmp_path, rounds=6)


@pytest.mark.long
def test_answers_reported_saved_survive_a_process_killed_again_and_again(tmp_path):
    kill_rounds(tmp_path, rounds=25)


def kill_rounds(tmp_path: Path, rounds: int) -> None:
    """Kill the inspector's process ``rounds`` times, each time at a random moment, and check
    the database after each kill."""
    db_path = tmp_path / "data" / "casework.db"
    db = open_database(db_path, user=USER, key=TEST_KEY)
    services = build_services(db, MINI_FRAMEWORKS)
    inspection = make_inspection(services)
    case_ids = [str(make_case(services, reference=ref, inspection=inspection).id)
                for ref in ("X100001", "X100002")]
    db.close()

    rng = random.Random(SEED)
    expected: dict[tuple[str, str], dict] = {}
    saves = rounds_killed_mid_save = 0
    for round_no in range(1, rounds + 1):
        events = run_until_killed(db_path, round_no, case_ids,
                                  rng.uniform(0, LONGEST_RUN_S),
                                  tmp_path / f"round-{round_no}.stderr")
        saves += sum(1 for kind, _ in events if kind == "saved")
        in_flight = replay(events, expected, round_no)

        check_sqlite_is_sound(db_path)
        db = open_database(db_path, user=USER, key=TEST_KEY)
        try:
            stored = stored_answers(db)
            check_outbox_matches_rows(db)
        finally:
            db.close()

        flying = (in_flight["case"], in_flight["key"]) if in_flight else None
        for key in set(expected) | set(stored) | ({flying} if flying else set()):
            if key != flying:
                assert stored.get(key) == expected.get(key), (
                    f"round {round_no}: {key} is not as last reported saved")
                continue
            rounds_killed_mid_save += 1
            before = expected.get(key)
            landed = {**in_flight, "rev": (before["rev"] if before else 0) + 1}
            assert stored.get(key) in (before, landed), (
                f"round {round_no}: {key} is neither the last saved nor the one in flight")
            if stored.get(key) is None:
                expected.pop(key, None)
            else:
                expected[key] = stored[key]

    assert saves >= rounds, "too few answers were saved to test anything"
    assert rounds_killed_mid_save >= rounds // 4, (
        f"only {rounds_killed_mid_save} of {rounds} kills came in the middle of a save")
