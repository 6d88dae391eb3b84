"""The moves of a query on one answer: one table for the laptop and the central store."""

from __future__ import annotations

import pytest

from app.core import queries
from app.core.queries import MOVES, QueryKind, QueryState, move_from, state_of
from app.core.workflow import Actor
from app.errors import WorkflowError


def test_a_query_stands_where_its_messages_took_it():
    assert state_of([]) is None
    assert state_of(["raise"]) == QueryState.OPEN
    assert state_of(["raise", "respond", "respond"]) == QueryState.RESPONDED
    assert state_of(["raise", "respond", "close"]) == QueryState.CLOSED
    assert state_of(["raise", "close", "respond"]) == QueryState.CLOSED  # nothing after close
    assert state_of(["respond"]) is None  # a reply to nothing raised moves nothing


def test_the_store_reads_a_query_whatever_order_its_messages_come_in():
    for kinds in (["close", "raise", "respond"], ["respond", "raise"], ["raise"]):
        assert queries.state_of_any_order(kinds) == state_of(sorted(
            kinds, key=list(QueryKind).index))
    assert queries.state_of_any_order(["respond", "close", "raise"]) == QueryState.CLOSED


@pytest.mark.parametrize(("state", "kind"), list(MOVES))
def test_each_move_is_made_by_its_actor_only(state, kind):
    move = MOVES[state, kind]
    assert move_from(state, kind) is move
    assert queries.refusal(state, kind, move.by) is None
    other = Actor.INSPECTOR if move.by == Actor.SUPERVISOR else Actor.SUPERVISOR
    for someone in (other, None):
        assert queries.refusal(state, kind, someone) is not None


@pytest.mark.parametrize("kind", list(QueryKind))
def test_a_closed_query_takes_nothing_more(kind):
    assert (QueryState.CLOSED, kind) not in MOVES
    with pytest.raises(WorkflowError, match="already closed"):
        move_from(QueryState.CLOSED, kind)
    assert queries.refusal(QueryState.CLOSED, kind, Actor.SUPERVISOR) is not None


def test_nothing_is_added_to_a_query_of_a_closed_inspection_or_raised_on_an_approved_case():
    for kind in QueryKind:
        assert queries.case_refusal(kind, "in_progress", "closed") == "the inspection is closed"
        assert queries.case_refusal(kind, "submitted", "open") is None
    assert "approved case is locked" in queries.case_refusal("raise", "approved", "open")
    for kind in (QueryKind.RESPOND, QueryKind.CLOSE):  # a query raised before it stays open
        assert queries.case_refusal(kind, "approved", "open") is None


def test_only_closing_may_say_nothing():
    assert {kind for (_, kind), move in MOVES.items() if not move.needs_text} == {
        QueryKind.CLOSE}
