"""A crash leaves a trace, and no case data in it.

Failures carrying case data (a database error over an answer's evidence, an exception quoting
an answer, one ending a thread, one raised in ``__del__``, an export that cannot be recorded)
are logged the way the app logs them; aspire.log then holds their types and frames and none
of the data. A fatal error writes the stacks to crash.log.
"""

from __future__ import annotations

import faulthandler
import io
import logging
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import text

from app.core.export_log import ExportKind
from app.db.bookkeeping import utcnow
from app.db.models import Answer
from app.errors import ValidationError
from app.logging_setup import configure_logging
from app.services.export_log import ExportLog, ExportNotLoggedError
from app.sync.central import central_engine
from tests.integration.helpers import make_case

ROOT = Path(__file__).resolve().parents[2]
THIS_FILE = Path(__file__).name

CASE_REFERENCE = "X123456"
EVIDENCE = f"EVIDENCE-7f3a Mr Jonah Pryce DOB 03/04/1990, CRN {CASE_REFERENCE}"
#: Each part that would give the person or the case away on its own.
PARTS = ("EVIDENCE-7f3a", "7f3a", "Jonah", "Pryce", "03/04/1990", CASE_REFERENCE)

log = logging.getLogger(__name__)


@pytest.fixture
def aspire_log(tmp_path, request) -> Iterator[Path]:
    """aspire.log, with logging configured as the app configures it into a folder of this
    test's; the handlers, levels, hooks and crash trace found before are restored after."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    quietened = {name: logging.getLogger(name).level for name in ("sqlalchemy", "alembic")}
    hooks = threading.excepthook, sys.unraisablehook
    crash_trace_was_on = faulthandler.is_enabled()
    path = configure_logging(tmp_path / "logs")
    assert path is not None
    yield path
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(level)
    for name, name_level in quietened.items():
        logging.getLogger(name).setLevel(name_level)
    threading.excepthook, sys.unraisablehook = hooks
    faulthandler.disable()
    if crash_trace_was_on:
        _crash_trace_back_to_pytest(request.config)


def _crash_trace_back_to_pytest(config) -> None:
    """pytest writes fatal errors to its own copy of stderr (the test's stderr is captured);
    faulthandler cannot say where it wrote before, so that copy is found in pytest's stash."""
    try:
        from _pytest.faulthandler import fault_handler_stderr_fd_key

        faulthandler.enable(config.stash[fault_handler_stderr_fd_key])
    except (ImportError, KeyError):
        faulthandler.enable(sys.__stderr__)


def assert_no_case_data(logged: str) -> None:
    for part in (EVIDENCE, *PARTS):
        assert part not in logged, f"{part!r} is in the log:\n{logged}"


def test_a_database_error_over_evidence_logs_its_types_and_frames_but_no_values(
        aspire_log, mini, db):
    case = make_case(mini, reference=CASE_REFERENCE)
    mini.forms.record_answer(case_id=case.id, question_key="rosh_assessment", value="yes")

    with pytest.raises(sa_exc.IntegrityError) as raised, db.write() as session:
        # a second answer to the same question breaks the one-answer-per-question rule
        session.add(Answer(case_id=case.id, question_key="rosh_assessment", value="no",
                           evidence=EVIDENCE, updated_at=utcnow(), updated_by=db.user,
                           device_id=db.device_id))
        session.flush()
    failure = raised.value
    assert "SQL parameters hidden" in str(failure)
    assert EVIDENCE not in str(failure)

    log.error("background work failed", exc_info=failure)

    logged = aspire_log.read_text(encoding="utf-8")
    assert_no_case_data(logged)
    assert "background work failed" in logged
    assert "sqlalchemy.exc.IntegrityError" in logged
    assert "sqlcipher3.dbapi2.IntegrityError" in logged  # the driver's error it was raised from
    assert f'{THIS_FILE}", line' in logged
    assert "in test_a_database_error_over_evidence_logs_its_types_and_frames" in logged


def test_a_background_job_that_fails_over_evidence_logs_no_values(aspire_log, mini, db,
                                                                   qtbot):
    """The path the window takes: the failure happens in the task manager's database lane
    and is logged there, then handed to the window."""
    from app.ui.tasks import TaskManager

    case = make_case(mini, reference=CASE_REFERENCE)
    mini.forms.record_answer(case_id=case.id, question_key="rosh_assessment", value="yes")

    def save_a_second_answer() -> None:
        with db.write() as session:
            session.add(Answer(case_id=case.id, question_key="rosh_assessment", value="no",
                               evidence=EVIDENCE, updated_at=utcnow(), updated_by=db.user,
                               device_id=db.device_id))

    def read_a_count() -> int:
        # fails with the value in its message: "invalid literal for int() with base 10: …"
        return int(EVIDENCE)

    tasks = TaskManager()
    failures: list[BaseException] = []
    try:
        tasks.run(save_a_second_answer, on_error=failures.append)
        tasks.run(read_a_count, on_error=failures.append)
        qtbot.waitUntil(lambda: len(failures) == 2, timeout=10000)
    finally:
        tasks.shutdown()
    assert [type(f) for f in failures] == [sa_exc.IntegrityError, ValueError]
    logged = aspire_log.read_text(encoding="utf-8")
    assert_no_case_data(logged)
    assert logged.count("background work failed") == 2
    assert "sqlalchemy.exc.IntegrityError" in logged and "ValueError" in logged
    assert "in save_a_second_answer" in logged and "in read_a_count" in logged


def _officer_count(answer: str) -> int:
    return int(answer)


def test_an_exception_quoting_an_answer_is_logged_without_its_message(aspire_log):
    # A handler with logging's own formatter, called first, caches the exception's full
    # text on the record: the log file's formatter must not take it from there.
    plain = io.StringIO()
    plain_handler = logging.StreamHandler(plain)
    root = logging.getLogger()
    root.handlers.insert(0, plain_handler)
    try:
        try:
            _officer_count(EVIDENCE)
        except ValueError as exc:
            raise ValidationError(f"Case {CASE_REFERENCE}: {EVIDENCE} is not a number.",
                                  "Give the number of responsible officers.") from exc
    except ValidationError:
        log.exception("the answer could not be saved")
    finally:
        root.removeHandler(plain_handler)
    assert CASE_REFERENCE in plain.getvalue(), "the message was there to be left out"

    logged = aspire_log.read_text(encoding="utf-8")
    assert_no_case_data(logged)
    assert "the answer could not be saved" in logged
    assert "\nValueError\n" in logged
    assert "The above exception was the direct cause of the following exception" in logged
    assert "\napp.errors.ValidationError" in logged
    assert "in _officer_count" in logged and "return int(answer)" in logged
    assert f'{THIS_FILE}", line' in logged


def _check_evidence_note(note: str) -> None:
    raise LookupError(note)


def test_an_exception_that_ends_a_thread_is_logged_without_its_message(aspire_log):
    thread = threading.Thread(target=_check_evidence_note, args=(EVIDENCE,),
                              name="evidence check")
    thread.start()
    thread.join()

    logged = aspire_log.read_text(encoding="utf-8")
    assert_no_case_data(logged)
    assert "CRITICAL" in logged and "unhandled exception in thread evidence check" in logged
    assert "\nLookupError" in logged
    assert "in _check_evidence_note" in logged


class _ClosesBadly:
    """An object that shows case data in its repr and raises it when it is let go."""

    def __init__(self, note: str):
        self.note = note

    def __repr__(self) -> str:
        return f"<answer {self.note}>"

    def __del__(self):
        raise RuntimeError(self.note)


def test_an_exception_raised_in_del_is_logged_without_its_message_or_object(aspire_log):
    held = _ClosesBadly(EVIDENCE)
    del held  # its __del__ runs now, and Python can only report what it raises

    logged = aspire_log.read_text(encoding="utf-8")
    assert_no_case_data(logged)
    assert "exception ignored in _ClosesBadly.__del__" in logged
    assert "\nRuntimeError" in logged
    assert f'{THIS_FILE}", line' in logged and "in __del__" in logged


def test_an_export_that_cannot_be_recorded_names_no_case_in_the_log(aspire_log, db, tmp_path):
    pdf = tmp_path / f"Case {CASE_REFERENCE}.pdf"  # the name the window suggests
    pdf.write_bytes(b"%PDF-1.7 case form")

    with pytest.raises(ExportNotLoggedError):
        # an inspection this database does not hold: the entry breaks a foreign key
        ExportLog(db).record(kind=ExportKind.PDF, path=pdf, case_ids=[uuid.uuid4()],
                             inspection_id=uuid.uuid4())
    assert not pdf.exists()

    logged = aspire_log.read_text(encoding="utf-8")
    assert_no_case_data(logged)
    assert "a pdf export could not be recorded in the export log; its file was deleted" in logged
    assert "sqlalchemy.exc.IntegrityError" in logged


def test_a_central_store_error_over_an_answer_logs_no_values(aspire_log, central_url):
    engine = central_engine(central_url)
    try:
        with pytest.raises(sa_exc.DataError) as raised, engine.connect() as connection:
            connection.execute(text("SELECT CAST(:officers AS integer)"),
                               {"officers": EVIDENCE})
    finally:
        engine.dispose()
    failure = raised.value
    assert "SQL parameters hidden" in str(failure)
    # PostgreSQL's own message quotes the value it could not read: the exception's text holds
    # case data whatever the engine hides, and only the log's formatter keeps it out
    assert "Pryce" in str(failure)

    log.error("sync failed", exc_info=failure)

    logged = aspire_log.read_text(encoding="utf-8")
    assert_no_case_data(logged)
    assert "sqlalchemy.exc.DataError" in logged
    assert "psycopg.errors.InvalidTextRepresentation" in logged


#: A process that configures logging as the app does, then dies of a fatal error while
#: saving an answer.
FATAL = """
import faulthandler, sys
from pathlib import Path
try:
    import resource
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # no core file from this crash
except ImportError:
    pass
from app.logging_setup import configure_logging

print(configure_logging(Path(sys.argv[1])), flush=True)

def save_answer():
    faulthandler._sigsegv()

save_answer()
"""


def die_of_a_fatal_error(log_dir: Path, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", FATAL, str(log_dir)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_a_fatal_error_writes_the_stacks_to_crash_log_kept_across_runs(tmp_path):
    log_dir = tmp_path / "logs"

    first = die_of_a_fatal_error(log_dir, tmp_path)
    second = die_of_a_fatal_error(log_dir, tmp_path)

    assert first.returncode != 0 and second.returncode != 0
    assert first.stdout.strip() == str(log_dir / "aspire.log")
    crash = (log_dir / "crash.log").read_text(encoding="utf-8")
    assert crash.count("Fatal Python error: Segmentation fault") == 2, crash
    assert crash.count("ASPIRE Casework") == 2 and " started, process " in crash
    assert 'File "<string>", line' in crash and " in save_answer" in crash
    assert "Fatal Python error" not in first.stderr


def test_a_fatal_error_goes_to_stderr_if_the_log_folder_cannot_be_written(tmp_path):
    not_a_folder = tmp_path / "logs"
    not_a_folder.write_text("a file where the log folder should be")

    died = die_of_a_fatal_error(not_a_folder, tmp_path)

    assert died.returncode != 0
    assert died.stdout.strip() == "None"  # configured all the same, without a log file
    assert "Fatal Python error: Segmentation fault" in died.stderr
    assert "in save_answer" in died.stderr
