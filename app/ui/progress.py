"""Long work on a worker thread behind a progress dialog with Cancel."""

from __future__ import annotations

import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

from app.ui.errors import show_error
from app.ui.workers import run_job

#: ``work(report, cancelled)``: call ``report(done, total)`` (total 0 if unknown) as it goes,
#: and stop (by raising) when ``cancelled()`` is true.
Work = Callable[[Callable[[int, int], None], Callable[[], bool]], object]


class _Relay(QObject):
    report = Signal(int, int)


def run_with_progress(parent: QWidget, title: str, label: str, work: Work,
                      on_done: Callable[[object], None]) -> None:
    stop = threading.Event()
    dialog = QProgressDialog(label, parent.tr("Cancel"), 0, 0, parent)
    dialog.setWindowTitle(title)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(300)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    dialog.canceled.connect(stop.set)
    relay = _Relay(dialog)

    def show(done: int, total: int) -> None:
        if total:
            dialog.setMaximum(total)
            dialog.setValue(min(done, total))
        else:
            dialog.setLabelText(f"{label} {done:,}")

    relay.report.connect(show)

    def finished(result: object) -> None:
        dialog.close()
        on_done(result)

    def failed(exc: BaseException) -> None:
        dialog.close()
        if not stop.is_set():  # a cancelled job's error is the cancellation itself
            show_error(parent, exc, title)

    jobs = parent.__dict__.setdefault("_progress_jobs", [])
    job = run_job(lambda: work(relay.report.emit, stop.is_set), finished, failed)
    jobs.append(job)
    job.signals.finished.connect(lambda _r: jobs.remove(job))
    job.signals.failed.connect(lambda _e: jobs.remove(job))
