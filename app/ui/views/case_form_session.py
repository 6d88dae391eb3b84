"""One case form open in the window, apart from how it is shown: the form as last read or
saved (an immutable ``CaseForm``, replaced by a new one after each answer, holding the form's
state), its question numbers, whether unanswered questions are flagged yet, and the saving of
answers through the case form service. It holds no widget: the page (``case_form_page``)
shows it and turns what people do into its calls."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from app.core.answers import AnswerInput
from app.core.describe import describe_condition
from app.core.dto import CaseForm, SavedAnswer
from app.core.form import FormProblem, FormState, QuestionStatus

if TYPE_CHECKING:  # the window shows before the storage layer is loaded
    from app.services.case_forms import CaseFormService


class CaseFormSession:
    def __init__(self, forms: CaseFormService):
        self._forms = forms
        #: the form as last read or saved; None until a case is opened
        self.form: CaseForm | None = None
        self.numbers: dict[str, str] = {}
        #: whether unanswered questions are flagged (once the form was checked for errors)
        self.show_missing = False

    @property
    def state(self) -> FormState:
        return self.form.state

    def open(self, case_id: uuid.UUID) -> CaseForm:
        self.form = self._forms.open(case_id)
        self.numbers = self.form.framework.numbers
        self.show_missing = False
        return self.form

    def given(self, key: str) -> AnswerInput:
        """What the form holds for a question, as given (nothing, if unanswered)."""
        record = self.form.answers.get(key)
        return AnswerInput() if record is None else record.given

    def record(self, key: str, given: AnswerInput) -> SavedAnswer:
        """Save one answer (on disk when this returns); the form then holds it. Raises
        what the service raises, the form unchanged."""
        saved = self._forms.record_answer(
            case_id=self.form.case.id, question_key=key, value=given.value,
            reasons=given.reasons, evidence=given.evidence)
        self.form = self.form.with_answer(saved)
        return saved

    def status(self, key: str) -> tuple[QuestionStatus, str]:
        """Where a question stands, and why it does not apply when a condition says so."""
        question = self.form.framework.question(key)
        status = self.state.questions[key]
        why = ""
        if not status.applicable and question.applies_if is not None:
            why = describe_condition(question.applies_if, self.form.framework)
        return status, why

    def check_for_errors(self) -> list[FormProblem]:
        """Every problem of the form; from now on unanswered questions are flagged too."""
        problems = self._forms.check_for_errors(self.form.case.id)
        self.show_missing = True
        return problems

    def next_unanswered(self, after: str | None) -> str | None:
        return self.state.next_unanswered(after)

    def first_question(self, section_key: str) -> str | None:
        questions = self.form.framework.section(section_key).questions
        return questions[0].key if questions else None
