"""Run slow work off the GUI thread; results and errors come back by signal."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

log = logging.getLogger(__name__)


class _Signals(QObject):
    finished = Signal(object)
    failed = Signal(object)


class Job(QRunnable):
    """A function run on the thread pool. Never touch a widget inside ``function``."""

    def __init__(self, function: Callable[[], object]):
        super().__init__()
        self.function = function
        self.signals = _Signals()

    def run(self) -> None:
        try:
            result = self.function()
        except Exception as exc:  # handed to the GUI thread, which shows it
            self.signals.failed.emit(_portable(exc))
            return
        self.signals.finished.emit(result)


def _portable(exc: Exception) -> Exception:
    """The exception without its frames and chained causes, which hold objects of this
    worker thread (database connections among them); the details are kept as text."""
    details = "".join(traceback.format_exception(exc))
    log.info("background work stopped: %s", details)
    exc.details_text = details
    exc.__traceback__ = None
    exc.__cause__ = exc.__context__ = None
    return exc


def run_job(function: Callable[[], object], on_done: Callable[[object], None],
            on_error: Callable[[BaseException], None]) -> Job:
    job = Job(function)
    job.signals.finished.connect(on_done)
    job.signals.failed.connect(on_error)
    QThreadPool.globalInstance().start(job)
    return job
