"""Opening an 80-question case form: from the inspector's Enter to the form on screen.

The framework is the shipped adult probation framework with a further section of yes/no
judgements appended, to make exactly 80 questions, and the case has about two thirds of
its questions answered (a form in progress). Three figures, each over repeated opens:
the service call alone (read the case, its answers and the pinned framework; work out
applicability), the form shown (the service call plus building and painting the section
navigator and the first section), and every section built (the cost if the inspector then
visits every section). Architecture budget: opening a case form (80 questions) < 100 ms.

Run from the repository root: ``python benchmarks/bench_open_form.py [--opens N]``.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from _database import open_services  # noqa: E402
from _frameworks import QUESTIONS, eighty_question_framework  # noqa: E402
from _timing import print_table, summary, time_each  # noqa: E402

from app.core.answers import AnswerInput  # noqa: E402
from app.core.demo import demo_answers  # noqa: E402
from app.core.dto import NewInspection  # noqa: E402
from app.core.profile import CaseProfile  # noqa: E402

BUDGET_MS = 100.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opens", type=int, default=50)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="open-form-"))
    (folder / "frameworks").mkdir()
    eighty_question_framework(folder / "frameworks")
    services = open_services(folder / "bench.db", folder / "frameworks")
    inspection = services.inspections.create(NewInspection(
        name="Benchmark", programme="adult_probation", organisation="Northshire",
        framework_key="adult-probation-80"))
    case = services.cases.add(inspection_id=inspection.id, reference="X000001",
                              profile=CaseProfile(provider="crc", phase="licence",
                                                  gender="female", sentence_type="licence"))
    framework = services.forms.open(case.id).framework
    assert len(framework.question_keys()) == QUESTIONS
    answers = demo_answers(framework, services.cases.get(case.id).profile, "complete",
                           random.Random(5))
    kept = dict(list(answers.items())[: len(answers) * 2 // 3])
    services.forms.record_answers(case_id=case.id, answers={
        k: AnswerInput(*v) for k, v in kept.items()})

    from PySide6.QtCore import QEvent

    from app.ui.app import make_application
    from app.ui.views.case_form_page import CaseFormPage

    app = make_application()
    page = CaseFormPage(services)
    page.resize(1280, 800)
    page.show()

    def show_form(_i: int) -> None:
        page.load(case.id)
        app.processEvents()

    def build_every_section(_i: int) -> None:
        page.load(case.id)
        for section in framework.sections:
            page._page(section.key)
        app.processEvents()

    def idle() -> None:
        """The event loop between two opens: the previous form's pages are deleted."""
        app.sendPostedEvents(None, QEvent.Type.DeferredDelete)

    show_form(0)  # first open parses the framework once; later opens use the cache
    service = summary(time_each(lambda _i: services.forms.open(case.id), args.opens))
    shown = summary(time_each(show_form, args.opens, between=idle))
    every = summary(time_each(build_every_section, max(5, args.opens // 5), between=idle))
    state = services.forms.open(case.id).state
    print(f"Opening a case form: {QUESTIONS} questions, {state.answered_count} of "
          f"{state.applicable_count} applicable answered; {args.opens} opens")
    print_table(["", "p50 ms", "p99 ms", "max ms"], [
        ["Service: read case, answers, applicability", service["p50"], service["p99"],
         service["max"]],
        ["Form shown (navigator + first section)", shown["p50"], shown["p99"], shown["max"]],
        ["Every section built", every["p50"], every["p99"], every["max"]],
    ])
    verdict = "WITHIN BUDGET" if shown["p99"] < BUDGET_MS else "OVER BUDGET"
    print(f"\nBudget: open a case form (80 questions) < {BUDGET_MS:.0f} ms. "
          f"Measured p99 {shown['p99']:.1f} ms: {verdict}")
    services.close()


if __name__ == "__main__":
    start = time.perf_counter()
    main()
