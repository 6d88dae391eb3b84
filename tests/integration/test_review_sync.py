"""A supervisor in the office returns a case to an inspector who is offline; the inspector
sees it, with the query, after their next sync. Review history, queries and the audit
trail travel through the central store, append-only, and never conflict."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from app.errors import WorkflowError
from app.services.conflicts import ACKNOWLEDGED
from tests.integration.helpers import make_case, make_inspection
from tests.integration.sync_fixtures import laptop
from tests.integration.test_review import complete


def test_return_query_resubmit_and_approve_across_laptops(central, tmp_path):
    one = laptop(tmp_path, central, "inspector.one")
    inspection = make_inspection(one.services)
    case = make_case(one.services, "X1", inspection=inspection)
    complete(one.services, case.id)
    one.services.review.submit(case.id)
    one.sync()

    sam = laptop(tmp_path, central, "supervisor.sam", role="supervisor",
                 inspections=[inspection.id])
    sam.sync()
    [waiting] = sam.services.review.queue()
    assert (waiting.case.reference, waiting.case.status) == ("X1", "submitted")
    query = sam.services.review.raise_query(case_id=case.id, question_key="victim",
                                            text="Which record names the victim?")
    sam.services.review.return_case(case.id, "Please evidence the victim question")
    assert sam.sync().conflicts == 0

    # the inspector was offline all along; their next sync brings the return and the query
    assert one.services.cases.get(case.id).status == "submitted"
    one.sync()
    assert one.services.cases.get(case.id).status == "returned"
    [thread] = one.services.review.queries(case.id)
    assert (thread.id, thread.status, thread.raised_by) == (query, "open", "supervisor.sam")
    assert one.services.review.events(case.id)[-1].note == "Please evidence the victim question"
    returned = [a for a in one.services.review.audit(case.id) if a.entity == "cases"][-1]
    assert (returned.changes["status"], returned.by) == (("submitted", "returned"),
                                                          "supervisor.sam")

    one.services.review.respond(query, "The police call-out log of 3 March.")
    one.services.forms.record_answer(case_id=case.id, question_key="comment",
                                     value="Victim named in police log")
    one.services.review.submit(case.id)
    one.sync()
    sam.sync()
    assert sam.services.review.queries(case.id)[0].status == "responded"
    sam.services.review.close_query(query)
    sam.services.review.approve(case.id, "supervisor.sam")
    sam.sync()
    one.sync()
    assert one.services.cases.get(case.id).status == "approved"
    with pytest.raises(WorkflowError, match="unlock"):
        one.services.forms.record_answer(case_id=case.id, question_key="comment", value="x")

    # every laptop holds the same history, each entry once, and no conflict was raised
    for machine in (one, sam):
        assert [e.action for e in machine.services.review.events(case.id)] == [
            "submit", "return", "submit", "approve"]
        assert [m.kind for m in machine.services.review.queries(case.id)[0].messages] == [
            "raise", "respond", "close"]
        assert machine.services.sync.status().open_conflicts == 0
    engine = create_engine(central)
    with engine.connect() as conn:
        for table in ("case_events", "query_messages", "audit_entries"):
            total, distinct = conn.execute(text(
                f"SELECT count(*), count(DISTINCT id) FROM {table}")).one()
            assert total == distinct > 0, table
        assert conn.execute(text("SELECT count(*) FROM central_conflicts")).scalar() == 0
    engine.dispose()
    assert len(one.services.review.audit(case.id)) == len(sam.services.review.audit(case.id))



def test_a_reply_written_offline_after_the_query_was_closed_is_refused_and_settled(central,
                                                                                   tmp_path):
    """The order people take: the supervisor closes a query in the office while the
    inspector, offline, replies to it. The reply is refused at the store, said so on the
    inspector's laptop, and once the inspector settles it the laptop syncs cleanly."""
    one = laptop(tmp_path, central, "inspector.one")
    inspection = make_inspection(one.services)
    case = make_case(one.services, "X1", inspection=inspection)
    one.sync()
    sam = laptop(tmp_path, central, "supervisor.sam", role="supervisor",
                 inspections=[inspection.id])
    sam.sync()
    query = sam.services.review.raise_query(case_id=case.id, question_key="victim",
                                            text="Which record names the victim?")
    sam.sync()
    one.sync()
    sam.services.review.close_query(query, "Found it myself.")
    sam.sync()
    one.services.review.respond(query, "The police report of March.")  # offline meanwhile

    first = one.sync()
    assert first.refused == 1
    [refusal] = one.services.conflicts.open()
    assert refusal.kind == "refused" and "the query is closed" in refusal.detail
    [thread] = one.services.review.queries(case.id)
    # the laptop shows the thread as the store holds it: the refused reply is kept in the
    # refusal alone
    assert (thread.status, [m.kind for m in thread.messages]) == ("closed", ["raise", "close"])
    assert refusal.yours["text"] == "The police report of March."
    one.services.conflicts.resolve(conflict_id=refusal.id, choice=ACKNOWLEDGED)
    again = one.sync()
    assert (again.refused, one.services.sync.status().pending_changes) == (0, 0)
    assert one.services.conflicts.open() == []
    engine = create_engine(central)
    with engine.connect() as conn:
        kinds = conn.execute(text("SELECT kind FROM query_messages WHERE query_id = :q "
                                  "ORDER BY updated_at"), {"q": query}).scalars().all()
    engine.dispose()
    assert kinds == ["raise", "close"]
