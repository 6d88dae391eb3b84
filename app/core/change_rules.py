"""Who may make which change to the shared records: the rules the central service applies to
every change a laptop sends, in the words the laptop uses for the same rules.

A laptop checks these before it lets a person act (``workflow``); the central service checks
them again for every change it is sent, since whatever a laptop sends may have been made by
something other than this app. Each rule answers with the reason a change is refused, or
None. Pure: the service gives what the store holds (``Standing``) and the change's values.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from app.core import queries
from app.core.answers import AnswerInput, normalise_answer
from app.core.case_events import MARKING_EVENTS
from app.core.frameworks import Question
from app.core.inspection_details import details_problems
from app.core.queries import QueryKind, QueryState
from app.core.rating_decisions import changed_problems, decision_problems
from app.core.second_marking import SecondMarking, may_second_mark
from app.core.workflow import (
    ACTION,
    ASSESSING_ROLES,
    CASE_STATUS,
    CLOSING_ROLES,
    MOVES,
    TEAM_ROLE,
    Actor,
    CaseStatus,
    InspectionStatus,
    actor_for,
    answers_by,
    case_locked,
    note_missing,
    status_after_answer,
)
from app.errors import ValidationError

#: Records written once and never changed (the review history, the audit trail...).
APPEND_ONLY = frozenset({"case_events", "query_messages", "audit_entries", "second_marks",
                         "export_log"})
#: The record's own bookkeeping, stamped by whoever stores it.
STAMPS = frozenset({"id", "rev", "updated_at", "updated_by", "device_id"})
#: What of a case a supervisor changes: where it stands in review, and who inspects it.
ALLOCATION = frozenset({"status", "assignee"})
#: Where a case made on a laptop may stand when it first reaches the store: an inspector
#: may have answered and submitted it offline, but no one else has touched it yet.
FIRST_STATUSES = frozenset({CaseStatus.NOT_STARTED, CaseStatus.IN_PROGRESS,
                            CaseStatus.SUBMITTED})
#: What places a record where it is (its inspection, case, sample, person, question...):
#: fixed once it is made. Moving a record would move it out of the rules that judged it.
PLACING = frozenset({"inspection_id", "case_id", "sample_id", "person", "question_key",
                     "query_id", "framework_id", "other_case_id"})
#: Account roles (at the central service).
ADMIN = "admin"


@dataclass(frozen=True)
class QueryStanding:
    """Where a query stands, and the answer it was raised on (ids as a change gives them)."""

    state: QueryState | None
    case_id: str
    question_key: str


@dataclass(frozen=True)
class Standing:
    """What the store holds that decides a change: the person, their roles, and the
    inspection and case the record belongs to, as they stand before this change."""

    person: str
    account_role: str
    #: the person's role on the record's inspection team (None: not on it)
    team_role: str | None = None
    inspection_status: str | None = None
    #: the case the record is (or belongs to), if any
    case_status: str | None = None
    case_assignee: str | None = None
    #: the inspection was made by this person and has no team yet (they may join it as lead)
    founding: bool = False
    #: the framework is one the service publishes, exactly as it publishes it
    published_framework: bool = False
    #: the team members who may be given cases (lead inspectors and inspectors)
    assessors: frozenset[str] = frozenset()
    #: where second marking of the record's case stands (for second marks)
    second_marking: SecondMarking | None = None
    #: the questions of the inspection's question set, by key (for answers; None: not
    #: checked here)
    questions: Mapping[str, Question] | None = None
    #: the query a query message is added to, as it stands (None: there is no such query)
    query: QueryStanding | None = None
    #: what the inspection's framework rates, by key (for an inspection's recorded ratings;
    #: None: not checked here)
    rated_targets: Mapping[str, str] | None = None
    #: the store's clock (for when a rating was recorded; None: not checked here)
    now: dt.datetime | None = None

    @property
    def admin(self) -> bool:
        return self.account_role == ADMIN


def refusal(entity: str, before: Mapping | None, after: Mapping,
            standing: Standing) -> str | None:
    """Why ``standing.person`` may not make this change (``before``: the record as stored,
    None for a new one; ``after``: its values as sent), or None if they may."""
    if before is not None and entity in APPEND_ONLY:
        return "this record is never changed once written"
    if entity == "frameworks":
        return _framework(before, after, standing)
    if before is not None and (moved := sorted(
            key for key in PLACING if key in before and str(after.get(key)) != str(before[key]))):
        return f"a record stays where it was made (its {', '.join(moved)} cannot change)"
    if entity == "inspections" and (problems := details_problems(after, after.get("id"))
                                    + decision_problems(after.get("rating_decisions"))):
        return "the inspection's details cannot be kept: " + "; ".join(problems)
    if entity == "inspections" and (why := _ratings_recorded(before, after, standing)):
        return why
    if standing.admin:
        return None
    if entity == "export_log" and after.get("inspection_id") is None:
        return None  # a person's own export of no inspection
    if standing.team_role is None and not (entity == "inspections" and before is None) \
            and not (entity == "inspection_members" and standing.founding):
        return "you are not on this inspection's team"
    rule = _RULES.get(entity)
    return None if rule is None else rule(before, after, standing)


def _ratings_recorded(before: Mapping | None, after: Mapping,
                      standing: Standing) -> str | None:
    """Why the inspection's recorded ratings cannot change so: the lead inspector's alone
    (an administrator's too), in their own name, for what the framework rates."""
    was, now = (before or {}).get("rating_decisions") or {}, after.get("rating_decisions") or {}
    if was == now:
        return None
    if standing.team_role != "lead_inspector":
        return "only the lead inspector records the inspection's ratings"
    problems = changed_problems(was, now, standing.person, standing.rated_targets,
                                standing.now)
    return "; ".join(problems) if problems else None


def _framework(before: Mapping | None, after: Mapping, standing: Standing) -> str | None:
    if before is not None:
        if before.get("content_sha256") == after.get("content_sha256"):
            return None  # the same version brought again
        return "a question framework version never changes once published"
    if standing.admin or standing.published_framework:
        return None
    return "only an administrator can publish a question framework"


def _changed(before: Mapping | None, after: Mapping) -> set[str]:
    """The fields a change sets to something other than what is stored (all, if new)."""
    if before is None:
        return {key for key in after if key not in STAMPS}
    return {key for key, value in after.items()
            if key not in STAMPS and key in before and before[key] != value}


def _inspection(before: Mapping | None, after: Mapping, standing: Standing) -> str | None:
    if before is None:
        if standing.account_role not in ("inspector", ADMIN):
            return "only an inspector can set up an inspection"
        return None
    changed = _changed(before, after)
    role = standing.team_role
    if "status" in changed:
        if role not in CLOSING_ROLES:
            return "only the inspection's supervisor or lead inspector can close or reopen it"
        if after.get("status") not in tuple(InspectionStatus):
            return f"'{after.get('status')}' is not a state of an inspection"
    if changed - {"status"} and role != "lead_inspector":
        return "only the lead inspector can change the inspection's details"
    return None


def _member(before: Mapping | None, after: Mapping, standing: Standing) -> str | None:
    if after.get("role") not in TEAM_ROLE:
        return f"'{after.get('role')}' is not a role on an inspection team"
    if standing.team_role == "lead_inspector":
        if before is not None and before.get("person") == standing.person:
            return "nobody changes their own place on the team"
        return None
    if (standing.founding and before is None and after.get("person") == standing.person
            and after.get("role") == "lead_inspector"):
        return None  # the person who set the inspection up, as its lead
    return "only the inspection's lead inspector or an administrator can change its team"


def _case(before: Mapping | None, after: Mapping, standing: Standing) -> str | None:
    role = standing.team_role
    if standing.inspection_status == InspectionStatus.CLOSED:
        return "the inspection is closed"
    assignee = after.get("assignee")
    # allocating a case is giving it to an inspector on the team (a case list imported may
    # name its inspector before they are on the team)
    if before is not None and assignee and assignee != before.get("assignee") \
            and assignee not in standing.assessors:
        return f"{assignee} is not an inspector on the team, to be given the case"
    if before is None:
        if role not in ASSESSING_ROLES:
            return "only an inspector on the team can add cases"
        if after.get("status", CaseStatus.NOT_STARTED) not in FIRST_STATUSES:
            return (f"a case new to the store cannot already be "
                    f"{_label(str(after.get('status')))}")
        return None
    changed = _changed(before, after)
    if changed - {"status"} and (why := case_locked(str(before.get("status")),
                                                     standing.inspection_status)):
        return f"{why}: its details and its inspector cannot change"
    if "status" in changed:
        problem = _status_move(str(before.get("status")), str(after.get("status")), standing)
        if problem:
            return problem
    if changed - ALLOCATION and role not in ASSESSING_ROLES:
        return "a supervisor reviews and allocates cases but does not change their details"
    return None


def _status_move(was: str, now: str, standing: Standing) -> str | None:
    """Why the case cannot go from ``was`` to ``now`` by this person's hand."""
    actor = actor_for(standing.team_role)
    if now == status_after_answer(was) and actor == Actor.INSPECTOR:
        return None  # the first answer starts the form
    moves = [(action, move) for (status, action), move in MOVES.items()
             if status == was and move.to == now]
    if not moves:
        return (f"a case that is {_label(was)} cannot become {_label(now)}")
    if not any(move.by == actor for _action, move in moves):
        who = "a supervisor" if moves[0][1].by == Actor.SUPERVISOR else "the inspector"
        return f"only {who} can make a case {_label(now)}"
    if now == CaseStatus.APPROVED and standing.case_assignee == standing.person:
        return "nobody approves a case of their own"
    return None


def _label(status: str) -> str:
    return CASE_STATUS.label(status).lower() if status in CASE_STATUS else f"'{status}'"


def _answer(before: Mapping | None, after: Mapping, standing: Standing) -> str | None:
    if not answers_by(standing.team_role):
        return "a supervisor reviews answers but does not change them"
    if locked := _locked(standing, "its answers cannot change"):
        return locked
    if standing.questions is not None:
        return _answer_value(after, standing.questions)
    return None


def _answer_value(after: Mapping, questions: Mapping[str, Question]) -> str | None:
    """Why the answer is not one its question takes (by the laptop's own check), or None."""
    key = str(after.get("question_key"))
    question = questions.get(key)
    if question is None:
        return f"the inspection's question set has no question '{key[:120]}'"
    reasons, evidence = after.get("reasons") or [], after.get("evidence") or ""
    if not isinstance(reasons, list) or not all(isinstance(r, str) for r in reasons) \
            or not isinstance(evidence, str):
        return f"the answer to {key} is not one its question takes"
    try:
        normalise_answer(question, AnswerInput(after.get("value"), tuple(reasons), evidence))
    except ValidationError as exc:
        return f"the answer is not one its question takes ({exc.problem})"
    return None


def _case_event(_before: Mapping | None, after: Mapping, standing: Standing) -> str | None:
    action = after.get("action")
    was, now = str(after.get("from_status")), str(after.get("to_status"))
    if action in MARKING_EVENTS:
        if actor_for(standing.team_role) != Actor.SUPERVISOR:
            return "only a supervisor can mark a case for review"
        return None if was == now else "marking a case does not move it"
    move = MOVES.get((was, str(action)))
    if move is None or move.to != now:
        label = ACTION.label(action) if action in ACTION else f"'{action}'"
        return f"'{label}' does not take a case from {_label(was)} to {_label(now)}"
    if standing.case_status != now:
        return (f"the case is {_label(str(standing.case_status))}, not {_label(now)}: the "
                "review history records only moves made")
    if move.by != actor_for(standing.team_role):
        return "the review history records only moves its author may make"
    if now == CaseStatus.APPROVED and standing.case_assignee == standing.person:
        return "nobody approves a case of their own"
    if (missing := note_missing(was, str(action), str(after.get("note") or ""))) is not None:
        return missing[0]  # a return without its comment, an unlock without its reason
    return None


def _query_message(_before: Mapping | None, after: Mapping,
                   standing: Standing) -> str | None:
    kind = str(after.get("kind"))
    if locked := queries.case_refusal(kind, standing.case_status,
                                      standing.inspection_status):
        return locked
    if kind == QueryKind.RAISE and str(after.get("query_id")) != str(after.get("id")):
        return "a query is raised by its own first message"
    if kind == QueryKind.RAISE and standing.questions is not None \
            and str(after.get("question_key")) not in standing.questions:
        return (f"the inspection's question set has no question "
                f"'{str(after.get('question_key'))[:120]}'")
    if standing.query is not None and (standing.query.case_id, standing.query.question_key) \
            != (str(after.get("case_id")), str(after.get("question_key"))):
        return "a reply belongs to the answer its query was raised on"
    return queries.refusal(standing.query.state if standing.query else None, kind,
                           actor_for(standing.team_role))


def _second_mark(_before: Mapping | None, after: Mapping, standing: Standing) -> str | None:
    marking = standing.second_marking or SecondMarking()
    if standing.case_assignee == standing.person and after.get("kind") == "mark":
        return "the inspector of a case does not second mark it"
    if not marking.asked:
        return "the case was not chosen for second marking"
    if after.get("kind") == "mark":
        if not may_second_mark(standing.person, marking):
            return "the case's first marker does not second mark it"
        if marking.finished:
            return "second marking of the case is finished"
        return None
    if actor_for(standing.team_role) != Actor.SUPERVISOR:
        return "only a supervisor records the agreed judgement"
    return None


def _audit_entry(_before: Mapping | None, after: Mapping, standing: Standing) -> str | None:
    if after.get("entity") == "answers" and not answers_by(standing.team_role):
        return "a supervisor does not change answers, so writes no audit of one"
    return None


def _assessing(_before: Mapping | None, _after: Mapping, standing: Standing) -> str | None:
    if standing.team_role not in ASSESSING_ROLES:
        return "only an inspector on the team can change the sample"
    return None


def _answering(_before: Mapping | None, _after: Mapping, standing: Standing) -> str | None:
    if not answers_by(standing.team_role):
        return "a supervisor reviews case forms but does not change them"
    return _locked(standing, "its practice examples cannot change")


def _locked(standing: Standing, so: str) -> str | None:
    """Why the record's case cannot change (``workflow.case_locked``), and ``so``."""
    why = case_locked(str(standing.case_status), standing.inspection_status)
    if why is None or standing.inspection_status == InspectionStatus.CLOSED:
        return why
    return f"{why}: {so}"


_RULES = {
    "inspections": _inspection,
    "inspection_members": _member,
    "cases": _case,
    "answers": _answer,
    "practice_examples": _answering,
    "samples": _assessing,
    "sample_members": _assessing,
    "case_events": _case_event,
    "query_messages": _query_message,
    "second_marks": _second_mark,
    "audit_entries": _audit_entry,
}
