"""Moderation: a supervisor marks cases for second marking; a second marker judges their key
questions blind (without seeing the first judgements); the app shows how often the two
agree, per key question and per inspector, with Cohen's kappa; the agreed judgement is
recorded beside both. Everything is append-only and travels through sync."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.core.agreement import Agreement, agreement
from app.core.dto import CaseSummary
from app.core.second_marking import (
    JUDGEMENTS,
    SECOND_MARKING,
    SecondMark,
    SecondMarking,
    check_can_read_answers,
    check_can_second_mark,
    first_answers_hidden,
    first_markers,
    may_second_mark,
)
from app.core.workflow import Actor, actor_for
from app.db import repositories as repo
from app.db.engine import Database
from app.errors import NotFoundError, ValidationError, WorkflowError
from app.services.cases import case_or_error
from app.services.frameworks import FrameworkCatalog

if TYPE_CHECKING:  # a case as the cases service reads it
    from app.db.models import Case

@dataclass(frozen=True)
class BlindQuestion:
    key: str
    text: str
    mine: str = ""  # this second marker's own latest judgement, if any (never the first)
    note: str = ""


@dataclass(frozen=True)
class ModerationReport:
    by_question: dict[str, Agreement]
    by_inspector: dict[str, Agreement]
    cases: int  # cases with at least one pair of judgements


class ModerationService:
    def __init__(self, db: Database, catalog: FrameworkCatalog):
        self._db = db
        self._catalog = catalog

    def request(self, case_ids: list[uuid.UUID]) -> int:
        """A supervisor asks for these cases to be second marked; returns how many."""
        with self._db.write() as session:
            for case_id in case_ids:
                case = case_or_error(session, case_id)
                role = repo.member_role(session, case.inspection_id, self._db.user)
                if actor_for(role) != Actor.SUPERVISOR:
                    raise WorkflowError("Only a supervisor can ask for second marking.",
                                        "Ask a member of the inspection team with that role.")
                repo.add_case_event(session, case.id, action=SECOND_MARKING,
                                    from_status=case.status, to_status=case.status)
            return len(case_ids)

    def request_share(self, *, inspection_id: uuid.UUID, share: float,
                      seed: int | None = None) -> int:
        """A supervisor asks for a share of the inspection's answered cases (not yet asked
        for) to be second marked, drawn at random (from ``seed`` when given)."""
        if not 0 < share <= 1:
            raise ValidationError(f"{share:g} is not a share of cases.",
                                  "Give a share between 0 and 1, for example 0.1 for 10%.")
        with self._db.read() as session:
            asked = repo.cases_with_event(session, inspection_id, SECOND_MARKING)
            cases = sorted((c for c in repo.list_cases(session, inspection_id)
                            if c.id not in asked and c.answered
                            and c.sample_status in (None, "in_sample")),
                           key=lambda c: c.reference)
        chosen = random.Random(seed).sample(cases, max(1, round(share * len(cases)))
                                            if cases else 0)
        return self.request([c.id for c in chosen])

    def queue(self, inspection_id: uuid.UUID) -> list[tuple[CaseSummary, int]]:
        """Cases whose second marking is open that this person may second mark, with how
        many key questions they have judged already."""
        with self._db.read() as session:
            cases, marks, markings = _asked_for(session, inspection_id)
            mine = Counter(s.case_id for s in marks
                           if s.kind == "mark" and s.marked_by == self._db.user)
        return [(c, mine[c.id]) for c in sorted(cases, key=lambda c: c.reference)
                if markings[c.id].open and may_second_mark(self._db.user, markings[c.id])]

    def to_agree(self, inspection_id: uuid.UUID) -> list[tuple[CaseSummary, int]]:
        """Cases with key questions second marked whose agreed judgement is still to be
        recorded, with how many (by reference): a supervisor's list."""
        with self._db.read() as session:
            cases, _marks, markings = _asked_for(session, inspection_id)
        return [(c, len(markings[c.id].marked - markings[c.id].agreed))
                for c in sorted(cases, key=lambda c: c.reference)
                if markings[c.id].marked - markings[c.id].agreed]

    def blind_form(self, case_id: uuid.UUID) -> list[BlindQuestion]:
        """The case's key questions, without the first judgements. Refused to whoever made
        them, and for a case nobody asked to be second marked."""
        with self._db.read() as session:
            case = self._case_for_second_marker(session, case_id)
            framework = self._framework(session, case)
            mine = {s.question_key: s for s in repo.second_marks(session, [case_id], "mark")
                    if s.marked_by == self._db.user}
            return [BlindQuestion(q.key, q.text, mine[q.key].value if q.key in mine else "",
                                  mine[q.key].note if q.key in mine else "")
                    for q in framework.questions() if q.key_question and q.type == "yes_no"]

    def second_mark(self, *, case_id: uuid.UUID, question_key: str, value: str,
                    note: str = "") -> None:
        """The second marker's own judgement on one key question."""
        self._record(case_id, question_key, "mark", value, note, second_marker=True)

    def agree(self, *, case_id: uuid.UUID, question_key: str, value: str, note: str) -> None:
        """A supervisor records the judgement the two markers agreed on."""
        if not note.strip():
            raise ValidationError("Say how the judgement was agreed.",
                                  "It is kept beside both markers' judgements.")
        self._record(case_id, question_key, "agreed", value, note, second_marker=False)

    def report(self, inspection_id: uuid.UUID) -> ModerationReport:
        """Agreement between first and second judgements, per key question and per
        inspector (the person who gave the first judgement)."""
        with self._db.read() as session:
            cases = {c.id: c for c in repo.list_cases(session, inspection_id)}
            marks = repo.second_marks(session, list(cases), "mark")
            latest = {(s.case_id, s.question_key): s.value for s in marks}
            answers = repo.answer_records_for_cases(session, list({c for c, _ in latest}))
            firsts = {}
            for case_id, key in latest:
                answer = answers.get(case_id, {}).get(key)
                if answer is not None and answer.value is not None:
                    firsts[(case_id, key)] = (answer.value, answer.answered_by)
        by_question: dict[str, list] = {}
        by_inspector: dict[str, list] = {}
        for (case_id, key), second in latest.items():
            if (case_id, key) not in firsts:
                continue
            first, who = firsts[(case_id, key)]
            by_question.setdefault(key, []).append((first, second))
            by_inspector.setdefault(who, []).append((first, second))
        return ModerationReport(
            {k: agreement(v) for k, v in by_question.items()},
            {k: agreement(v) for k, v in by_inspector.items()},
            len({case_id for case_id, key in latest if (case_id, key) in firsts}))

    def judgements(self, case_id: uuid.UUID) -> dict[str, dict[str, object]]:
        """For each key question second marked: first, second and agreed judgements (the
        latest of each), the agreement's note, and the question's text. Not for a second
        marker while the case's first judgements are kept from them."""
        with self._db.read() as session:
            case = case_or_error(session, case_id)
            role = repo.member_role(session, case.inspection_id, self._db.user)
            check_can_read_answers(self._db.user, role, second_marking(session, case))
            texts = {q.key: q.text for q in self._framework(session, case).questions()}
            answers = repo.answer_records_for_case(session, case_id)
            result: dict[str, dict[str, object]] = {}
            for row in repo.second_marks(session, [case_id]):
                entry = result.setdefault(row.question_key, {
                    "question": texts.get(row.question_key, row.question_key),
                    "first": answers[row.question_key].value
                    if row.question_key in answers else None})
                entry["second" if row.kind == "mark" else "agreed"] = row.value
                if row.kind == "agreed":
                    entry["note"] = row.note
            return result

    # -- helpers -----------------------------------------------------------------------------
    def _record(self, case_id, question_key, kind, value, note, *, second_marker) -> None:
        if value not in JUDGEMENTS:
            raise ValidationError(f"'{value}' is not a judgement.",
                                  f"Give one of {', '.join(JUDGEMENTS)}.")
        with self._db.write() as session:
            if second_marker:
                case = self._case_for_second_marker(session, case_id)
            else:
                case = case_or_error(session, case_id)
                role = repo.member_role(session, case.inspection_id, self._db.user)
                if actor_for(role) != Actor.SUPERVISOR:
                    raise WorkflowError("Only a supervisor can record the agreed judgement.",
                                        "Ask a member of the inspection team with that role.")
            question = next((q for q in self._framework(session, case).questions()
                             if q.key == question_key), None)
            if question is None or not question.key_question or question.type != "yes_no":
                raise NotFoundError(f"'{question_key}' is not a key question of this form.",
                                    "Second marking covers the key questions only.")
            repo.add_second_mark(session, case_id=case.id, question_key=question_key,
                                 kind=kind, value=value, note=note.strip())

    def _case_for_second_marker(self, session, case_id: uuid.UUID) -> Case:
        case = case_or_error(session, case_id)
        check_can_second_mark(self._db.user, second_marking(session, case), case.reference)
        return case

    def _framework(self, session, case: Case):
        return self._catalog.from_row(repo.get_inspection(session, case.inspection_id).framework)


