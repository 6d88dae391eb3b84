"""Pooled findings across a decade of inspections: 100,000 cases × 50 answers.

A throwaway PostgreSQL server is started in the temporary folder (as the tests do) and a
central store made in it with ``aspire central init``. It is filled with COPY, untimed: one
framework family of 50 questions (15 key questions, five applying only by a rule over an
earlier answer and the case's profile, and a need matrix over the needs an earlier answer
chose, as in the shipped frameworks), 100
inspections over ten years (a tenth of them targeted samples, a tenth re-inspecting an
earlier one), 1,000 cases each, every question answered; then ANALYZE.

Then, taking turns so that a machine busier for a while weighs on each alike:

- floor: the same aggregate written by hand in SQL, as an analyst would write it straight
  against the tables: per key question, yes and judged counts over approved cases of the
  random samples, with one grouping set per split (the same ten splits), in a session with
  the pooled query's own settings (its memory for grouping, no compiling); it counts every
  stored Yes and No, whether the question applies or not;
- pooled: ``app.sync.pooled.pooled``, what the service runs (the rules applied: latest
  re-inspection only, random samples apart, one family, each key question counted only
  where it applies, the need matrix over its rows that apply, labels and merged groups,
  intervals and differences worked out);
- service: ``GET /analysis`` through the central service over loopback HTTP as an analyst,
  from the request to the findings read back on the client.

Budget (issue: pooled analysis): a pooled query over 100,000 cases × 50 answers answers in
under 5 s on this machine. Each run's figures and ratios to the floor are printed, then the
best of ``--runs`` (default 3).

Run from the repository root: ``python benchmarks/bench_pooled.py [--cases-per N]
[--inspections N] [--runs N]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from app.core.framework_loader import parse_framework_text  # noqa: E402
from app.core.pooling import DIMENSIONS, PoolingChoice  # noqa: E402
from app.core.profile import ETHNICITY, GENDER, PHASE, RISK_LEVEL, SENTENCE_TYPE  # noqa: E402
from app.sync.central import add_user, central_engine, init_central  # noqa: E402
from app.sync.client import ServiceLink  # noqa: E402
from app.sync.pooled import POOLED_SETTINGS, pooled  # noqa: E402
from tests.postgres import start_server  # noqa: E402
from tests.service import free_port, run_serve, wait_until_serving  # noqa: E402

BUDGET_S = 5.0
QUESTIONS = 50
KEY_QUESTIONS = 15
FAMILY = "bench-50"
PASSWORD = "a benchmark password of some length"
NEEDS = ("accommodation", "drug_misuse", "alcohol_misuse")


def framework_content() -> str:
    """50 questions: a yes/no question and a choice of needs that later questions' rules
    read, 15 key questions (five of them applying only where the first was answered Yes or
    the case is in custody or on licence, as in the shipped frameworks), a need matrix over
    the needs chosen, and the rest judgements."""
    def rule(i: int) -> dict:
        if i % 3 == 1 and i < 15:
            return {"applies_if": {"any": [{"answer": "victim", "equals": "yes"},
                                           {"profile": "phase", "in": ["custody", "licence"]}]}}
        return {}

    questions = [{"key": "victim", "text": "Is there an identifiable victim?",
                  "type": "yes_no", "judgement": False},
                 {"key": "needs", "text": "Which needs were identified?",
                  "type": "multi_choice", "options": "needs"}]
    questions += [{"key": f"q{i:02d}", "text": f"Was aspect {i} of the work sufficient?",
                   "type": "yes_no", "reasons": "general", **rule(i),
                   **({"standard": "assessment"} if i < KEY_QUESTIONS - 1 else {})}
                  for i in range(QUESTIONS - 3)]
    questions.append({"key": "partners", "text": "Have partners contributed sufficiently?",
                      "type": "need_matrix", "rows": "needs", "rows_from": "needs",
                      "standard": "assessment"})
    return json.dumps({
        "format": 1, "id": FAMILY, "version": "1.0", "title": "Benchmark, 50 questions",
        "programme": "adult_probation",
        "lists": {"needs": [{"code": c, "label": c.replace("_", " ").title()} for c in NEEDS]},
        "reason_sets": {"general": [{"code": "not_done", "label": "Not done at all"}]},
        "standards": [{"key": "assessment", "title": "Assessment"}],
        "sections": [{"key": "work", "title": "The work", "stage": "assessment",
                      "questions": questions}]})


def fill(url: str, inspections: int, per: int, seed: int = 1) -> None:
    """The store filled with COPY (untimed)."""
    rng = random.Random(seed)
    now = dt.datetime.now(dt.UTC)
    device = uuid.uuid4()
    stamp = (1, now, "bench", device)
    content = framework_content()
    parse_framework_text(content, FAMILY)  # the store reads it as any framework
    framework = uuid.uuid4()
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=False) as conn:
        conn.execute(
            "INSERT INTO frameworks (id, rev, updated_at, updated_by, device_id, framework_key, "
            "version, title, programme, content, content_sha256) VALUES (%s, %s, %s, %s, %s, "
            "%s, '1.0', 'Benchmark', 'adult_probation', %s, %s)",
            (framework, *stamp, FAMILY, content, hashlib.sha256(content.encode()).hexdigest()))
        ids = [uuid.uuid4() for _ in range(inspections)]
        with conn.cursor().copy(
                "COPY inspections (id, rev, updated_at, updated_by, device_id, name, programme, "
                "organisation, area, start_date, framework_id, status, year, "
                "organisation_type, region, sample_design, reinspects_id) FROM STDIN") as copy:
            for n, inspection_id in enumerate(ids):
                year = 2016 + n % 10
                earlier = ids[n - 10] if n >= 10 and n % 10 == 3 else None
                copy.write_row((inspection_id, *stamp, f"Inspection {n}", "adult_probation",
                                f"Unit {n % 40}", "", dt.date(year, 1 + n % 12, 5), framework,
                                "closed", year, rng.choice(["nps", "crc", "pdu"]),
                                rng.choice(["North", "South", "East", "West", "Wales"]),
                                "targeted" if n % 10 == 7 else "random", earlier))
        keys = [f"q{i:02d}" for i in range(QUESTIONS - 3)]
        case_ids = []
        genders, ethnicities = GENDER.codes(), ETHNICITY.codes()
        risks, sentences, phases = RISK_LEVEL.codes(), SENTENCE_TYPE.codes(), PHASE.codes()
        with conn.cursor().copy(
                "COPY cases (id, rev, updated_at, updated_by, device_id, inspection_id, "
                "reference, status, gender, ethnicity, date_of_birth, rosh, sentence_type, "
                "phase, notes) FROM STDIN") as cases:
            for n, inspection_id in enumerate(ids):
                for c in range(per):
                    case_id = uuid.uuid4()
                    case_ids.append(case_id)
                    cases.write_row((
                        case_id, *stamp, inspection_id, f"R{n:03d}{c:05d}",
                        "approved" if rng.random() < 0.9 else "in_progress",
                        rng.choice(genders), rng.choice(ethnicities),
                        dt.date(rng.randint(1950, 2004), rng.randint(1, 12), 1),
                        rng.choice(risks), rng.choice(sentences), rng.choice(phases), ""))
        values = ['"yes"'] * 6 + ['"no"'] * 3 + ['"na"']
        with conn.cursor().copy(
                "COPY answers (id, rev, updated_at, updated_by, device_id, case_id, "
                "question_key, value, reasons, evidence, respondent) FROM STDIN") as answers:
            for case_id in case_ids:
                answers.write_row((uuid.uuid4(), *stamp, case_id, "victim",
                                   rng.choice(['"yes"', '"no"']), "[]", "", "inspector"))
                answers.write_row((uuid.uuid4(), *stamp, case_id, "needs", json.dumps(
                    [n for n in NEEDS if rng.random() < 0.6]), "[]", "", "inspector"))
                for key in keys:
                    answers.write_row((uuid.uuid4(), *stamp, case_id, key, rng.choice(values),
                                       "[]", "", "inspector"))
                matrix = json.dumps({need: rng.choice(["yes", "yes", "no", "na"])
                                     for need in NEEDS})
                answers.write_row((uuid.uuid4(), *stamp, case_id, "partners", matrix, "[]",
                                   "", "inspector"))
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ANALYZE")
    print(f"  filled: {inspections} inspections × {per:,} cases × {QUESTIONS} answers "
          f"in {time.perf_counter() - started:.0f} s")


def by_hand(url: str) -> int:
    """The floor: the aggregate as an analyst would write it plainly against the tables."""
    splits = ", ".join(f"(a.question_key, {d})" for d in (
        "i.year", "i.programme", "i.organisation_type", "i.region", "c.gender",
        "c.ethnicity", "age_band", "c.rosh", "c.sentence_type", "c.phase"))
    with psycopg.connect(url) as conn:
        for setting, value in POOLED_SETTINGS.items():  # the pooled query's own, to be fair
            conn.execute(f"SET {setting} = '{value}'")
        rows = conn.execute(f"""
            SELECT a.question_key, i.year, i.programme, i.organisation_type, i.region,
                   c.gender, c.ethnicity, age_band, c.rosh, c.sentence_type, c.phase,
                   count(*) FILTER (WHERE a.value::text = '"yes"'),
                   count(*) FILTER (WHERE a.value::text IN ('"yes"', '"no"'))
            FROM answers a JOIN cases c ON c.id = a.case_id
            JOIN inspections i ON i.id = c.inspection_id,
            LATERAL (SELECT (date_part('year', age(i.start_date, c.date_of_birth)) / 10)::int
                     AS age_band) b
            WHERE a.question_key = ANY(%s) AND c.status = 'approved'
              AND i.sample_design = 'random'
            GROUP BY GROUPING SETS ((a.question_key), {splits})""",
            ([f"q{i:02d}" for i in range(KEY_QUESTIONS - 1)],)).fetchall()
    return len(rows)


def timed(action) -> tuple[float, object]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inspections", type=int, default=100)
    parser.add_argument("--cases-per", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--folder", type=Path, help="where the server's files go")
    args = parser.parse_args()
    folder = args.folder or Path(tempfile.mkdtemp(prefix="bench-pooled-"))
    server = start_server(folder / "server")
    process = None
    try:
        url = server.create_database("pooled_bench")
        init_central(url)
        add_user(url, login="bench.analyst", name="Bench Analyst", role="analyst",
                 password=PASSWORD)
        plain = make_url(url).set(drivername="postgresql").render_as_string(
            hide_password=False)
        fill(plain, args.inspections, args.cases_per)
        engine = central_engine(url, service=False)
        port = free_port()
        process = run_serve(folder, "--url", url, "--listen", f"127.0.0.1:{port}")
        address = f"http://127.0.0.1:{port}"
        wait_until_serving(process, address)
        choice = PoolingChoice(family=FAMILY, by=tuple(code for code, _ in DIMENSIONS))

        def through_service():
            with ServiceLink(address, "bench.analyst", PASSWORD) as link:
                return link.pooled(choice)

        runs = []
        print("  run   by hand   pooled (ratio)   service (ratio)   figures")
        for run in range(args.runs):
            steps = [("floor", lambda: by_hand(plain)), ("pooled", lambda: pooled(engine,
                                                                                   choice)),
                     ("service", through_service)]
            if run % 2:
                steps.reverse()
            figures = {}
            for name, action in steps:
                figures[name], result = timed(action)
                if name == "service":
                    figures["count"] = len(result.figures)
            runs.append(figures)
            print(f"  {run + 1:>3}  {figures['floor']:7.2f} s  {figures['pooled']:6.2f} s "
                  f"({figures['pooled'] / figures['floor']:.2f}×)  {figures['service']:6.2f} s "
                  f"({figures['service'] / figures['floor']:.2f}×)  {figures['count']:,}")
        best = {k: min(r[k] for r in runs) for k in ("floor", "pooled", "service")}
        print(f"\n  best of {args.runs}: by hand {best['floor']:.2f} s, pooled "
              f"{best['pooled']:.2f} s ({best['pooled'] / best['floor']:.2f}×), through the "
              f"service {best['service']:.2f} s ({best['service'] / best['floor']:.2f}×)")
        met = best["service"] < BUDGET_S
        print(f"  Budget: a pooled query over {args.inspections * args.cases_per:,} cases × "
              f"{QUESTIONS} answers < {BUDGET_S:g} s through the service: "
              f"{'met' if met else 'NOT met'}")
        engine.dispose()
        return 0
    finally:
        if process is not None:
            process.terminate()
            process.wait(30)
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
