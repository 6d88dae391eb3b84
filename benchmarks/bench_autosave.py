"""Autosave of one answer, against one durable SQLite commit on the same disk.

The floor is the least any durable save can cost here: one single-row insert committed
with WAL and ``synchronous=FULL`` through the standard library. The measurement is the
app's real path, ``services.forms.record_answer``, on a case of the shipped adult
probation framework, answering its questions over and over with a realistic mix (Yes or
No with reasons and an evidence note for No, choices, numbers, need matrices), each
answer a real change. The architecture's budget: autosave of one answer p99 < 10 ms.

Run from the repository root: ``python benchmarks/bench_autosave.py [--folder PATH]``.
It always exits 0; it reports, it does not fail a build.
"""

from __future__ import annotations

import argparse
import contextlib
import platform
import sqlite3
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from _database import open_services  # noqa: E402
from _timing import print_table, summary, time_each  # noqa: E402

from app.config import frameworks_dir  # noqa: E402
from app.core.answers import has_no  # noqa: E402
from app.core.dto import NewInspection  # noqa: E402
from app.core.frameworks import NO, NOT_APPLICABLE, YES, Question, QuestionType  # noqa: E402
from app.core.profile import CaseProfile  # noqa: E402

COUNT = 1_000
FLOOR_WARM_UP = 20
FRAMEWORK = "adult-probation"
BUDGET_P99_MS = 10.0
BUDGET = f"autosave of one answer p99 < {BUDGET_P99_MS:g} ms"
NOTE_ON_NO = ("The assessment on file predates the latest police call-out; the domestic "
              "abuse enquiry was not followed up and the plan does not mention the children")


def floor_commits(folder: Path) -> list[float]:
    """One WAL, synchronous=FULL commit of a single-row insert, ``COUNT`` times."""
    with contextlib.closing(sqlite3.connect(folder / "floor.db", isolation_level=None)) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")

        def commit_one(i: int) -> None:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO notes (body) VALUES (?)", (f"{NOTE_ON_NO} ({i})",))
            conn.execute("COMMIT")

        for i in range(FLOOR_WARM_UP):
            commit_one(-1 - i)
        return time_each(commit_one, COUNT)


def variants(question: Question) -> list[tuple[object, tuple[str, ...]]]:
    """Answers an inspector might give to a question, with the reasons for a No."""
    reasons = tuple(r.code for r in question.reasons[:2])
    qtype = question.type
    if qtype == QuestionType.YES_NO:
        given = [(YES, ()), (NO, reasons)]
        return [*given, (NOT_APPLICABLE, ())] if question.allow_not_applicable else given
    codes = [o.code for o in question.options]
    if qtype == QuestionType.SINGLE_CHOICE:
        return [(code, ()) for code in codes]
    if qtype == QuestionType.MULTI_CHOICE:
        return [(codes[k:k + 2], ()) for k in range(min(3, len(codes)))]
    if qtype == QuestionType.NEED_MATRIX:
        rows = [r.code for r in question.rows]
        return [({r: YES for r in rows}, ()),
                ({r: NO if i % 2 == 0 else YES for i, r in enumerate(rows)}, reasons)]
    if qtype == QuestionType.NUMBER:
        low = question.minimum or 0
        high = question.maximum if question.maximum is not None else low + 3
        return [(n, ()) for n in range(low + 1, min(low + 4, high + 1))]
    if qtype == QuestionType.DATE:
        return [(f"2024-0{m}-15", ()) for m in (3, 4, 5)]
    return [("Seen at home with the practitioner.", ()), ("Interview by video call.", ())]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, default=None,
                        help="where to put the database files (default: a temporary "
                             "folder); put it on the disk you want to measure")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="aspire-bench-", dir=args.folder) as tmp:
        folder = Path(tmp)
        floor = summary(floor_commits(folder))

        services = open_services(folder / "casework.db", frameworks_dir())
        try:
            inspection = services.inspections.create(NewInspection(
                name="Northshire", programme="adult_probation",
                organisation="Northshire Probation Delivery Unit", framework_key=FRAMEWORK))
            profile = CaseProfile(phase="licence", provider="probation_service",
                                  gender="female")
            warm_up, case = (services.cases.add(inspection_id=inspection.id, reference=ref,
                                                profile=profile).id
                             for ref in ("X200001", "X200002"))
            framework = services.forms.open(case).framework
            plan = [(q, variants(q)) for q in framework.questions()]

            def answer(case_id, i: int) -> None:
                question, given = plan[i % len(plan)]
                value, reasons = given[(i // len(plan)) % len(given)]
                evidence = f"{NOTE_ON_NO} (entry {i})." if has_no(question, value) else ""
                services.forms.record_answer(case_id=case_id, question_key=question.key,
                                             value=value,
                                             reasons=reasons, evidence=evidence)

            for i in range(len(plan)):
                answer(warm_up, i)
            autosave = summary(time_each(lambda i: answer(case, i), COUNT))
            revisions = sum(a.rev for a in services.forms.open(case).answers.values())
        finally:
            services.close()

    print(f"Autosave benchmark: {COUNT:,} saves each; Python {platform.python_version()}, "
          f"SQLite {sqlite3.sqlite_version}, {platform.system()} {platform.machine()}")
    print(f"Framework {framework.label}: {len(plan)} questions; every answer a real change: "
          f"{'yes' if revisions == COUNT else f'NO ({revisions} revisions)'}")
    print()
    print_table(
        ["", "p50 ms", "p99 ms", "max ms"],
        [["Floor: one durable SQLite commit", floor["p50"], floor["p99"], floor["max"]],
         ["Autosave of one answer", autosave["p50"], autosave["p99"], autosave["max"]],
         ["Autosave / floor", f"{autosave['p50'] / floor['p50']:.1f}x",
          f"{autosave['p99'] / floor['p99']:.1f}x", ""]],
    )
    print()
    verdict = "WITHIN BUDGET" if autosave["p99"] < BUDGET_P99_MS else "OVER BUDGET"
    print(f"Budget: {BUDGET}. Measured p99 {autosave['p99']:.2f} ms: {verdict}")


if __name__ == "__main__":
    main()