def second_marking(session, case: Case,
                   answered_by: Iterable[str] | None = None) -> SecondMarking:
    """Where the case's second marking stands. ``answered_by``: who gave its answers, when
    the caller has them in hand already."""
    if answered_by is None:
        answered_by = [a.answered_by
                       for a in repo.answer_records_for_case(session, case.id).values()]
    asked = {case.id} if any(e.action == SECOND_MARKING
                             for e in repo.case_events(session, case.id)) else set()
    return _markings({case.id: case.assignee}, asked, repo.second_marks(session, [case.id]),
                     {case.id: answered_by})[case.id]


def hidden_from(session, inspection_id: uuid.UUID, person: str) -> list[CaseSummary]:
    """The inspection's cases whose first answers are kept from ``person`` now, because
    they may second mark them and second marking is open (by reference)."""
    role = repo.member_role(session, inspection_id, person)
    cases, _marks, markings = _asked_for(session, inspection_id)
    return sorted((c for c in cases if first_answers_hidden(person, role, markings[c.id])),
                  key=lambda c: c.reference)


def _asked_for(session, inspection_id: uuid.UUID
               ) -> tuple[list[CaseSummary], list[SecondMark], dict[uuid.UUID, SecondMarking]]:
    """The inspection's cases a supervisor asked to be second marked, their second marks,
    and where second marking stands for each."""
    asked = repo.cases_with_event(session, inspection_id, SECOND_MARKING)
    cases = [c for c in repo.list_cases(session, inspection_id) if c.id in asked]
    marks = repo.second_marks(session, [c.id for c in cases])
    answers = repo.answer_records_for_cases(session, [c.id for c in cases])
    markings = _markings(
        {c.id: c.profile.assignee for c in cases}, asked, marks,
        {c.id: [a.answered_by for a in answers.get(c.id, {}).values()] for c in cases})
    return cases, marks, markings


def _markings(assignees: Mapping[uuid.UUID, str | None], asked: set[uuid.UUID],
              marks: Iterable[SecondMark], answered_by: Mapping[uuid.UUID, Iterable[str]]
              ) -> dict[uuid.UUID, SecondMarking]:
    """Where second marking stands for each case, from what the store holds."""
    judged: dict[tuple[uuid.UUID, str], set[str]] = {}
    for mark in marks:
        judged.setdefault((mark.case_id, mark.kind), set()).add(mark.question_key)
    return {case_id: SecondMarking(
        asked=case_id in asked,
        first_markers=first_markers(assignee, answered_by.get(case_id, ())),
        marked=frozenset(judged.get((case_id, "mark"), ())),
        agreed=frozenset(judged.get((case_id, "agreed"), ())))
        for case_id, assignee in assignees.items()}
