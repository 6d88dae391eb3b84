"""The window's one task manager: lanes, delivery on the window's thread, nothing kept."""

from __future__ import annotations

import gc
import io
import logging
import sys
import threading
import time
import weakref

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QPushButton, QWidget

from app.errors import Cancelled, ValidationError
from app.ui.errors import operation
from app.ui.tasks import Lane, TaskManager


class Stopped(Cancelled):
    """As an import or export stops when the person presses Cancel."""


class Secret:
    """Stands for what work closes over: services, a password, a case's answers."""

    def __init__(self, text: str):
        self.text = text


@pytest.fixture
def tasks(qtbot):
    manager = TaskManager()
    yield manager
    manager.shutdown()


def wait_idle(qtbot, tasks: TaskManager) -> None:
    qtbot.waitUntil(lambda: not tasks.busy(), timeout=10000)


def test_results_come_back_on_the_windows_thread_without_the_caller_keeping_anything(
        qtbot, tasks):
    seen = []
    tasks.run(lambda: threading.current_thread().name,
              lambda worker: seen.append((worker, threading.current_thread().name)))
    wait_idle(qtbot, tasks)
    assert len(seen) == 1
    worker, delivered_on = seen[0]
    assert worker.startswith("database")
    assert delivered_on == threading.main_thread().name


def test_the_database_lane_runs_one_job_at_a_time_and_the_io_lane_beside_it(qtbot, tasks):
    running, overlaps, io_during_database = [], [], []
    lock = threading.Lock()
    database_busy = threading.Event()

    def database_job():
        with lock:
            running.append(1)
            overlaps.append(len(running))
        database_busy.set()
        time.sleep(0.15)
        with lock:
            running.pop()

    def io_job():
        io_during_database.append(database_busy.wait(5) and bool(running))

    for _ in range(3):
        tasks.run(database_job)
    tasks.run(io_job, lane=Lane.IO)
    wait_idle(qtbot, tasks)
    assert overlaps == [1, 1, 1]
    assert io_during_database == [True]


def test_a_finished_job_keeps_nothing_reachable(qtbot, tasks):
    """No function, nothing it closed over, no result and no error outlives the delivery
    (and no cycle is left for the collector to find later: none is run here)."""
    secret, result, failure = Secret("correct horse"), Secret("answers"), []
    gone = [weakref.ref(secret), weakref.ref(result)]
    delivered = []

    def work(secret=secret, result=result):
        return result if secret.text else None

    tasks.run(work, lambda r: delivered.append(type(r).__name__))
    del work, secret, result

    class Refused(ValidationError):
        pass

    held = Secret("evidence note")
    gone.append(weakref.ref(held))

    def failing(held=held):
        error = Refused(f"refused {held.text}")
        failure.append(weakref.ref(error))
        raise error

    tasks.run(failing, on_error=lambda exc: delivered.append(type(exc).__name__),
              lane=Lane.IO)
    del failing, held

    typed = Secret("typed passphrase")
    gone.append(weakref.ref(typed))

    def with_progress(report, cancelled, held=typed):
        report(1, 2)
        return Secret("workbook")

    owner = QWidget()
    qtbot.addWidget(owner)
    tasks.run_with_progress(owner, "Export", "Writing…", with_progress,
                            lambda r: delivered.append(type(r).__name__))
    del with_progress, typed
    wait_idle(qtbot, tasks)
    qtbot.waitUntil(lambda: len(delivered) == 3)
    assert sorted(delivered) == ["Refused", "Secret", "Secret"]
    assert [ref() for ref in gone] == [None] * len(gone)
    assert failure[0]() is None


def test_an_error_goes_to_its_handler_and_an_unexpected_one_is_logged(qtbot, tasks, caplog):
    errors = []

    def broken():
        raise KeyError("no such thing")

    tasks.run(lambda: (_ for _ in ()).throw(ValidationError("That will not do.")),
              on_error=errors.append)
    with caplog.at_level(logging.ERROR, logger="app.ui.tasks"):
        tasks.run(broken, on_error=errors.append)
        wait_idle(qtbot, tasks)
    assert [type(e).__name__ for e in errors] == ["ValidationError", "KeyError"]
    assert errors[1].__traceback__ is None and "broken" in errors[1].details_text
    assert [r.exc_info[0] for r in caplog.records] == [KeyError]
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="app.ui.tasks"):
        tasks.run(lambda: (_ for _ in ()).throw(Stopped()), on_error=errors.append)
        wait_idle(qtbot, tasks)
    assert type(errors[-1]) is Stopped and caplog.records == []  # a Cancel is no failure


