"""Supervisors' review of case forms: submit, return, approve and lock, unlock; queries on
single answers; dip sampling; and the history of each case (workflow and audit trail).

Who may do what comes from the person's role on the inspection team (``app.core.workflow``)
and is checked here, whatever the window offers. Every move is recorded as a case event,
every query message as its own row: both are append-only and travel through sync.
"""

from __future__ import annotations

import random
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from app.core import queries
from app.core.case_document import case_document
from app.core.case_events import DIP_SAMPLE
from app.core.dto import (
    AuditRecord,
    CaseEventRecord,
    QueryThread,
    ReviewItem,
    ReviewState,
)
from app.core.export import CaseData
from app.core.export_log import ExportKind
from app.core.form import ProblemKind, evaluate_form
from app.core.frameworks import QuestionType
from app.core.pseudonyms import Pseudonymiser
from app.core.queries import QueryKind, QueryState
from app.core.workflow import (
    Action,
    Actor,
    CaseStatus,
    InspectionStatus,
    actor_for,
    allowed_actions,
    next_status,
)
from app.db import repositories as repo
from app.db.bookkeeping import utcnow
from app.db.engine import Database
from app.errors import NotFoundError, ValidationError, WorkflowError
from app.services.case_forms import CaseFormService
from app.services.cases import case_or_error, refuse_if_case_closed, store_progress
from app.services.export_log import ExportLog
from app.services.frameworks import FrameworkCatalog
from app.services.inspections import inspection_not_found

if TYPE_CHECKING:  # a case as the cases service reads it
    from app.db.models import Case

WAITING = (CaseStatus.SUBMITTED, CaseStatus.RESUBMITTED)


