"""Background work for the window, in one place.

The main window owns one ``TaskManager``. Work runs in one of two lanes: ``DATABASE`` runs one
job at a time (opening the database, checks, backups, the dashboard's figures), ``IO`` runs
network and file work (sync, exports, reading case lists, checking a passphrase). Results,
errors and progress come back on the window's thread through the manager's one long-lived
relay, so a caller never has to keep a job alive and never touches a widget from a worker.

Once a job has reported, nothing of it stays reachable from the manager: its function (and
whatever that closes over: services, passwords), its result and its error are let go, so a
finished export or sync leaves no case data in memory behind it.
"""

from __future__ import annotations

import enum
import logging
import sys
import threading
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import shiboken6
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

from app.errors import Cancelled, UserFacingError
from app.ui.errors import operation, show_error

log = logging.getLogger(__name__)

#: ``work(report, cancelled)`` for work with progress: call ``report(done, total)`` (total 0
#: if unknown) as it goes, and stop (by raising) once ``cancelled()`` is true.
Work = Callable[[Callable[[int, int], None], Callable[[], bool]], object]


class Lane(enum.Enum):
    DATABASE = "database"  # one at a time: the local database has one writer
    IO = "io"  # network, files and key checks, beside the database lane


class _Job:
    """One piece of work on its way through a lane; emptied as soon as it has reported."""

    __slots__ = ("cancel", "latest", "on_done", "on_error", "owner", "progress", "title",
                 "work")

    def __init__(self, work, on_done, on_error, owner, title):
        self.work = work
        self.on_done = on_done
        self.on_error = on_error
        self.owner = owner
        self.title = title
        self.cancel = threading.Event()
        self.progress: Callable[[int, int], None] | None = None
        self.latest: tuple[int, int] | None = None

    def let_go(self) -> None:
        self.work = self.on_done = self.on_error = self.owner = self.progress = None


class TaskManager(QObject):
    """Runs work off the window's thread and hands what it gives back to the window's thread."""

    _pending = Signal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._lanes = {
            Lane.DATABASE: ThreadPoolExecutor(max_workers=1, thread_name_prefix="database"),
            Lane.IO: ThreadPoolExecutor(max_workers=2, thread_name_prefix="io"),
        }
        self._lock = threading.Lock()
        self._closures: list[Callable[[], None]] = []
        self._jobs: set[_Job] = set()
        self._closed = False
        self._pending.connect(self._run_pending, Qt.ConnectionType.QueuedConnection)

    # -- the relay ----------------------------------------------------------------------
    def run_on_main(self, closure: Callable[[], None]) -> None:
        """Run ``closure`` on the window's thread, soon; safe to call from any thread."""
        with self._lock:
            self._closures.append(closure)
        self._pending.emit()

    def _run_pending(self) -> None:
        with self._lock:
            closures, self._closures = self._closures, []
        for closure in closures:
            try:
                closure()
            except Exception:  # one failing caller must not cost the others their results
                sys.excepthook(*sys.exc_info())
        del closures

    # -- running work -------------------------------------------------------------------
    def run(self, work: Callable[[], object], on_done: Callable[[object], None] | None = None,
            *, lane: Lane = Lane.DATABASE, owner: QWidget | None = None, title: str = "",
            on_error: Callable[[BaseException], None] | None = None) -> None:
        """Run ``work()`` in ``lane``; then ``on_done(result)`` on the window's thread.

        A failure goes to ``on_error``, or is shown over ``owner`` under ``title``, the
        standard way. If ``owner`` has been deleted by then, neither is called.
        """
        self._start(_Job(work, on_done, on_error, owner, title), lane)

    def run_with_progress(self, owner: QWidget, title: str, label: str, work: Work,
                          on_done: Callable[[object], None],
                          on_error: Callable[[BaseException], None] | None = None,
                          *, lane: Lane = Lane.IO, cancellable: bool = True) -> None:
        """Run ``work`` behind a progress dialog over ``owner``, with Cancel if the work
        is ``cancellable`` (it reads ``cancelled()``).

        The dialog appears only if the work takes longer than a moment, and is gone for
        good once the work has ended or been cancelled. Work that ends anyway (cancelled
        too late) is reported as done, since it was; a ``Cancelled`` error is not shown.
        """
        self._refuse_if_closed()
        dialog = _ProgressDialog(owner, title, label, cancellable=cancellable)
        job = _Job(None, None, None, owner, title)
        if cancellable:
            dialog.canceled.connect(job.cancel.set)
        job.progress = dialog.show_progress
        job.work = lambda: work(lambda done, total: self._report(job, done, total),
                                job.cancel.is_set)

        def finished(result: object) -> None:
            dialog.dismiss()
            on_done(result)

        def failed(exc: BaseException) -> None:
            dialog.dismiss()
            if isinstance(exc, Cancelled):
                return
            if on_error is not None:
                on_error(exc)
            else:
                show_error(owner, exc, title)

        job.on_done, job.on_error = finished, failed
        self._start(job, lane)

    def _refuse_if_closed(self) -> None:
        if self._closed:
            raise RuntimeError("the window is closing: no new work is started")

    def _start(self, job: _Job, lane: Lane) -> None:
        with self._lock:
            self._refuse_if_closed()
            self._jobs.add(job)
        self._lanes[lane].submit(self._execute, job)

    def _execute(self, job: _Job) -> None:
        """On a worker: run the job and send its outcome to the window's thread."""
        work, job.work = job.work, None  # what the work closes over goes with it
        try:
            result = work()
        except Exception as exc:
            del work
            error = _portable(exc)
            self.run_on_main(lambda: self._finish(job, None, error))
        else:
            del work
            self.run_on_main(lambda: self._finish(job, result, None))

    def _finish(self, job: _Job, result: object, error: BaseException | None) -> None:
        with self._lock:
            self._jobs.discard(job)
            closed = self._closed
        on_done, on_error, owner, title = job.on_done, job.on_error, job.owner, job.title
        job.let_go()
        if closed or (owner is not None and not shiboken6.isValid(owner)):
            return  # the window is closing, or the screen that asked has gone
        # What the caller does with the outcome is one user action too: an error it meets
        # is shown the standard way, not as unexpected.
        with operation(owner, title):
            if error is None:
                if on_done is not None:
                    on_done(result)
            elif on_error is not None:
                on_error(error)
            else:
                show_error(owner, error, title)

    def _report(self, job: _Job, done: int, total: int) -> None:
        """From a worker: the latest progress, shown once the window's thread gets to it
        (reports that arrive meanwhile replace each other rather than queue up)."""
        with self._lock:
            on_its_way = job.latest is not None
            job.latest = (done, total)
        if not on_its_way:
            self.run_on_main(lambda: self._show_progress(job))

    def _show_progress(self, job: _Job) -> None:
        with self._lock:
            latest, job.latest = job.latest, None
        if latest is not None and job.progress is not None:
            job.progress(*latest)

    # -- ending -------------------------------------------------------------------------
    def busy(self) -> bool:
        """Whether any job is waiting, running or not yet reported."""
        with self._lock:
            return bool(self._jobs)

    def shutdown(self) -> None:
        """Ask every job to stop, wait for those running, and start no more (the window is
        closing: the database must not be closed under a running job)."""
        with self._lock:
            self._closed = True
            jobs = list(self._jobs)
        for job in jobs:
            job.cancel.set()
        for executor in self._lanes.values():
            executor.shutdown(wait=True, cancel_futures=True)
        with self._lock:
            self._closures.clear()
            self._jobs.clear()
        for job in jobs:
            job.let_go()


