"""A day's work through the real window, in a process of its own.

Starts the app the way ``aspire`` does (``run_window``: the window first, the database opened
behind it), then, as an inspector would, opens case forms one after another and answers their
questions by clicking: Yes mostly, now and then No with a reason ticked and an evidence note
typed. Along the way it opens and closes every dialog of the window. At the end it closes the
window, which ends the app, and writes what it measured (answers, seconds, resident memory and
live Qt objects at points along the way) to ``--report`` as JSON. The exit code is the app's.

    python -m tests.ui.soak_driver --db PATH --answers 3000 --report FILE [--saves FILE]

``--saves`` also writes each save the window made (case number, question, value, reasons,
evidence) as JSON lines, for a benchmark to make the same saves without the window.

The database must not exist yet: it is made here, with the cases, before the window starts.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QAbstractItemModel, QObject, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QLayout, QWidget

from app.bootstrap import open_services
from app.config import Settings
from app.core.demo import demo_cases
from app.core.dto import NewInspection
from app.ui.app import run_window
from app.ui.main_window import MainWindow
from tests.ui.dialog_tour import (
    dialogs_left,
    let_deletions_happen,
    pump,
    visit,
    visit_every_dialog,
)

CASES_PER_DIALOG_ROUND = 1  # a dialog is opened and closed after every case form
WARM = 400  # answers after which memory and object counts should stay flat
EVIDENCE = "Assessment completed after the first home visit."


def make_database(settings: Settings, cases: int) -> None:
    services = open_services(settings, os.environ.get("ASPIRE_DB_PASSPHRASE"))
    try:
        inspection = services.inspections.create(NewInspection(
            name="Northshire probation inspection", programme="adult_probation",
            organisation="Northshire NPS division and CRC", area="Northshire",
            framework_key="adult-probation"))
        for case in demo_cases("adult_probation", cases, random.Random(7),
                               ("D. Campbell", "R. Okafor"), (settings.user,)):
            services.cases.add(inspection_id=inspection.id, reference=case.reference,
                               profile=case.profile)
    finally:
        services.close()


def resident_kib() -> int:
    """This process's resident memory, from the operating system (Linux), else its peak."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
    except OSError:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def live_qt_objects() -> int:
    """Live Qt objects of the kinds the window makes (widgets, layouts, actions, timers,
    item models) under every top-level window and the application. Counted by kind, since
    asking for every child would wrap objects Qt makes and deletes on its own (the gestures
    of scroll areas). Counting wraps Qt's own parts of the form page (its scroll bars,
    viewport, layouts), and those wrappers outlive the page: a handful per count."""
    app = QApplication.instance()
    roots = [app, *(top for top in QApplication.topLevelWidgets() if top.parent() is None)]
    kinds = (QWidget, QLayout, QAction, QTimer, QAbstractItemModel)
    return len(roots) - 1 + sum(len(root.findChildren(kind)) for root in roots
                                for kind in kinds)


