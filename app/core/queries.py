"""Queries on single answers: a supervisor raises one, the inspector replies (as often as it
takes), and the supervisor closes it once satisfied.

A query is a thread of append-only messages sharing the id of the message that raised it;
where it stands is what its latest message did. ``MOVES`` is the whole of the rule, for the
laptop and the central store alike: anything it does not list is refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from app.core.vocab import vocabulary
from app.core.workflow import Actor, CaseStatus, InspectionStatus
from app.errors import WorkflowError


class QueryState(StrEnum):
    OPEN = "open"
    RESPONDED = "responded"
    CLOSED = "closed"


class QueryKind(StrEnum):
    """What a message in a query does."""

    RAISE = "raise"
    RESPOND = "respond"
    CLOSE = "close"


QUERY_STATE = vocabulary("query_state", [
    (QueryState.OPEN, "Open"),
    (QueryState.RESPONDED, "Answered"),
    (QueryState.CLOSED, "Closed"),
])

QUERY_KIND = vocabulary("query_kind", [
    (QueryKind.RAISE, "Query"),
    (QueryKind.RESPOND, "Reply"),
    (QueryKind.CLOSE, "Closed"),
])


@dataclass(frozen=True)
class QueryMove:
    to: QueryState
    by: Actor
    #: whether the message must say something (closing may be silent)
    needs_text: bool = True


#: (where the query stands, None before it is raised; the message's kind) -> the move
MOVES: dict[tuple[QueryState | None, QueryKind], QueryMove] = {
    (None, QueryKind.RAISE): QueryMove(QueryState.OPEN, Actor.SUPERVISOR),
    (QueryState.OPEN, QueryKind.RESPOND): QueryMove(QueryState.RESPONDED, Actor.INSPECTOR),
    (QueryState.RESPONDED, QueryKind.RESPOND): QueryMove(QueryState.RESPONDED,
                                                         Actor.INSPECTOR),
    (QueryState.OPEN, QueryKind.CLOSE): QueryMove(QueryState.CLOSED, Actor.SUPERVISOR,
                                                  needs_text=False),
    (QueryState.RESPONDED, QueryKind.CLOSE): QueryMove(QueryState.CLOSED, Actor.SUPERVISOR,
                                                       needs_text=False),
}


def state_of(kinds: Iterable[str], state: QueryState | None = None) -> QueryState | None:
    """Where a query that stood at ``state`` (None: not raised) stands after messages of
    these kinds, in order (a message the table has no move for changes nothing)."""
    for kind in kinds:
        move = MOVES.get((state, kind))  # type: ignore[call-overload]
        state = move.to if move is not None else state
    return state


def state_of_any_order(kinds: Iterable[str]) -> QueryState | None:
    """As ``state_of``, for messages whose order is not known (the store's clock may give
    two the same moment): each kind of message only ever follows those before it in
    ``QueryKind``."""
    order = list(QueryKind)
    return state_of(sorted((k for k in kinds if k in order), key=order.index))


def refusal(state: QueryState | None, kind: str, actor: Actor | None) -> str | None:
    """Why someone acting as ``actor`` may not add a message of ``kind`` to a query that
    stands at ``state`` (None: a new query), or None if they may."""
    if kind not in QueryKind.__members__.values():
        return f"'{str(kind)[:40]}' is not part of a query"
    move = MOVES.get((state, QueryKind(kind)))
    if move is None:
        if state is None:
            return "there is no such query to add to"
        if kind == QueryKind.RAISE:
            return "a query is raised once"
        return "the query is closed"
    if actor != move.by:
        return ("only a supervisor raises or closes a query" if move.by == Actor.SUPERVISOR
                else "only an inspector on the team responds to a query")
    return None


def case_refusal(kind: str, case_status: str | None,
                 inspection_status: str | None) -> str | None:
    """Why a message of ``kind`` cannot be added on this case just now, or None: nothing is
    said in a closed inspection, and no query is raised on an approved (locked) case."""
    if inspection_status == InspectionStatus.CLOSED:
        return "the inspection is closed"
    if kind == QueryKind.RAISE and case_status == CaseStatus.APPROVED:
        return "an approved case is locked: queries cannot be raised"
    return None


def move_from(state: QueryState | None, kind: QueryKind) -> QueryMove:
    """The move a message of ``kind`` makes from ``state``, or a WorkflowError saying why
    there is none (who may make it is for the caller to check)."""
    move = MOVES.get((state, kind))
    if move is not None:
        return move
    if state == QueryState.CLOSED:
        raise WorkflowError("The query is already closed.",
                            "Raise a new query if there is more to ask.")
    raise WorkflowError(f"That cannot be done to this query: {refusal(state, kind, None)}.",
                        "Open the case again to see where the query stands.")