class ReviewService:
    def __init__(self, db: Database, catalog: FrameworkCatalog, forms: CaseFormService):
        self._db = db
        self._catalog = catalog
        self._forms = forms
        self._log = ExportLog(db)

    # -- the workflow -----------------------------------------------------------------------
    def actions(self, case_id: uuid.UUID) -> list[str]:
        """The moves the person using the app may make on this case now."""
        with self._db.read() as session:
            case = case_or_error(session, case_id)
            return self._moves(session, case, self._actor(session, case))

    def state(self, case_id: uuid.UUID) -> ReviewState:
        """Everything the case form shows about review, read at once."""
        with self._db.read() as session:
            case = case_or_error(session, case_id)
            actor = self._actor(session, case)
            back = [e for e in repo.case_events(session, case_id)
                    if e.action in (Action.RETURN, Action.UNLOCK)]
            latest = back[-1] if back and case.status == CaseStatus.RETURNED else None
            return ReviewState(
                actor=actor, actions=tuple(self._moves(session, case, actor)),
                returned_by=latest.updated_by if latest else "",
                returned_note=latest.note if latest else "",
                threads=tuple(repo.query_threads(session, case_ids=[case_id])))

    def actor(self, inspection_id: uuid.UUID) -> Actor | None:
        """What the person using the app is on this inspection's team."""
        with self._db.read() as session:
            return actor_for(repo.member_role(session, inspection_id, self._db.user))

    def submit(self, case_id: uuid.UUID) -> str:
        """The inspector sends the finished case form for review."""
        return self._move(case_id, Action.SUBMIT)

    def take_back(self, case_id: uuid.UUID) -> str:
        """The inspector takes a submitted case form back before a supervisor has acted on
        it (submitted by mistake, or with something to add)."""
        return self._move(case_id, Action.TAKE_BACK)

    def return_case(self, case_id: uuid.UUID, comment: str) -> str:
        """A supervisor sends the case form back, with a summary of what to look at."""
        return self._move(case_id, Action.RETURN, comment)

    def approve(self, case_id: uuid.UUID, sign_off: str) -> str:
        """A supervisor approves and locks the case form, signing with their own login."""
        if sign_off.strip().casefold() != self._db.user.casefold():
            raise WorkflowError("The sign-off does not match the person signed in.",
                                f"Type your login, {self._db.user}, to sign the case off.")
        return self._move(case_id, Action.APPROVE, f"Signed off by {self._db.user}")

    def unlock(self, case_id: uuid.UUID, reason: str) -> str:
        """A supervisor reopens an approved case form, voiding the approval."""
        return self._move(case_id, Action.UNLOCK, reason)

    def _move(self, case_id: uuid.UUID, action: Action, note: str = "") -> str:
        with self._db.write() as session:
            case = case_or_error(session, case_id)
            refuse_if_case_closed(session, case)
            unanswered = problems = 0
            if action == Action.SUBMIT:
                state = self._state(session, case)
                found = state.problems()
                unanswered = sum(1 for p in found if p.kind == ProblemKind.UNANSWERED)
                problems = len(found) - unanswered
            before = case.status
            after = next_status(before, action, self._actor(session, case), note=note,
                                unanswered=unanswered, problems=problems)
            repo.set_case_status(session, case.id, after)
            repo.add_case_event(session, case.id, action=action, from_status=before,
                                to_status=after, note=note.strip())
            return after

    # -- queries on single answers -----------------------------------------------------------
    def raise_query(self, *, case_id: uuid.UUID, question_key: str, text: str) -> uuid.UUID:
        """A supervisor asks about one answer; returns the query's id."""
        with self._db.write() as session:
            case = case_or_error(session, case_id)
            refuse_if_case_closed(session, case)
            self._require(session, case, queries.MOVES[None, QueryKind.RAISE].by,
                          "raise a query")
            if locked := queries.case_refusal(QueryKind.RAISE, case.status, None):
                raise WorkflowError(f"{locked[0].upper()}{locked[1:]}.",
                                    "Unlock it first, giving a reason.")
            framework = self._framework(session, case)
            if question_key not in framework.question_keys():
                raise NotFoundError(f"There is no question '{question_key}' on this form.",
                                    "Raise the query from the question itself.")
            return repo.add_query_message(session, case_id=case.id, query_id=None,
                                          question_key=question_key, kind=QueryKind.RAISE,
                                          text=_said(text, "the query"))

    def respond(self, query_id: uuid.UUID, text: str) -> None:
        """The inspector answers a query (and may also change the answer itself)."""
        self._add_to(query_id, QueryKind.RESPOND, text)

    def close_query(self, query_id: uuid.UUID, text: str = "") -> None:
        """A supervisor closes a query once satisfied."""
        self._add_to(query_id, QueryKind.CLOSE, text)

    def _add_to(self, query_id: uuid.UUID, kind: QueryKind, text: str) -> None:
        with self._db.write() as session:
            found = repo.query_threads(session, query_id=query_id)
            if not found:
                raise NotFoundError("That query is not in this database.",
                                    "Sync, then open the case again.")
            thread = found[0]
            case = case_or_error(session, thread.case_id)
            refuse_if_case_closed(session, case)
            move = queries.move_from(queries.state_of(said.kind for said in thread.messages), kind)
            self._require(session, case, move.by, "respond to a query"
                          if kind == QueryKind.RESPOND else "close a query")
            repo.add_query_message(session, case_id=case.id, query_id=query_id,
                                   question_key=thread.question_key, kind=kind,
                                   text=_said(text, "the reply") if move.needs_text
                                   else text.strip())

    def queries(self, case_id: uuid.UUID) -> list[QueryThread]:
        with self._db.read() as session:
            case_or_error(session, case_id)
            return repo.query_threads(session, case_ids=[case_id])

    # -- the supervisor's queue and dip sampling --------------------------------------------
    def queue(self, inspection_id: uuid.UUID | None = None) -> list[ReviewItem]:
        """Case forms waiting for review (submitted or resubmitted), oldest first, in one
        inspection or every inspection in this database."""
        with self._db.read() as session:
            ids = [inspection_id] if inspection_id else [
                s.id for s in repo.list_inspections(session)]
            inspections = [repo.get_inspection(session, i) for i in ids]
            if inspections and inspections[0] is None:
                raise inspection_not_found(inspection_id)
            items = []
            for inspection in inspections:
                cases = [c for c in repo.list_cases(session, inspection.id)
                         if c.status in WAITING]
                marked = repo.cases_with_event(session, inspection.id, DIP_SAMPLE)
                threads = repo.query_threads(session, case_ids=[c.id for c in cases])
                for case in cases:
                    items.append(ReviewItem(
                        case=case, inspection_name=inspection.name,
                        open_queries=sum(1 for t in threads
                                         if t.case_id == case.id
                                         and t.status != QueryState.CLOSED),
                        dip_sample=case.id in marked))
        return sorted(items, key=lambda i: (i.case.updated_at is None, i.case.updated_at))

    def mark_dip_sample(self, *, inspection_id: uuid.UUID, share: float,
                        seed: int | None = None) -> list[uuid.UUID]:
        """A supervisor marks a share of the inspection's cases (not yet marked) for dip
        sampling, drawn at random (from ``seed`` when given, so it can be repeated)."""
        if not 0 < share <= 1:
            raise ValidationError(f"{share:g} is not a share of cases.",
                                  "Give a share between 0 and 1, for example 0.1 for 10%.")
        with self._db.write() as session:
            inspection = repo.get_inspection(session, inspection_id)
            if inspection is None:
                raise inspection_not_found(inspection_id)
            role = repo.member_role(session, inspection_id, self._db.user)
            if actor_for(role) != Actor.SUPERVISOR:
                raise WorkflowError("Only a supervisor can mark cases for dip sampling.",
                                    "Ask a member of the inspection team with that role.")
            marked = repo.cases_with_event(session, inspection_id, DIP_SAMPLE)
            cases = sorted((c for c in repo.list_cases(session, inspection_id)
                            if c.id not in marked and c.sample_status in (None, "in_sample")),
                           key=lambda c: c.reference)
            chosen = random.Random(seed).sample(cases, max(1, round(share * len(cases)))
                                                if cases else 0)
            for case in chosen:
                repo.add_case_event(session, case.id, action=DIP_SAMPLE,
                                    from_status=case.status, to_status=case.status,
                                    note=f"{share:.0%} of cases")
            return [c.id for c in chosen]

    # -- history ----------------------------------------------------------------------------
    def events(self, case_id: uuid.UUID) -> list[CaseEventRecord]:
        with self._db.read() as session:
            case_or_error(session, case_id)
            return [CaseEventRecord(e.action, e.from_status, e.to_status, e.note,
                                    e.updated_by, e.updated_at)
                    for e in repo.case_events(session, case_id)]

    def audit(self, case_id: uuid.UUID, question_key: str | None = None) -> list[AuditRecord]:
        """The case's audit trail (or one question's), oldest first."""
        with self._db.read() as session:
            case_or_error(session, case_id)
            return [AuditRecord(e.entity, e.question_key,
                                {k: tuple(v) for k, v in e.changes.items()},
                                e.updated_by, e.updated_at, e.device_id)
                    for e in repo.audit_entries(session, case_id, question_key)]

    # -- the case form as a document ----------------------------------------------------------
    def export_pdf(self, case_id: uuid.UUID, path: Path, *, pseudonymise: bool = False) -> int:
        """The whole case form as a PDF for reading and filing, recorded in the export log;
        returns its page count. ``pseudonymise`` shows the case's pseudonym and age band
        instead of its reference and date of birth."""
        form = self._forms.open(case_id)
        case, answers, queries, events = (form.case, form.answers, self.queries(case_id),
                                          self.events(case_id))
        age_band = masker = None
        if pseudonymise:
            masker = self._pseudonymiser(form.case)
            free_text = {q.key for q in form.framework.questions()
                         if q.type == QuestionType.TEXT}
            masked = masker.case_data(CaseData(case, answers, form.state), free_text)
            case, answers, age_band = masked.case, masked.answers, masker.age_band(form.case)
            queries = [masker.thread(t) for t in queries]
            events = [masker.event(e, case_id) for e in events]
        document = case_document(
            framework=form.framework, case=case, inspection_name=form.inspection_name,
            answers=answers, state=form.state, queries=queries, events=events,
            produced_by=masker.person(self._db.user) if pseudonymise else self._db.user,
            produced_at=utcnow(), age_band=age_band)
        self._log.note_folder(path)
        from app.io.case_pdf import write_case_pdf  # reportlab: loaded when first needed

        pages = write_case_pdf(document, path)
        self._log.record(kind=ExportKind.PDF, path=path, case_ids=[case_id],
                         inspection_id=form.case.inspection_id, pseudonymised=pseudonymise)
        return pages

    def shown_reference(self, case_id: uuid.UUID, *, pseudonymise: bool = False) -> str:
        """The case's reference as a (pseudonymised) document shows it: for naming files."""
        case = self._forms.open(case_id).case
        return self._pseudonymiser(case).pseudonym(case.reference) if pseudonymise \
            else case.reference

    def _pseudonymiser(self, case) -> Pseudonymiser:
        with self._db.read() as session:
            first_day = repo.get_inspection(session, case.inspection_id).start_date
            references = repo.case_reference_map(session, case.inspection_id).values()
            officers, others = repo.people_named(session, case.inspection_id)
        return Pseudonymiser(case.inspection_id, references, first_day,
                             {case.id: case.profile.date_of_birth},
                             officers=officers, others=others)

    # -- helpers -----------------------------------------------------------------------------
    def _moves(self, session, case: Case, actor: Actor | None) -> list[str]:
        """None while the case's inspection is closed."""
        inspection = repo.get_inspection(session, case.inspection_id)
        if inspection.status == InspectionStatus.CLOSED:
            return []
        return allowed_actions(case.status, actor)

    def _actor(self, session, case: Case) -> Actor | None:
        return actor_for(repo.member_role(session, case.inspection_id, self._db.user))

    def _require(self, session, case: Case, who: Actor, doing: str) -> None:
        if self._actor(session, case) != who:
            role = "a supervisor" if who == Actor.SUPERVISOR else "an inspector"
            raise WorkflowError(f"Only {role} on the inspection team can {doing}.",
                                "Ask a member of the inspection team with that role.")

    def _framework(self, session, case: Case):
        return self._catalog.from_row(repo.get_inspection(session, case.inspection_id).framework)

    def _state(self, session, case: Case):
        answers = repo.answer_records_for_case(session, case.id)
        state = evaluate_form(self._framework(session, case), repo.profile_of(case).as_dict(),
                              answers)
        store_progress(session, case.id, state)
        return state


def _said(text: str, what: str) -> str:
    if not text.strip():
        raise ValidationError(f"Write {what} first.", "It is kept with the case form.")
    return text.strip()
