"""A question framework tried out before any inspection uses it: a blank case form for a
case profile the author chooses, answered in memory and never stored.

``FormPreview`` answers the calls the case form page makes of the case form and review
services (open, record an answer, check for errors, where the case stands in review) with
the same rules (``app.core``): answers are checked and normalised as when saved, the form's
state is worked out as for a real case, and nothing reaches the database.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence

from app.core.answers import AnswerInput, AnswerRecord, normalise_answer
from app.core.dto import CaseForm, CaseSummary, ReviewState, SavedAnswer
from app.core.form import FormProblem, evaluate_form
from app.core.frameworks import Framework
from app.core.profile import CaseProfile
from app.core.workflow import CaseStatus, status_after_answer
from app.errors import NotFoundError

#: what the case made up for a preview is called
PREVIEW_REFERENCE = "Preview"


class FormPreview:
    """A blank case form of ``framework`` for a case with ``profile``, held in memory."""

    def __init__(self, framework: Framework, profile: CaseProfile, user: str):
        self.framework = framework
        self.user = user
        self.case_id = uuid.uuid4()
        #: the case the form is for; a new profile applies at the next ``open``
        self.profile = profile
        self._status = CaseStatus.NOT_STARTED.value
        self._answers: dict[str, AnswerRecord] = {}

    # -- as the case form service ------------------------------------------------------
    def open(self, case_id: uuid.UUID) -> CaseForm:
        self._check(case_id)
        state = evaluate_form(self.framework, self.profile.as_dict(), self._answers)
        case = CaseSummary(id=self.case_id, inspection_id=uuid.UUID(int=0),
                           reference=PREVIEW_REFERENCE, profile=self.profile,
                           status=self._status, answered=state.answered_count,
                           applicable=state.applicable_count)
        return CaseForm(case=case, inspection_name=f"Preview of {self.framework.label}",
                        framework=self.framework, answers=self._answers, state=state,
                        editable=True)

    def record_answer(self, *, case_id: uuid.UUID, question_key: str, value: object,
                      reasons: Sequence[str] = (), evidence: str = "") -> SavedAnswer:
        given = AnswerInput(value=value, reasons=tuple(reasons), evidence=evidence)
        return self.record_answers(case_id=case_id, answers={question_key: given})

    def record_answers(self, *, case_id: uuid.UUID,
                       answers: Mapping[str, AnswerInput]) -> SavedAnswer:
        self._check(case_id)
        now = dt.datetime.now(dt.UTC)
        for key, given in answers.items():
            try:
                question = self.framework.question(key)
            except KeyError:
                raise NotFoundError(f"The question '{key}' is not in the framework "
                                    f"{self.framework.label}.") from None
            checked = normalise_answer(question, given)
            previous = self._answers.get(key)
            self._answers[key] = AnswerRecord(
                key, checked.value, checked.reasons, checked.evidence,
                rev=(previous.rev if previous else 0) + 1, answered_by=self.user,
                answered_at=now)
        self._status = status_after_answer(self._status)
        state = evaluate_form(self.framework, self.profile.as_dict(), self._answers)
        return SavedAnswer(record=self._answers[key], state=state, status=self._status,
                           saved_at=now)

    def check_for_errors(self, case_id: uuid.UUID) -> list[FormProblem]:
        return self.open(case_id).state.problems()

    # -- as the review service ---------------------------------------------------------
    def state(self, case_id: uuid.UUID) -> ReviewState:
        """A preview is in nobody's review: no moves, no queries."""
        self._check(case_id)
        return ReviewState(actor=None, actions=())

    def _check(self, case_id: uuid.UUID) -> None:
        if case_id != self.case_id:
            raise NotFoundError("That case form is not the one being previewed.")
