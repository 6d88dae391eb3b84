"""The case review workflow: who may move a case form from one status to the next.

not started → in progress (the first answer) → submitted (the inspector) → returned (a
supervisor, with a summary comment) → resubmitted (the inspector) → approved and locked (a
supervisor, signing off). An approved case is read-only for everyone; a supervisor may
unlock it, giving a reason, which voids the approval and returns it to the inspector.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from app.core.vocab import vocabulary
from app.errors import WorkflowError


class CaseStatus(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    RESUBMITTED = "resubmitted"
    APPROVED = "approved"


CASE_STATUS = vocabulary(
    "case_status",
    [
        (CaseStatus.NOT_STARTED, "Not started"),
        (CaseStatus.IN_PROGRESS, "In progress"),
        (CaseStatus.SUBMITTED, "Submitted"),
        (CaseStatus.RETURNED, "Returned"),
        (CaseStatus.RESUBMITTED, "Resubmitted"),
        (CaseStatus.APPROVED, "Approved (locked)"),
    ],
)

#: States in which the inspector may change answers.
EDITABLE = frozenset({CaseStatus.NOT_STARTED, CaseStatus.IN_PROGRESS, CaseStatus.RETURNED})


def can_edit(status: str) -> bool:
    return status in EDITABLE


def status_after_answer(status: str) -> str:
    """The first answer moves a case from not started to in progress."""
    return CaseStatus.IN_PROGRESS if status == CaseStatus.NOT_STARTED else status


class Action(StrEnum):
    SUBMIT = "submit"
    RETURN = "return"
    APPROVE = "approve"
    UNLOCK = "unlock"
    TAKE_BACK = "take_back"  # the inspector, before a supervisor has acted on it


class Actor(StrEnum):
    """What a person is in the review workflow (from their role on the inspection team)."""

    INSPECTOR = "inspector"
    SUPERVISOR = "supervisor"


ACTION = vocabulary(
    "case_action",
    [
        (Action.SUBMIT, "Submit for review"),
        (Action.RETURN, "Return to the inspector"),
        (Action.APPROVE, "Approve and lock"),
        (Action.UNLOCK, "Unlock"),
        (Action.TAKE_BACK, "Take back from review"),
    ],
)


@dataclass(frozen=True)
class Move:
    to: str
    by: Actor
    needs: str = ""  # what must be given with the move: "comment", "reason" or "sign-off"


#: (status, action) -> the move; anything not listed is refused
MOVES: dict[tuple[str, str], Move] = {
    (CaseStatus.IN_PROGRESS, Action.SUBMIT): Move(CaseStatus.SUBMITTED, Actor.INSPECTOR),
    (CaseStatus.RETURNED, Action.SUBMIT): Move(CaseStatus.RESUBMITTED, Actor.INSPECTOR),
    (CaseStatus.SUBMITTED, Action.RETURN): Move(CaseStatus.RETURNED, Actor.SUPERVISOR,
                                                "comment"),
    (CaseStatus.RESUBMITTED, Action.RETURN): Move(CaseStatus.RETURNED, Actor.SUPERVISOR,
                                                  "comment"),
    (CaseStatus.SUBMITTED, Action.APPROVE): Move(CaseStatus.APPROVED, Actor.SUPERVISOR,
                                                 "sign-off"),
    (CaseStatus.RESUBMITTED, Action.APPROVE): Move(CaseStatus.APPROVED, Actor.SUPERVISOR,
                                                   "sign-off"),
    (CaseStatus.APPROVED, Action.UNLOCK): Move(CaseStatus.RETURNED, Actor.SUPERVISOR,
                                               "reason"),
    # submitted by mistake, or with something to add: back to where it was, while no
    # supervisor has returned or approved it
    (CaseStatus.SUBMITTED, Action.TAKE_BACK): Move(CaseStatus.IN_PROGRESS, Actor.INSPECTOR),
    (CaseStatus.RESUBMITTED, Action.TAKE_BACK): Move(CaseStatus.RETURNED, Actor.INSPECTOR),
}


def actor_for(team_role: str | None) -> Actor | None:
    """Lead inspectors and inspectors submit; supervisors review; others do neither."""
    if team_role in ("lead_inspector", "inspector"):
        return Actor.INSPECTOR
    if team_role == "supervisor":
        return Actor.SUPERVISOR
    return None


def allowed_actions(status: str, actor: Actor | None) -> list[str]:
    """The moves this person may make on a case in this status, in workflow order."""
    return [action for action in Action
            if (move := MOVES.get((status, action))) is not None and move.by == actor]


def note_missing(status: str, action: str, note: str) -> tuple[str, str] | None:
    """Why ``note`` will not do for the move (a return needs a comment, an unlock a
    reason), and what to write; None if it will (or the move needs none)."""
    move = MOVES.get((status, action))
    if move is None or not move.needs or note.strip():
        return None
    return f"'{ACTION.label(action)}' needs a {move.needs}.", _NEEDS[move.needs]


def next_status(status: str, action: str, actor: Actor | None, *, note: str = "",
                unanswered: int = 0, problems: int = 0) -> str:
    """The status after ``action``, or a WorkflowError saying why it cannot be made.

    ``note`` is the comment, reason or sign-off the move needs; ``unanswered`` and
    ``problems`` describe the form (applicable questions without an answer, answers that
    break a rule such as a "No" without its reason) and only matter for a submission."""
    label = ACTION.label(action) if action in ACTION else action
    move = MOVES.get((status, action))
    if move is None:
        raise WorkflowError(
            f"A case that is {CASE_STATUS.label(status).lower()} cannot be given "
            f"'{label}'.",
            _what_next(status))
    if actor != move.by:
        who = "a supervisor" if move.by == Actor.SUPERVISOR else "the inspector"
        raise WorkflowError(f"Only {who} can {label[0].lower() + label[1:]}.",
                            "Ask a member of the inspection team with that role.")
    if (missing := note_missing(status, action, note)) is not None:
        raise WorkflowError(*missing)
    if action == Action.SUBMIT and (unanswered or problems):
        parts = []
        if unanswered:
            parts.append(f"{unanswered} question{'s' if unanswered != 1 else ''} "
                         "still to answer")
        if problems:
            parts.append(f"{problems} answer{'s' if problems != 1 else ''} to put right")
        raise WorkflowError(f"The case form cannot be submitted yet: {' and '.join(parts)}.",
                            "Use Next unanswered (Ctrl+J) and Check for errors (Ctrl+E).")
    return move.to


_NEEDS = {
    "comment": "Write a short summary of what the inspector should look at again.",
    "reason": "Say why the approved case form must be changed; the approval is voided.",
    "sign-off": "Confirm your identity to sign the case form off.",
}


def _what_next(status: str) -> str:
    if status == CaseStatus.NOT_STARTED:
        return "Answer the questions first."
    if status == CaseStatus.APPROVED:
        return "An approved case is locked; a supervisor can unlock it, giving a reason."
    if status in (CaseStatus.SUBMITTED, CaseStatus.RESUBMITTED):
        return "It is waiting for a supervisor to approve or return it."
    return "Finish the case form and submit it for review."


TEAM_ROLE = vocabulary(
    "team_role",
    [
        ("lead_inspector", "Lead inspector"),
        ("inspector", "Inspector"),
        ("supervisor", "Supervisor (quality lead)"),
    ],
)

#: Roles that may be given cases to inspect.
ASSESSING_ROLES = frozenset({"lead_inspector", "inspector"})

SAMPLE_STATUS = vocabulary(
    "sample_status",
    [
        ("in_sample", "In sample"),
        ("reserve", "Reserve"),
        ("withdrawn", "Withdrawn"),
        ("not_selected", "Not selected"),
    ],
)


class InspectionStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


def case_locked(case_status: str, inspection_status: str | None) -> str | None:
    """Why a case form cannot change just now (its answers, its practice examples, and what
    decides them: its details and its inspector), or None while it can: only a case not yet
    submitted, or returned, of an inspection that is not closed, can. In words for the
    laptop's message and the central store's refusal alike."""
    if inspection_status == InspectionStatus.CLOSED:
        return "the inspection is closed"
    if not can_edit(case_status):
        label = CASE_STATUS.label(case_status) if case_status in CASE_STATUS \
            else f"'{case_status}'"
        return f"the case form is {label.lower()}"
    return None


def case_editable(case_status: str, inspection_status: str | None) -> bool:
    """Whether a case form may change (``case_locked``)."""
    return case_locked(case_status, inspection_status) is None


#: Team roles whose members review answers and never change them (the central store refuses
#: their changes to answers too).
REVIEWING_ROLES = frozenset({"supervisor"})


def answers_by(team_role: str | None) -> bool:
    """Whether someone in this team role may give or change answers."""
    return team_role not in REVIEWING_ROLES


def check_can_answer(team_role: str | None) -> None:
    """A WorkflowError if someone in this team role may not change answers."""
    if not answers_by(team_role):
        raise WorkflowError("A supervisor reviews answers but does not change them.",
                            "Raise a query on the answer, or return the case to the "
                            "inspector.")


#: Team roles that may close an inspection (or reopen it). An administrator of the central
#: store joins an inspection as its lead inspector.
CLOSING_ROLES = frozenset({"lead_inspector", "supervisor"})


def check_can_close(team_role: str | None, status: str, *, closing: bool) -> str:
    """The inspection's status after closing it (``closing``) or reopening it, or a
    WorkflowError saying why this person cannot."""
    doing = "close" if closing else "reopen"
    if team_role not in CLOSING_ROLES:
        raise WorkflowError(f"Only the inspection's supervisor or lead inspector can {doing} "
                            "it.", "Ask a member of the inspection team with that role.")
    target = InspectionStatus.CLOSED if closing else InspectionStatus.OPEN
    if status == target:
        raise WorkflowError(f"The inspection is already {target.value}.",
                            "Nothing needs doing.")
    return target.value