class Inspector:
    """Works through case forms in the window until the answers are given."""

    def __init__(self, window: MainWindow, answers: int, case_list: Path):
        self.window = window
        self.target = answers
        self.case_list = case_list
        self.given = 0
        self.samples: list[dict] = []
        self.dialogs: list[str] = []
        self.rng = random.Random(11)
        self.started = 0.0
        self.seconds = 0.0
        self.answering_seconds = 0.0  # in the case forms alone, not the dialogs between
        #: Each save made, when asked for: (case number, question, value, reasons, evidence).
        self.saves: list[tuple] | None = None
        self.case_number = 0

    def work(self) -> None:
        window = self.window
        self.reference_case = window.cases_page.current_case().id
        self.sample("start", count_qt=True)
        self.dialogs += visit_every_dialog(window, self.case_list)
        rounds = _dialog_rounds(window)
        cases = [row.id for row in window._services.cases.list(
            window.cases_page.current_inspection().id)]
        self.started = time.perf_counter()
        for number, case_id in enumerate(cases):
            if self.given >= self.target:
                break
            self.case_number = number
            began = time.perf_counter()
            self.answer_case(case_id)
            self.answering_seconds += time.perf_counter() - began
            window.form_page.back_action.trigger()
            let_deletions_happen()
            if number % CASES_PER_DIALOG_ROUND == 0:
                self.dialogs.append(visit(rounds[number % len(rounds)]))
            if self.given >= 100 and not self._taken("100"):
                self.sample("100")
            elif self.given >= WARM and not self._taken("warm"):
                self.sample("warm", count_qt=True)
            elif number % 10 == 9:
                self.sample(str(self.given))
        self.seconds = time.perf_counter() - self.started
        self.dialogs += visit_every_dialog(window, self.case_list)
        self.sample("end", count_qt=True)
        self.left = dialogs_left(window)

    def answer_case(self, case_id) -> None:
        window = self.window
        window.open_case(case_id)
        page = window.form_page
        for item in page._nav_items():
            if self.given >= self.target:
                return
            page.nav.setCurrentItem(item)
            key = item.data(0, 0x0100)
            for question in page.form.framework.section(key).questions:
                widget = page.question_widget(question.key)
                buttons = getattr(widget.control, "_buttons", None)
                if not widget.isEnabled() or not buttons or "yes" not in buttons:
                    continue
                self.answer(question.key, widget, buttons)

    def answer(self, key: str, widget, buttons) -> None:
        if self.rng.random() < 0.15 and "no" in buttons:
            buttons["no"].click()
            self._count(key, "no")
            reasons: tuple[str, ...] = ()
            if widget.reason_boxes:
                code, box = next(iter(widget.reason_boxes.items()))
                box.click()
                reasons = (code,)
                self._count(key, "no", reasons)
            if widget.evidence is not None:
                widget.evidence.setPlainText(EVIDENCE)
                widget.flush()
                self._count(key, "no", reasons, EVIDENCE)
        else:
            buttons["yes"].click()
            self._count(key, "yes")
        QApplication.processEvents()  # what a person's next click would wait for

    def _count(self, key: str, value: str, reasons: tuple[str, ...] = (),
               evidence: str = "") -> None:
        if self.window.form_page.saved.state == "saved":
            self.given += 1
            if self.saves is not None:
                self.saves.append((self.case_number, key, value, reasons, evidence))

    def _taken(self, at: str) -> bool:
        return any(sample["at"] == at for sample in self.samples)

    def sample(self, at: str, *, count_qt: bool = False) -> None:
        """Measured in the same state each time: the first case form opened and left, so the
        form page holds the same widgets whatever case was worked on last. Qt objects are
        counted only at the start, once warm and at the end, since counting them leaves a
        few Python wrappers behind (see ``live_qobjects``)."""
        self.window.open_case(self.reference_case)
        self.window.form_page.back_action.trigger()
        let_deletions_happen()
        gc.collect()
        sample = {"at": at, "answers": self.given, "rss_kib": resident_kib(),
                  "python_objects": len(gc.get_objects()),
                  "wrappers": sum(1 for o in gc.get_objects() if isinstance(o, QObject))}
        if count_qt:
            sample["qobjects"] = live_qt_objects()
        self.samples.append(sample)


def _dialog_rounds(window: MainWindow) -> list:
    """The dialogs opened one at a time between case forms."""
    return [window.team_action.trigger, window.queue_action.trigger,
            window.moderation_action.trigger, window.store.conflicts_action.trigger,
            window.sample_action.trigger, window.export_action.trigger,
            window.about_action.trigger, window.add_case_action.trigger]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--answers", type=int, default=3000)
    parser.add_argument("--cases", type=int, default=0, help="default: enough for --answers")
    parser.add_argument("--report", type=Path, required=True)
    parser.add_argument("--saves", type=Path, default=None,
                        help="also write each save made, one JSON line each")
    args = parser.parse_args(argv)
    settings = Settings(args.db, os.environ.get("ASPIRE_USER", "inspector.one"))
    make_database(settings, args.cases or max(4, args.answers // 30 + 4))
    case_list = args.db.parent / "more-cases.csv"
    case_list.write_text("CRN,Sex\nZ000001,M\nZ000002,F\n")
    report: dict = {}
    saves_made: list[tuple] = []

    def start() -> None:
        windows = [w for w in QApplication.topLevelWidgets()
                   if isinstance(w, MainWindow) and w.isVisible()]
        if not windows or getattr(windows[0], "cases_page", None) is None:
            QTimer.singleShot(50, start)
            return
        window = windows[0]
        pump(lambda: window.cases_page.current_inspection() is not None, 30)
        inspector = Inspector(window, args.answers, case_list)
        if args.saves is not None:
            inspector.saves = saves_made
        try:
            inspector.work()
            report.update(answers=inspector.given, seconds=inspector.seconds,
                          answering_seconds=inspector.answering_seconds,
                          samples=inspector.samples, dialogs=inspector.dialogs,
                          dialogs_left=inspector.left)
        except Exception as exc:  # the report says what went wrong; the window closes
            report["error"] = repr(exc)
            raise
        finally:
            window.close()

    QTimer.singleShot(0, start)
    passphrase = os.environ.get("ASPIRE_DB_PASSPHRASE")  # as a script gives it: no dialog
    code = run_window(settings, lambda chosen, _none: open_services(chosen, passphrase))
    report["exit_code"] = code
    if args.saves is not None:
        args.saves.write_text("".join(json.dumps(save) + "\n" for save in saves_made))
    args.report.write_text(json.dumps(report, indent=1))
    return code


if __name__ == "__main__":
    sys.exit(main())
