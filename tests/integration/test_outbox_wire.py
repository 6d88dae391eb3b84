"""A push reads each change from the outbox already written as it travels (SQLite writes
it): exactly what writing it from the change itself gives, awkward text included; a row
that is not sound is still written from the change, as before."""

from __future__ import annotations

from sqlalchemy import text

from app.sync.client import _sendable
from app.sync.engine import SyncEngine
from app.sync.protocol import Change
from tests.integration.helpers import make_case, make_inspection

AWKWARD = 'Seen, "at home"\\ on\nTuesday\x1e\x07\tçà 😀'


def as_sent_before(change: Change) -> str:
    return _sendable(Change(change.change_id, change.entity, change.entity_id, change.op,
                            change.base_rev, change.rev, text=change.text, keys=change.keys))


def test_each_change_travels_exactly_as_written_from_the_change(mini):
    inspection = make_inspection(mini)
    for n in range(3):
        case = make_case(mini, f"X{n}", inspection=inspection)
        mini.forms.record_answer(case_id=case.id, question_key="comment",
                                 value=f"{AWKWARD}{n}", evidence=AWKWARD)
    with mini._db.write() as session:  # a row damaged: not JSON, and a revision as text
        session.execute(text("UPDATE outbox SET payload = replace(payload, '\"X1\"', 'NaN') "
                             "WHERE entity = 'cases' AND payload LIKE '%\"X1\"%'"))
        session.execute(text("UPDATE outbox SET base_rev = 0.5 WHERE seq = "
                             "(SELECT max(seq) FROM outbox)"))
    changes, _ = SyncEngine(mini._db, None)._next_batch(0, set())
    assert len(changes) > 8
    assert [_sendable(c) for c in changes] == [as_sent_before(c) for c in changes]
    # the damaged ones are written from the change, as before
    not_json = [c for c in changes if c.keys is None]
    assert not_json and all(c._wire is None for c in not_json)
    assert changes[-1]._wire is None and '"base_rev":0,' in _sendable(changes[-1])
    assert all(c._wire is not None for c in changes[:-1] if c.keys is not None)
