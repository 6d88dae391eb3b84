"""A realistic demonstration inspection, so a newcomer sees a working product at once."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from app.core.answers import AnswerInput
from app.core.demo import demo_answers, demo_cases, demo_examples
from app.core.dto import InspectionSummary, NewInspection
from app.core.profile import Programme
from app.services.case_forms import CaseFormService
from app.services.cases import CaseService
from app.services.inspections import InspectionService
from app.services.practice import PracticeExampleService

FRAMEWORK_FOR = {Programme.ADULT_PROBATION: "adult-probation",
                 Programme.YOUTH_OFFENDING: "youth-offending"}
OFFICERS = ("J. Okafor", "R. Patel", "S. Hughes", "M. Evans", "K. Murphy", "D. Campbell")
INSPECTORS = ("Inspector A", "Inspector B", "Inspector C")


class DemoService:
    def __init__(self, inspections: InspectionService, cases: CaseService,
                 forms: CaseFormService, practice: PracticeExampleService):
        self._inspections = inspections
        self._cases = cases
        self._forms = forms
        self._practice = practice

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
            area="Northshire", framework_key=FRAMEWORK_FOR[Programme(programme)],
            start_date=dt.date(2026, 9, 7), end_date=dt.date(2026, 9, 18),
        ))
        form_framework = None
        for i, case in enumerate(demo_cases(programme, cases, rng, OFFICERS, INSPECTORS)):
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
            if progress:
                progress(i + 1, cases)
        return self._inspections.get(inspection.id)