def test_a_caller_that_fails_on_its_result_costs_no_other_job_its_result(qtbot, tasks,
                                                                         monkeypatch):
    """Several jobs report in one go; the first caller meets an error the person must see
    and the second an unexpected one: the third still gets its result, and nothing is left
    waiting."""
    shown = read_and_close_next_message(qtbot)
    unexpected, delivered = [], []
    monkeypatch.setattr("sys.excepthook", lambda *info: unexpected.append(info[0]))
    gate = threading.Event()

    def refuse(_result):
        raise ValidationError("The database is busy.", "Try again in a moment.")

    def break_down(_result):
        raise KeyError("not expected")

    owner = QWidget()
    qtbot.addWidget(owner)
    owner.show()
    tasks.run(lambda: gate.wait(5), refuse, lane=Lane.IO, owner=owner, title="Sync")
    tasks.run(lambda: gate.wait(5), break_down, lane=Lane.IO)
    tasks.run(lambda: gate.wait(5) and "figures", delivered.append)
    gate.set()
    time.sleep(0.3)  # the window's thread busy meanwhile: all three report in one go
    wait_idle(qtbot, tasks)
    qtbot.waitUntil(lambda: bool(shown), timeout=5000)
    assert delivered == ["figures"]
    assert unexpected == [KeyError]
    assert shown == [("Sync", "The database is busy.", "Try again in a moment.")]


def test_work_that_cannot_stop_offers_no_cancel_and_escape_leaves_its_dialog_up(qtbot, tasks):
    owner = QWidget()
    qtbot.addWidget(owner)
    owner.show()
    release, delivered = threading.Event(), []
    tasks.run_with_progress(owner, "Save case form as PDF", "Writing…",
                            lambda report, cancelled: release.wait(10) and "written",
                            delivered.append, cancellable=False)
    qtbot.waitUntil(lambda: _progress_dialogs_shown(owner) == 1, timeout=2000)
    dialog = owner.findChildren(QDialog)[0]
    assert dialog.findChildren(QPushButton) == []
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    dialog.close()
    QApplication.processEvents()
    assert _progress_dialogs_shown(owner) == 1
    release.set()
    wait_idle(qtbot, tasks)
    assert delivered == ["written"] and _progress_dialogs_shown(owner) == 0


def test_without_a_handler_a_user_facing_error_is_shown_over_its_owner(qtbot, tasks):
    owner = QWidget()
    qtbot.addWidget(owner)
    owner.show()
    shown = read_and_close_next_message(qtbot)
    tasks.run(lambda: (_ for _ in ()).throw(ValidationError("The file is not a case list.",
                                                            "Choose the provider's export.")),
              owner=owner, title="Import case list")
    qtbot.waitUntil(lambda: bool(shown), timeout=10000)
    assert shown == [("Import case list", "The file is not a case list.",
                      "Choose the provider's export.")]


def test_nothing_is_delivered_to_a_screen_that_has_gone(qtbot, tasks):
    owner = QWidget()
    release = threading.Event()
    delivered = []
    tasks.run(lambda: release.wait(5), delivered.append, owner=owner)
    owner.deleteLater()
    qtbot.waitUntil(lambda: not _valid(owner))
    release.set()
    wait_idle(qtbot, tasks)
    QApplication.processEvents()
    assert delivered == []


def test_shutdown_waits_for_running_work_asks_it_to_stop_and_starts_no_more(qtbot):
    tasks = TaskManager()
    stopped, delivered = [], []
    started = threading.Event()
    owner = QWidget()
    qtbot.addWidget(owner)

    def long_work(report, cancelled):
        started.set()
        deadline = time.monotonic() + 10
        while not cancelled() and time.monotonic() < deadline:
            time.sleep(0.01)
        stopped.append(cancelled())
        return "done"

    tasks.run_with_progress(owner, "Sync", "Sending…", long_work, delivered.append)
    assert started.wait(5)
    tasks.shutdown()
    assert stopped == [True]  # asked to stop, and over before shutdown returned
    QApplication.processEvents()
    assert delivered == []
    with pytest.raises(RuntimeError):
        tasks.run(lambda: None)


def test_a_progress_dialog_never_comes_back_after_its_work_ended(qtbot, tasks):
    """The work ends before the dialog's own delay, and what follows opens a dialog of its
    own (a nested event loop, as the import's preview does) for longer than that delay."""
    owner = QWidget()
    qtbot.addWidget(owner)
    owner.show()
    seen = []

    def preview(_result):
        follow = QDialog(owner)
        QTimer.singleShot(900, follow.accept)
        for ms in (350, 600, 850):
            QTimer.singleShot(ms, lambda: seen.append(_progress_dialogs_shown(owner)))
        follow.exec()
        follow.deleteLater()

    tasks.run_with_progress(owner, "Import case list", "Reading…",
                            lambda report, cancelled: report(5, 0) or "checked", preview)
    qtbot.waitUntil(lambda: len(seen) == 3, timeout=10000)
    assert seen == [0, 0, 0]


