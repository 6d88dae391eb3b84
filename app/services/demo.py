"""A realistic demonstration inspection, so a newcomer sees a working product at once: a
team whose members own the cases, and forms in every state of the review (not started, in
progress, submitted, returned with a comment, approved), with open and answered queries and
some asked for second marking, so every screen and ``aspire ratings`` show something.

The person who runs it is the lead inspector; the rest of the team (``TEAM``) acts through
the same database as themselves. To try their side, open the window as one of them:
``ASPIRE_USER=supervisor.sam aspire``."""

from __future__ import annotations

import datetime as dt
import functools
import random
from collections.abc import Callable
from dataclasses import dataclass

from app.core.answers import AnswerInput
from app.core.demo import demo_answers, demo_cases, demo_examples
from app.core.dto import InspectionSummary, NewInspection
from app.core.profile import Programme
from app.services.case_forms import CaseFormService
from app.services.cases import CaseService
from app.services.frameworks import DEFAULT_FOR
from app.services.inspections import InspectionService
from app.services.moderation import ModerationService
from app.services.practice import PracticeExampleService
from app.services.review import ReviewService

OFFICERS = ("J. Okafor", "R. Patel", "S. Hughes", "M. Evans", "K. Murphy", "D. Campbell")
#: the demonstration's team beside the person running it, by login, with their roles
TEAM = (("inspector.amir", "inspector"), ("inspector.bea", "inspector"),
        ("supervisor.sam", "supervisor"))
SUPERVISOR = "supervisor.sam"
RETURN_COMMENT = ("Please evidence the risk of harm judgement: which record shows the "
                  "assessment was reviewed after the police call-out?")
QUERY = "Which record does this rest on?"
REPLY = "The OASys review of 14 May and the officer's case notes of 16 May."


@dataclass(frozen=True)
class Colleague:
    """A member of the demonstration team acting through the same database."""

    review: ReviewService
    moderation: ModerationService


class DemoService:
    def __init__(self, inspections: InspectionService, cases: CaseService,
                 forms: CaseFormService, practice: PracticeExampleService,
                 colleague: Callable[[str], Colleague] | None = None, user: str = ""):
        self._inspections = inspections
        self._cases = cases
        self._forms = forms
        self._practice = practice
        #: the team's other members, each acting as themselves (None: answers only)
        self._colleague = colleague
        self._user = user

    def create(self, *, cases: int = 30, seed: int = 1,
               programme: str = Programme.ADULT_PROBATION,
               progress: Callable[[int, int], None] | None = None) -> InspectionSummary:
        rng = random.Random(seed)
        youth = programme == Programme.YOUTH_OFFENDING
        inspection = self._inspections.create(NewInspection(
            name=f"Demonstration {'youth' if youth else 'probation'} inspection (seed {seed})",
            programme=programme,
            organisation="Northshire Youth Offending Service" if youth
            else "Northshire NPS division and CRC",
            area="Northshire", framework_key=DEFAULT_FOR[programme],
            start_date=dt.date(2026, 9, 7), end_date=dt.date(2026, 9, 18),
        ))
        me = self._user
        team = [(login, role) for login, role in TEAM if login != me]
        if self._colleague is not None:
            for login, role in team:
                self._inspections.add_member(inspection_id=inspection.id, person=login,
                                             role=role)
        inspectors = (me, *(login for login, role in team if role == "inspector")) \
            if self._colleague is not None else ("Inspector A", "Inspector B", "Inspector C")
        form_framework = None
        complete = []
        for i, case in enumerate(demo_cases(programme, cases, rng, OFFICERS, inspectors)):
            summary = self._cases.add(inspection_id=inspection.id, reference=case.reference,
                                      profile=case.profile)
            if form_framework is None:
                form_framework = self._forms.open(summary.id).framework
            answers = demo_answers(form_framework, case.profile, case.target, rng)
            if answers:
                self._forms.record_answers(case_id=summary.id, answers={
                    key: AnswerInput(value, reasons, evidence)
                    for key, (value, reasons, evidence) in answers.items()})
                for kind, narrative in demo_examples(rng) if rng.random() < 0.3 else ():
                    self._practice.save(case_id=summary.id, kind=kind, narrative=narrative,
                                        cleared_for_publication=rng.random() < 0.5)
            if case.target == "complete" and not self._forms.open(summary.id).case.problems:
                complete.append(summary)
            if progress:
                progress(i + 1, cases)
        if self._colleague is not None and me != SUPERVISOR:
            self._review_some(complete, rng)
        return self._inspections.get(inspection.id)

    def _review_some(self, complete: list, rng: random.Random) -> None:
        """Complete forms through the review, a share in each state: left in progress,
        submitted (some with a query, open or answered), returned with a comment, approved;
        some approved ones asked for second marking."""
        colleague = functools.cache(self._colleague)  # each member made once
        supervisor = colleague(SUPERVISOR)
        approved, queried = [], 0
        for n, case in enumerate(complete):
            # 0: left in progress, 1: submitted, 2: submitted with a query, 3: returned,
            # 4-6: approved (most, so the ratings have forms to count)
            stage = min(n % 7, 4)
            if stage == 0:
                continue
            inspector = colleague(case.profile.assignee)
            inspector.review.submit(case.id)
            if stage == 2:
                key = rng.choice(sorted(self._forms.open(case.id).answers))
                query = supervisor.review.raise_query(case_id=case.id, question_key=key,
                                                      text=QUERY)
                queried += 1
                if queried % 2 == 0:  # every other one answered, the rest still open
                    inspector.review.respond(query, REPLY)
            elif stage == 3:
                supervisor.review.return_case(case.id, RETURN_COMMENT)
            elif stage == 4:
                supervisor.review.approve(case.id, SUPERVISOR)
                approved.append(case.id)
        if approved:
            supervisor.moderation.request(approved[: max(1, len(approved) // 3)])