class _ProgressDialog(QProgressDialog):
    """A progress dialog that can only be dismissed once and never comes back after."""

    def __init__(self, owner: QWidget, title: str, label: str, *, cancellable: bool = True):
        super().__init__(label, owner.tr("Cancel"), 0, 0, owner)
        self._label = label
        self._over = False
        self._cancellable = cancellable
        if not cancellable:
            self.setCancelButton(None)
        self.setWindowTitle(title)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setAutoClose(False)
        self.setAutoReset(False)
        self.setMinimumDuration(300)
        # Qt restarts the timer that shows the dialog only from the range's start; left
        # before it, the timer keeps its default 4 s, so slow work would show nothing
        self.setValue(0)

    def reject(self) -> None:
        if self._cancellable:  # Escape cancels only work that can stop
            super().reject()

    def closeEvent(self, event) -> None:
        if self._cancellable:
            super().closeEvent(event)
        else:
            event.ignore()

    def show_progress(self, done: int, total: int) -> None:
        if self._over or self.wasCanceled():
            return
        if total:
            self.setMaximum(total)
            self.setValue(min(done, total))
        else:
            self.setLabelText(f"{self._label} {done:,}")

    def dismiss(self) -> bool:
        """Hide for good and delete; whether the person had cancelled. (Closing a progress
        dialog emits ``canceled`` itself, so that is read first and the dialog is hidden,
        not closed; ``reset`` stops the timer that would otherwise show it again.)"""
        cancelled = self.wasCanceled()
        self._over = True
        self.canceled.disconnect()
        self.reset()
        self.hide()
        self.deleteLater()
        return cancelled


def _portable(exc: Exception) -> Exception:
    """The exception without its frames and chained causes, which hold objects of the
    worker's thread (database connections among them); the details are kept as text for
    the window's "details" and an unexpected error is logged first, frames and all."""
    if not isinstance(exc, UserFacingError | Cancelled):
        log.error("background work failed", exc_info=exc)
    exc.details_text = "".join(traceback.format_exception(exc))
    exc.__traceback__ = None
    exc.__cause__ = exc.__context__ = None
    return exc
