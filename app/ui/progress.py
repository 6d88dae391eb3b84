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
                      on_done: Callable[[object], None],
                      on_error: Callable[[BaseException], None] | None = None) -> None:
    stop = threading.Event()
    dialog = QProgressDialog(label, parent.tr("Cancel"), 0, 0, parent)
    dialog.setWindowTitle(title)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(300)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    dialog.canceled.connect(lambda: stop.set())
    relay = _Relay(dialog)

    def show(done: int, total: int) -> None:
        if total:
            dialog.setMaximum(total)
            dialog.setValue(min(done, total))
        else:
            dialog.setLabelText(f"{label} {done:,}")

    relay.report.connect(show)

    def close() -> bool:
        """Close the dialog; whether the inspector had cancelled. (Closing a progress
        dialog emits ``canceled`` itself, so that is read first.)"""
        cancelled = stop.is_set()
        dialog.canceled.disconnect()
        dialog.close()
        dialog.deleteLater()  # its show timer must not bring it back
        return cancelled

    def finished(result: object) -> None:
        close()
        on_done(result)

    def failed(exc: BaseException) -> None:
        if close():  # a cancelled job's error is the cancellation itself
            return
        if on_error is not None:
            on_error(exc)
        else:
            show_error(parent, exc, title)

    jobs = parent.__dict__.setdefault("_progress_jobs", [])
    job = run_job(lambda: work(relay.report.emit, stop.is_set), finished, failed)
    jobs.append(job)
    job.signals.finished.connect(lambda _r: jobs.remove(job))
    job.signals.failed.connect(lambda _e: jobs.remove(job))
