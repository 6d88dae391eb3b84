"""Run slow work off the GUI thread; results and errors come back by signal."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal


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
            self.signals.failed.emit(exc)
            return
        self.signals.finished.emit(result)


def run_job(function: Callable[[], object], on_done: Callable[[object], None],
            on_error: Callable[[BaseException], None]) -> Job:
    job = Job(function)
    job.signals.finished.connect(on_done)
    job.signals.failed.connect(on_error)
    QThreadPool.globalInstance().start(job)
    return job
