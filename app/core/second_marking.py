"""Second marking: who may second mark a case, when second marking of a case is open, and
who may not read its first marker's answers meanwhile.

A supervisor asks for a case to be second marked (the case event ``second_marking``). Any
one other than its first marker (the inspector the case was given to, and whoever's answers
stand on it) may then judge its key questions blind; a supervisor records the judgement the
two markers agreed on beside both. Second marking of the case is finished once at least one
key question has been second marked and every key question second marked has its agreed
judgement; until then it is open, and a second marker must not see the first answers, or
the second judgement is not blind. Supervisors review the case form whatever happens, and
the first marker reads their own answers.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from app.core.workflow import answers_by
from app.errors import WorkflowError

#: the case event by which a supervisor asks for a case to be second marked
SECOND_MARKING = "second_marking"
#: what a second marker (or the agreed judgement) says of a key question
JUDGEMENTS = ("yes", "no", "not_applicable")


@dataclass(frozen=True)
class SecondMark:
    """One judgement kept beside a case's answer: a second marker's blind one (kind
    ``mark``), or the one the two markers agreed on (kind ``agreed``)."""

    case_id: uuid.UUID
    question_key: str
    kind: str
    value: object
    note: str
    #: who gave it
    marked_by: str


@dataclass(frozen=True)
class SecondMarking:
    """What the store holds about one case's second marking."""

    #: a supervisor has asked for the case to be second marked
    asked: bool = False
    #: the inspector the case was given to and everyone whose answers stand on it
    first_markers: frozenset[str] = frozenset()
    #: key questions a second marker has judged
    marked: frozenset[str] = frozenset()
    #: key questions whose agreed judgement a supervisor has recorded
    agreed: frozenset[str] = frozenset()

    @property
    def finished(self) -> bool:
        """Something was second marked and every key question second marked is agreed."""
        return bool(self.marked) and self.marked <= self.agreed

    @property
    def open(self) -> bool:
        """Asked for and not yet finished."""
        return self.asked and not self.finished


def first_markers(assignee: str | None, answered_by: Iterable[str | None]) -> frozenset[str]:
    """The case's first markers: the inspector it was given to and whoever answered it."""
    return frozenset(p for p in (assignee, *answered_by) if p)


def may_second_mark(person: str, marking: SecondMarking) -> bool:
    """Whether this person is someone other than the case's first marker."""
    return person not in marking.first_markers


def check_can_second_mark(person: str, marking: SecondMarking, reference: str) -> None:
    """A WorkflowError unless this person may give second judgements on the case now."""
    if not marking.asked:
        raise WorkflowError(f"Case {reference} has not been chosen for second marking.",
                            "A supervisor chooses the cases to second mark.")
    if not may_second_mark(person, marking):
        raise WorkflowError("You marked this case first, so you cannot second mark it.",
                            "Another member of the team second marks it, blind.")
    if marking.finished:
        raise WorkflowError(f"Second marking of case {reference} is finished: the agreed "
                            "judgements are recorded.",
                            "Ask a supervisor if the case must be looked at again.")


def first_answers_hidden(person: str, team_role: str | None, marking: SecondMarking) -> bool:
    """Whether the case's first answers must be kept from this person now: second marking
    is open and they may second mark it. Supervisors (who review the form) and the first
    marker always read it."""
    return marking.open and may_second_mark(person, marking) and answers_by(team_role)


def check_can_read_answers(person: str, team_role: str | None,
                           marking: SecondMarking) -> None:
    """A WorkflowError if the case's first answers must be kept from this person now."""
    if first_answers_hidden(person, team_role, marking):
        raise WorkflowError("You are second marking this case: its first marker's answers "
                            "stay hidden until second marking is finished.",
                            "Use Moderation to record your own judgements.")
