"""The analysts' workbook: every case, every answer, the interviews, practice examples and a
summary, written whole or not at all, off the GUI thread when the window asks for it, and
recorded in the export log. A pseudonymised workbook, for sharing beyond the team, shows no
case reference or date of birth (see ``app.core.pseudonyms``)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from app.core import export as x
from app.core.dto import ExportLogRecord, ExportResult
from app.core.export_log import ExportKind
from app.core.faults import written_fault
from app.core.form import Applicability
from app.core.frameworks import QuestionType, Respondent, short_title
from app.core.profile import PROGRAMMES
from app.core.pseudonyms import Pseudonymiser
from app.core.rating_decisions import decisions_from
from app.core.ratings import InspectionRatings, rate_inspection
from app.core.workflow import CASE_STATUS
from app.db import repositories as repo
from app.db.bookkeeping import utcnow
from app.db.engine import Database
from app.errors import ValidationError, WorkflowError
from app.io.excel_workbook import BarChart, Column, ExportError, Sheet, write_workbook
from app.io.parquet_table import write_csv, write_parquet
from app.services.export_log import ExportLog
from app.services.frameworks import FrameworkCatalog
from app.services.inspections import inspection_not_found
from app.services.moderation import hidden_from
from app.services.ratings import RATED, RatingService, check_statuses, chosen_cases

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class TablesResult:
    folder: Path
    files: tuple[Path, ...]
    cases: int
    answers: int


#: the formats tables are written in, and the workbook's sheets each table is
TABLE_FORMATS = ("parquet", "csv")
TABLE_SHEETS = (("Cases", "cases"), ("Answers", "answers"), ("Interview", "interviews"),
                ("Practice examples", "practice_examples"))
#: the columns of a table that are not text
_TABLE_KINDS = {"date_of_birth": "date", "progress": "fraction", "answered_at": "moment",
                "recorded_at": "moment"}
#: what each column of the tables means, where its name does not say it all
_MEANINGS = {
    "reference": "The case reference (a pseudonym in a pseudonymised export).",
    "age_band": "The age band on the inspection's start date, in place of the date of birth.",
    "progress": "The share of the case form's applicable questions answered (0 to 1).",
    "question_key": "The question's stable key (a need area's: the question's key, a dot, "
                    "the area's code); the questions table says what it asks.",
    "answer": "The answer as the form shows it.",
    "answer_code": "The answer as stored: a code, a number, a date (yyyy-mm-dd) or text.",
    "applies": "Whether the question applies to the case (an answer kept to a question that "
               "no longer applies does not count).",
    "answered_at": "When the answer was last changed, in UTC.",
    "recorded_at": "When the example was recorded, in UTC.",
}
#: the columns of the questions table
QUESTION_HEADERS = ("question_key", "number", "question", "type", "section", "stage", "theme",
                    "respondent", "standard", "key_question", "choices")


def question_rows(framework):
    """One row a question (a need area's too), as the questions table gives it."""
    numbers = framework.numbers
    for section in framework.sections:
        for q in section.questions:
            choices = "; ".join(f"{c.code} = {c.label}" for c in (*q.options, *q.rows))
            yield [q.key, numbers[q.key], q.text, str(q.type), section.title,
                   x.STAGE_LABELS.get(q.stage, str(q.stage)), q.theme,
                   str(q.respondent), q.standard, "yes" if q.key_question else "no", choices]


def _dictionary(tables):
    fixed = {"reference", "status", "sample", "inspector", "progress",
             *x.profile_headers(), *x.profile_headers(age_band=True)}
    for name, columns, _rows in tables:
        for column, kind in columns:
            meaning = _MEANINGS.get(column, "")
            if name == "cases" and column not in fixed:
                meaning = (f"The case's answer to {column} (see questions); 'Does not apply' "
                           "where the question does not apply to the case.")
            yield [name, column, meaning + (f" ({kind})" if kind != "text" else "")]


@dataclass(frozen=True)
class WorkbookPlan:
    sheets: list[Sheet]
    charts: list[BarChart]
    cases: int
    answers: int
    total_rows: int
    case_ids: tuple[uuid.UUID, ...] = ()


class ExportService:
    def __init__(self, db: Database, catalog: FrameworkCatalog, ratings: RatingService):
        self._db = db
        self._catalog = catalog
        self._ratings = ratings
        self._log = ExportLog(db)

    def export(self, *, inspection_id: uuid.UUID, path: Path,
               statuses: Sequence[str] | None = None, all_cases: bool = False,
               pseudonymise: bool = False, progress: Progress | None = None,
               cancelled: Callable[[], bool] | None = None,
               provisional_ratings: bool = False) -> ExportResult:
        """Write the inspection's workbook to ``path`` and record it in the export log. By
        default the cases in the current sample (or every case, when no sample has been
        drawn); ``statuses`` narrows them. ``pseudonymise`` replaces case references by
        pseudonyms and dates of birth by age bands. Its ratings count the approved case
        forms, or with ``provisional_ratings`` every case form in it as answered so far."""
        plan = self.prepare(inspection_id=inspection_id, statuses=statuses, all_cases=all_cases,
                            pseudonymise=pseudonymise, provisional_ratings=provisional_ratings)
        total = plan.total_rows
        self._log.note_folder(path)
        written = write_workbook(
            path, plan.sheets, plan.charts, cancelled=cancelled,
            progress=(lambda n: progress(min(n, total), total)) if progress else None)
        entry = self._log.record(kind=ExportKind.WORKBOOK, path=written.path,
                                 sha256=written.sha256, case_ids=plan.case_ids,
                                 inspection_id=inspection_id, pseudonymised=pseudonymise)
        return ExportResult(path=str(written.path), cases=plan.cases, answers=plan.answers,
                            bytes=written.bytes, sha256=written.sha256,
                            pseudonymised=pseudonymise, log_entry=entry.id)

    def export_tables(self, *, inspection_id: uuid.UUID, folder: Path, file_format: str,
                      statuses: Sequence[str] | None = None, all_cases: bool = False,
                      pseudonymise: bool = False) -> TablesResult:
        """Write the inspection's cases, answers, interviews and practice examples as tidy
        tables in ``folder`` (made if need be), each a file in ``file_format`` (parquet or
        csv), with a table of the questions and a data dictionary; the same cases as the
        workbook, pseudonymised the same way if asked. Each file is recorded in the export
        log."""
        if file_format not in TABLE_FORMATS:
            raise ValidationError(f"'{file_format}' is not a format tables are written in.",
                                  f"Choose {' or '.join(TABLE_FORMATS)}.")
        plan = self.prepare(inspection_id=inspection_id, statuses=statuses,
                            all_cases=all_cases, pseudonymise=pseudonymise, tables_only=True)
        with self._db.read() as session:
            framework = self._catalog.from_row(
                repo.get_inspection(session, inspection_id).framework)
        folder = Path(folder)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ExportError(*written_fault("The folder for the tables", folder, exc,
                                             "export again")) from exc
        self._log.note_folder(folder / "cases")
        by_title = {sheet.title: sheet for sheet in plan.sheets}
        tables = [(name, [(c.header, _TABLE_KINDS.get(c.header, "text"))
                          for c in by_title[title].columns], by_title[title].rows)
                  for title, name in TABLE_SHEETS]
        tables.append(("questions", [(h, "text") for h in QUESTION_HEADERS],
                       question_rows(framework)))
        tables.append(("dictionary", [("table", "text"), ("column", "text"),
                                      ("meaning", "text")], _dictionary(tables)))
        notes = {"title": "ASPIRE Casework tables for analysts",
                 "framework": f"{framework.id} {framework.version}",
                 "pseudonymised": "yes" if pseudonymise else "no"}
        written = []
        for name, columns, rows in tables:
            path = folder / f"{name}.{file_format}"
            if file_format == "parquet":
                write_parquet(path, columns, rows, {**notes, "table": name})
            else:
                write_csv(path, columns, rows)
            self._log.record(kind=ExportKind.TABLE, path=path, case_ids=plan.case_ids,
                             inspection_id=inspection_id, pseudonymised=pseudonymise)
            written.append(path)
        return TablesResult(folder=folder, files=tuple(written), cases=plan.cases,
                            answers=plan.answers)

    def remove_leftovers(self) -> int:
        """At start-up: remove the partial files that exports killed part-way left behind
        (see ``ExportLog.remove_leftovers``); returns how many were removed."""
        return self._log.remove_leftovers()

    def log(self, inspection_id: uuid.UUID | None = None) -> list[ExportLogRecord]:
        """The export log (workbooks, PDFs and transfer files), newest first."""
        return self._log.entries(inspection_id)

    def prepare(self, *, inspection_id: uuid.UUID, statuses: Sequence[str] | None = None,
                all_cases: bool = False, pseudonymise: bool = False,
                provisional_ratings: bool = False, tables_only: bool = False) -> WorkbookPlan:
        """The sheets and charts of the workbook, their rows not yet produced;
        ``tables_only``: the sheets the tidy tables are made of (cases, answers, interviews,
        practice examples), without the summary and ratings worked out."""
        check_statuses(statuses)
        with self._db.read() as session:
            inspection_row = repo.get_inspection(session, inspection_id)
            if inspection_row is None:
                raise inspection_not_found(inspection_id)
            framework = self._catalog.from_row(inspection_row.framework)
            inspection = repo.inspection_summary(inspection_row)
            everyone = repo.list_cases(session, inspection_id)
            # the answers of the case forms with the statuses asked for alone
            answers = repo.answer_records_for_inspection(session, inspection_id,
                                                         statuses=statuses)
            examples = repo.practice_examples_for_inspection(session, inspection_id)
            hidden = hidden_from(session, inspection_id, self._db.user)
            decisions = decisions_from(repo.rating_decisions(session, inspection_id))
            officers, others = (repo.people_named(session, inspection_id) if pseudonymise
                                else ((), ()))
        cases = chosen_cases(everyone, statuses, all_cases)
        blind = [c.reference for c in hidden if c.id in {case.id for case in cases}]
        if blind:
            shown = ", ".join(blind[:10]) + (f" and {len(blind) - 10} more"
                                            if len(blind) > 10 else "")
            raise WorkflowError(
                f"You are second marking {shown}: their first marker's answers stay hidden "
                "from you until second marking is finished, so you cannot export them yet.",
                "Finish your second judgements in Moderation, or ask a supervisor for the "
                "workbook.")
        # whether each question applies to each case (what the sheets and tables say of
        # an answer), worked out once for each kind of case
        applies = Applicability(framework, framework.question_keys())
        data = [x.CaseData(c, answers.get(c.id, {}),
                           applies.state(c.profile.as_dict(), answers.get(c.id, {})))
                for c in cases]
        chosen = {c.id for c in cases}
        examples = [e for e in examples if e.case_id in chosen]
        answer_count = sum(len(d.answers) for d in data)
        masker = age_bands = None
        if pseudonymise:  # masked before anything is counted, so no group bears a name
            masker = Pseudonymiser(inspection.id, (c.reference for c in everyone),
                                   inspection.start_date,
                                   {c.id: c.profile.date_of_birth for c in cases},
                                   officers=officers, others=others)
            age_bands = {c.id: masker.age_band(c) for c in cases}
            free_text = {q.key for q in framework.questions() if q.type == QuestionType.TEXT}
            data = [masker.case_data(d, free_text) for d in data]
            decisions = {k: replace(d, by=masker.person(d.by), reason=masker.text(d.reason))
                         for k, d in decisions.items()}
            examples = [masker.example(e) for e in examples]
        if tables_only:
            references = {d.case.id: d.case.reference for d in data}
            return WorkbookPlan(
                sheets=[_cases_sheet(framework, data, age_bands),
                        _answers_sheet("Answers", framework, data, Respondent.INSPECTOR,
                                       local_times=False),
                        _answers_sheet("Interview", framework, data, Respondent.PRACTITIONER,
                                       local_times=False),
                        _examples_sheet(examples, references)],
                charts=[], cases=len(cases), answers=answer_count, total_rows=0,
                case_ids=tuple(c.id for c in cases))
        summary = x.summarise(framework, data)
        # the ratings count what the dashboard and 'aspire ratings' count by default
        counted = data if provisional_ratings else [d for d in data if d.case.status in RATED]
        rated = rate_inspection(framework, counted, self._ratings.rules(),
                                reference_date=inspection.start_date, age_bands=age_bands,
                                decisions=decisions)
        references = {d.case.id: d.case.reference for d in data}
        total = (len(data) * 2 + answer_count + len(examples) + len(summary)
                 + len(rated.questions) + sum(len(b.cells) for b in rated.breakdowns))
        scope = _scope(statuses, all_cases, any(c.sample_status for c in everyone))
        sheets = [
            _about(inspection, framework, cases, scope, self._db.user, masker, rated,
                   provisional_ratings),
            _cases_sheet(framework, data, age_bands),
            _answers_sheet("Answers", framework, data, Respondent.INSPECTOR),
            _answers_sheet("Interview", framework, data, Respondent.PRACTITIONER),
            _examples_sheet(examples, references),
            _summary_sheet(summary),
            _ratings_sheet(rated),
            _chart_sheet(rated),
        ]
        # the key questions only, by short titles, on a sheet of their own (a page to print)
        key_rows = len(rated.questions)
        charts = [BarChart(sheet=CHART_SHEET, title="Key questions: % yes",
                           category_column=2, value_column=3, first_row=2,
                           last_row=1 + key_rows, anchor="F2")] if key_rows else []
        return WorkbookPlan(sheets=sheets, charts=charts, cases=len(cases),
                            answers=answer_count, total_rows=total,
                            case_ids=tuple(c.id for c in cases))


def _scope(statuses, all_cases: bool, sampled: bool) -> str:
    which = ("every case in the inspection" if all_cases or not sampled
             else "the cases in the current sample")
    if statuses:
        which += " with status " + " or ".join(CASE_STATUS.label(s) for s in statuses)
    return which


def _about(inspection, framework, cases, scope: str, user: str,
           masker: Pseudonymiser | None, rated: InspectionRatings,
           provisional: bool) -> Sheet:
    by_status = Counter(c.status for c in cases)
    pseudonymised = (
        f"Yes. Case references are replaced by pseudonyms (a case has the same pseudonym in "
        f"every pseudonymised workbook of this inspection) and dates of birth by age bands "
        f"on {masker.on:%d/%m/%Y}. Responsible officers and the inspection's team are shown "
        "by pseudonyms too (Officer-… and Team-…, the same in every pseudonymised workbook "
        "of this inspection). References, dates of birth and the names of these people "
        "written in answers, evidence and practice examples are replaced as well."
        if masker is not None else
        "No: case references, dates of birth and people's names are shown.")
    rows = [
        ("Inspection", inspection.name),
        ("Organisation", inspection.organisation),
        ("Area", inspection.area),
        ("Programme", PROGRAMMES.label(inspection.programme)),
        ("Start date", inspection.start_date),
        ("End date", inspection.end_date),
        ("Framework", framework.id),
        ("Framework version", framework.version),
        ("Framework title", framework.title),
        ("Exported at", utcnow().astimezone().replace(tzinfo=None)),
        ("Exported by", masker.person(user) if masker is not None else user),
        ("Pseudonymised", pseudonymised),
        ("Cases included", scope),
        ("Number of cases", len(cases)),
        *((f"Cases {CASE_STATUS.label(s).lower()}", by_status[s]) for s in CASE_STATUS.codes()),
        ("Reading the Cases sheet", f"“{x.DOES_NOT_APPLY}”: the question does not apply to "
         "the case. “Not applicable”: the inspector judged it not applicable. Blank: not "
         "answered."),
        ("Reading the Ratings sheet", (
            f"Provisional: the ratings count every case form in this workbook ({rated.cases}) "
            "as answered so far, approved or not, as asked when it was exported. "
            if provisional else
            f"The ratings count the approved case forms in this workbook ({rated.cases} of "
            f"{len(cases)}), as the dashboard and 'aspire ratings' do unless told otherwise. ")
         + "A key question judged in fewer than "
         f"{rated.rules.min_cases} cases is too few to rate and does not rate its standard."),
        ("Overall rating", rated.overall.words),
        ("Ratings recorded", "; ".join(
            f"{s.title}: {s.rating} ({s.decision_words})" for s in rated.standards
            if s.decision) or "None: every standard is rated as the arithmetic gives."),
        ("Rating rules", ("Confirmed by the inspectorate. " if rated.rules.confirmed else
                          "Not confirmed: defaults recalled from published reports. ")
         + rated.rules.note),
        ("Reading the Summary sheet", "% yes = Yes ÷ (Yes + No) among answers to questions "
         "that apply to the case; Not applicable and unanswered are left out. Each group is "
         "the value written on the Cases sheet (a blank cell is “Not recorded”)."),
    ]
    return Sheet("About", (Column("item", width=28), Column("value", width=90, wrap=True)),
                 [list(r) for r in rows], table=False)


def _cases_sheet(framework, data, age_bands: dict | None) -> Sheet:
    columns = x.answer_columns(framework)
    fixed = [Column("reference", width=14)]
    fixed += [Column(h, kind="date" if h == "date_of_birth" else "text")
              for h in x.profile_headers(age_band=age_bands is not None)]
    fixed += [Column("status"), Column("sample"), Column("inspector"),
              Column("progress", kind="percent")]
    answer_cols = [Column(c.key, width=18, kind="date" if c.question.type == "date" else "text",
                          note=c.wording) for c in columns]
    second = [""] * len(fixed) + [c.wording for c in columns]
    return Sheet("Cases", tuple(fixed + answer_cols), x.case_rows(columns, data, age_bands),
                 second_header=second, freeze_columns=1)


def _answers_sheet(title: str, framework, data, respondent: Respondent,
                   local_times: bool = True) -> Sheet:
    """``local_times``: moments in the laptop's time, as a workbook shows them (a table
    keeps them in UTC)."""
    kinds = {"answered_at": "datetime", "question": "wrap", "evidence": "wrap"}
    columns = tuple(Column(h, wrap=kinds.get(h) == "wrap",
                           kind="datetime" if kinds.get(h) == "datetime" else "text")
                    for h in x.ANSWER_HEADERS)
    rows = x.answer_rows(framework, data, respondent)
    return Sheet(title, columns, _local_times(rows) if local_times else rows,
                 freeze_columns=2)


def _examples_sheet(examples, references) -> Sheet:
    headers = ("reference", "kind", "stage", "theme", "heading", "speaker", "narrative",
               "cleared_for_publication", "recorded_by", "recorded_at")
    columns = tuple(Column(h, wrap=h == "narrative",
                           kind="datetime" if h == "recorded_at" else "text") for h in headers)
    return Sheet("Practice examples", columns,
                 _local_times(x.example_rows(examples, references)))


def _summary_sheet(rows: list[x.SummaryRow]) -> Sheet:
    columns = (Column("question_key", width=30), Column("question", wrap=True),
               Column("key_question"), Column("breakdown"), Column("group", width=28),
               Column("yes", kind="number"), Column("applicable_answers", kind="number"),
               Column("percent_yes", kind="percent"))
    return Sheet("Summary", columns, ([r.key, r.question, "Yes" if r.key_question else "No",
                                       r.breakdown, r.group, r.yes, r.applicable, r.percent]
                                      for r in rows))


def _ratings_sheet(rated: InspectionRatings) -> Sheet:
    """Key questions with their standard and rating, then every breakdown; small cells
    flagged (this workbook is for analysts, so nothing is suppressed)."""
    columns = (Column("standard", width=24), Column("standard_rating", width=20),
               Column("question_key", width=28), Column("question", wrap=True),
               Column("breakdown", width=18), Column("group", width=24),
               Column("yes", kind="number"), Column("applicable", kind="number"),
               Column("percent_yes", kind="percent"), Column("interval_95_low", kind="percent"),
               Column("interval_95_high", kind="percent"), Column("band", width=20),
               Column("rates_the_standard"), Column("small_cell"),
               Column("more_no_to_fall_a_band", kind="number"),
               Column("more_yes_to_rise_a_band", kind="number"))
    standard_of = {q.key: s for s in rated.standards for q in s.questions}

    def rows():
        for standard in rated.standards:
            if not standard.questions:  # judged on the evidence, not from key questions
                yield [standard.title, standard.shown_band, "",
                       f"Judged on the evidence: {standard.decision_words}"
                       if standard.decision else standard.unrated_words.capitalize(),
                       x.ALL_CASES, x.ALL_CASES, None, None, None, None, None,
                       standard.shown_band, "", "", None, None]
            for q in standard.questions:
                low, high = q.interval or (None, None)
                yield [standard.title, standard.shown_band, q.key, q.text, x.ALL_CASES,
                       x.ALL_CASES, q.tally.yes, q.tally.total,
                       None if q.tally.share is None else float(q.tally.share), low, high,
                       q.shown_band, "Yes" if q.key == standard.deciding else "No",
                       "Yes" if q.tally.total < rated.rules.small_cell else "No",
                       q.to_fall, q.to_rise]
        for b in rated.breakdowns:
            standard = standard_of[b.question_key]
            for cell in b.cells:
                share = cell.tally.share
                yield [standard.title, "", b.question_key, b.question, b.heading,
                       cell.group or "Not recorded", cell.tally.yes, cell.tally.total,
                       None if share is None else float(share), None, None,
                       (rated.rules.band(share).label if share is not None else ""), "",
                       "Yes" if cell.small else "No", None, None]

    return Sheet("Ratings", columns, rows(), freeze_columns=3)


CHART_SHEET = "Chart"


def _chart_sheet(rated: InspectionRatings) -> Sheet:
    """The key questions that rate the standards, each by a short title, with the share
    answered Yes: what the chart beside them draws."""
    columns = (Column("standard", width=24), Column("key_question", width=40),
               Column("percent_yes", kind="percent"), Column("applicable", kind="number"))
    return Sheet(CHART_SHEET, columns, (
        [standard.title, short_title(q.text),
         None if q.tally.share is None else float(q.tally.share), q.tally.total]
        for standard in rated.standards for q in standard.questions), table=False)


def _local_times(rows):
    """Excel has no time zones: times are written as the laptop's local time."""
    for row in rows:
        yield [v.astimezone().replace(tzinfo=None) if isinstance(v, dt.datetime) and v.tzinfo
               else v for v in row]
