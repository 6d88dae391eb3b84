"""What encryption costs the inspector: autosave and case-form opening, encrypted against
plain, in the same run.

Both databases are opened through the app's own engine (the same SQLite build); the plain one
has no key, the encrypted one a random 256-bit key as the keyring would hold. The two are
used side by side, one save or open on each in turn (which goes first alternates), so a busy
moment of the machine falls on both alike. Autosave is
``services.forms.record_answer`` on the shipped adult probation framework (each answer a real
change, durable: WAL and ``synchronous=FULL``); opening is the 80-question form of the form
benchmark, two thirds answered, read by the service and shown on the page. Budget: encryption
adds under 25% to either.

Run from the repository root: ``python benchmarks/bench_encryption.py [--saves N] [--opens N]``.
It always exits 0; it reports, it does not fail a build.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from _frameworks import eighty_question_framework  # noqa: E402
from _timing import print_table, summary  # noqa: E402
from bench_autosave import NOTE_ON_NO, variants  # noqa: E402

from app.bootstrap import build_services  # noqa: E402
from app.core.answers import AnswerInput, has_no  # noqa: E402
from app.core.demo import demo_answers  # noqa: E402
from app.core.dto import NewInspection  # noqa: E402
from app.core.profile import CaseProfile  # noqa: E402
from app.db.keys import random_key  # noqa: E402
from app.db.opening import open_database  # noqa: E402

BUDGET = 0.25
PROFILE = CaseProfile(provider="crc", phase="licence", gender="female", sentence_type="licence")


def open_services(folder: Path, name: str, key):
    return build_services(open_database(folder / name, user="benchmark", key=key),
                          folder / "frameworks")


def new_case(services, reference: str):
    inspection = services.inspections.create(NewInspection(
        name="Benchmark", programme="adult_probation", organisation="Northshire",
        framework_key="adult-probation-80"))
    return services.cases.add(inspection_id=inspection.id, reference=reference,
                              profile=PROFILE).id


def autosaves(services):
    """Prepare a case to answer; returns the timed step (one save)."""
    warm_up, case = new_case(services, "X200001"), new_case(services, "X200002")
    plan = [(q, variants(q)) for q in services.forms.open(case).framework.questions()]

    def answer(case_id, i: int) -> None:
        question, given = plan[i % len(plan)]
        value, reasons = given[(i // len(plan)) % len(given)]
        evidence = f"{NOTE_ON_NO} (entry {i})." if has_no(question, value) else ""
        services.forms.record_answer(case_id=case_id, question_key=question.key, value=value,
                                     reasons=reasons, evidence=evidence)

    for i in range(len(plan)):
        answer(warm_up, i)
    return lambda i: answer(case, i)


def form_opener(services, app):
    """A form two thirds answered, on its page; returns the timed steps (service, shown)."""
    from app.ui.views.case_form_page import CaseFormPage

    case = new_case(services, "X000001")
    framework = services.forms.open(case).framework
    answers = demo_answers(framework, PROFILE, "complete", random.Random(5))
    kept = dict(list(answers.items())[: len(answers) * 2 // 3])
    services.forms.record_answers(case_id=case, answers={
        k: AnswerInput(*v) for k, v in kept.items()})
    page = CaseFormPage(services)
    page.resize(1280, 800)
    page.show()

    def show_form(_i: int) -> None:
        page.load(case)
        app.processEvents()

    show_form(0)
    return (lambda _i: services.forms.open(case)), show_form, page


def side_by_side(steps: dict, count: int, between=None) -> dict[str, list[float]]:
    """Time ``count`` runs of each step in turn, the first to go alternating."""
    times = {kind: [] for kind in steps}
    order = list(steps)
    for i in range(count):
        for kind in (order if i % 2 == 0 else order[::-1]):
            if between is not None:
                between()
            start = time.perf_counter_ns()
            steps[kind](i)
            times[kind].append((time.perf_counter_ns() - start) / 1_000_000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=1000, help="autosaves on each")
    parser.add_argument("--opens", type=int, default=100, help="form opens on each")
    parser.add_argument("--folder", type=Path, default=None,
                        help="where to put the database files (default: a temporary folder)")
    args = parser.parse_args()

    from PySide6.QtCore import QEvent

    from app.ui.app import make_application

    app = make_application()

    def idle() -> None:
        """The event loop between two opens: the previous form's pages are deleted."""
        app.sendPostedEvents(None, QEvent.Type.DeferredDelete)

    samples: dict[str, dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory(prefix="aspire-bench-", dir=args.folder) as tmp:
        folder = Path(tmp)
        (folder / "frameworks").mkdir()
        eighty_question_framework(folder / "frameworks")
        opened = {"plain": open_services(folder, "plain.db", None),
                  "encrypted": open_services(folder, "encrypted.db", random_key())}
        try:
            saves = {kind: autosaves(s) for kind, s in opened.items()}
            samples["save"] = side_by_side(saves, args.saves)
            openers = {kind: form_opener(s, app) for kind, s in opened.items()}
            samples["service"] = side_by_side({k: o[0] for k, o in openers.items()},
                                              args.opens)
            samples["shown"] = side_by_side({k: o[1] for k, o in openers.items()},
                                            args.opens, between=idle)
            for _service, _shown, page in openers.values():
                page.close()
                page.deleteLater()
            idle()
        finally:
            for services in opened.values():
                services.close()
        header = (folder / "encrypted.db").read_bytes()[:16]
        plain_header = (folder / "plain.db").read_bytes()[:16]

    import sqlcipher3.dbapi2 as driver

    print(f"Encryption benchmark: {args.saves} autosaves and {args.opens} form opens on "
          f"each database, in turn; Python {platform.python_version()}, SQLite "
          f"{driver.sqlite_version} (SQLCipher), {platform.system()} {platform.machine()}")
    print(f"File headers: plain {plain_header!r}; encrypted {header[:8].hex()}… (random salt)")
    print()
    rows, worst = [], 0.0
    for label, name in (("Autosave of one answer", "save"),
                        ("Open form: service call", "service"),
                        ("Open form: shown on screen", "shown")):
        plain = summary(samples[name]["plain"])
        encrypted = summary(samples[name]["encrypted"])
        for pct in ("p50", "p99"):
            overhead = encrypted[pct] / plain[pct] - 1
            if name != "service":  # the budget is on what the inspector waits for
                worst = max(worst, overhead)
            rows.append([f"{label} {pct}", plain[pct], encrypted[pct], f"{overhead:+.1%}"])
    print_table(["", "plain ms", "encrypted ms", "overhead"], rows)
    print()
    verdict = "WITHIN BUDGET" if worst < BUDGET else "OVER BUDGET"
    print(f"Budget: encryption adds < {BUDGET:.0%} to autosave and to opening a form. "
          f"Largest overhead measured {worst:+.1%}: {verdict}")


if __name__ == "__main__":
    main()