def test_a_cancelled_job_closes_its_dialog_for_good_and_its_error_is_not_shown(qtbot, tasks):
    owner = QWidget()
    qtbot.addWidget(owner)
    owner.show()
    outcome, shown_while_cancelling = [], []
    cancelled_seen = threading.Event()

    def work(report, cancelled):
        for n in range(1000):
            report(n, 1000)
            if cancelled():
                cancelled_seen.set()
                for m in range(50):  # reports that come after the Cancel
                    report(n + m, 1000)
                    time.sleep(0.01)
                raise Stopped()
            time.sleep(0.005)
        return "finished"

    tasks.run_with_progress(owner, "Export", "Writing…", work, outcome.append,
                            on_error=outcome.append)
    qtbot.waitUntil(lambda: _progress_dialogs_shown(owner) == 1, timeout=2000)  # promptly
    dialog = owner.findChildren(QDialog)[0]
    dialog.findChild(QPushButton).click()  # the person presses Cancel
    assert cancelled_seen.wait(5)
    for ms in (100, 300, 600):
        QTimer.singleShot(ms, lambda: shown_while_cancelling.append(
            _progress_dialogs_shown(owner)))
    qtbot.waitUntil(lambda: len(shown_while_cancelling) == 3, timeout=5000)
    wait_idle(qtbot, tasks)
    assert shown_while_cancelling == [0, 0, 0]
    assert outcome == []


def test_operation_shows_a_user_facing_error_and_says_the_action_failed(qtbot):
    owner = QWidget()
    qtbot.addWidget(owner)
    owner.show()
    shown = read_and_close_next_message(qtbot)
    with operation(owner, "Team") as done:
        raise ValidationError("j.smith is already on the team.", "Choose another person.")
    assert done.failed and shown == [("Team", "j.smith is already on the team.",
                                      "Choose another person.")]
    with operation(owner, "Team") as done:
        pass
    assert not done.failed
    with pytest.raises(KeyError), operation(owner, "Team"):
        raise KeyError("unexpected errors go on to the excepthook")


def read_and_close_next_message(qtbot) -> list[tuple[str, str, str]]:
    """What the next message box says (title, text, advice), read while it is open."""
    shown = []

    def look():
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, look)
            return
        shown.append((box.windowTitle(), box.text(), box.informativeText()))
        box.accept()

    QTimer.singleShot(0, look)
    return shown


def _progress_dialogs_shown(owner: QWidget) -> int:
    from PySide6.QtWidgets import QProgressDialog

    return sum(d.isVisible() for d in owner.findChildren(QProgressDialog))


def _valid(widget) -> bool:
    import shiboken6

    return shiboken6.isValid(widget)


def test_an_unexpected_error_in_the_window_keeps_nothing_the_failing_code_held(qtbot,
                                                                              monkeypatch):
    """Logged as types and frames, shown as text; the objects the failing code had in hand
    (a case's evidence, a password) are let go, also from where Python keeps the last error.
    The log goes only to a handler that writes it as the app's log file does (the test run's
    own log capture would keep the record, and the error with it)."""
    from app.logging_setup import FORMAT, CaseSafeFormatter
    from app.ui.errors import install_excepthook

    written = io.StringIO()
    handler = logging.StreamHandler(written)
    handler.setFormatter(CaseSafeFormatter(FORMAT))
    errors_log = logging.getLogger("app.ui.errors")
    monkeypatch.setattr(errors_log, "propagate", False)
    errors_log.addHandler(handler)
    monkeypatch.setattr("sys.excepthook", sys.excepthook)  # put back after the test
    waiting, gone = [], []
    install_excepthook(waiting.append, lambda: None)

    def slot():
        held = Secret("Seen at home; X123456 disclosed a new partner.")
        gone.append(weakref.ref(held))
        raise KeyError(held.text)

    timer = QTimer()
    timer.setSingleShot(True)
    timer.timeout.connect(slot)
    try:
        timer.start(0)
        qtbot.waitUntil(lambda: bool(waiting), timeout=5000)
    finally:
        errors_log.removeHandler(handler)
    gc.collect()
    assert gone[0]() is None
    assert getattr(sys, "last_value", None) is None
    assert len(waiting) == 1  # the message, waiting to be shown on the window's thread
    assert "KeyError" in written.getvalue() and "in slot" in written.getvalue()
    assert "X123456" not in written.getvalue()
