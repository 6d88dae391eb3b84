"""A framework of exactly 80 questions for the benchmarks (the shipped adult probation
framework with a further section of yes/no judgements), and inspections answered in full
against it."""

from __future__ import annotations

import json
import random
import uuid
from pathlib import Path

from app.config import frameworks_dir
from app.core.demo import demo_answers, demo_cases
from app.core.dto import NewInspection
from app.db import models as m
from app.db.bookkeeping import insert_many
from app.services.demo import OFFICERS

QUESTIONS = 80
INSPECTORS = ("Inspector A", "Inspector B", "Inspector C")


def eighty_question_framework(folder: Path) -> None:
    data = json.loads((frameworks_dir() / "adult-probation.json").read_text())
    data["id"], data["title"] = "adult-probation-80", "Adult probation, 80 questions"
    count = sum(len(s["questions"]) for s in data["sections"])
    extra = [{"key": f"extra_judgement_{i}", "type": "yes_no", "reasons": "rosh_review",
              "text": f"Was the additional aspect {i} of the work sufficient?",
              "guidance": "An extra judgement that brings the form to 80 questions.",
              "source": "Benchmark"} for i in range(QUESTIONS - count)]
    data["sections"].insert(-1, {"key": "extra", "title": "Review — Further judgements",
                                 "stage": "review", "questions": extra})
    (folder / "adult-80.json").write_text(json.dumps(data))


def answered_inspection(services, size: int) -> uuid.UUID:
    """One inspection of ``size`` cases, every applicable question answered, built directly
    (this is test data, so the rows are inserted in bulk); returns its id."""
    inspection = services.inspections.create(NewInspection(
        name=f"Benchmark {size}", programme="adult_probation", organisation="Northshire",
        framework_key="adult-probation-80"))
    rng = random.Random(size)
    framework = services.frameworks.shipped()[0]
    demo = demo_cases("adult_probation", size, rng, OFFICERS, INSPECTORS)
    cases = [{"id": uuid.uuid4(), "inspection_id": inspection.id, "reference": f"X{i:07d}",
              "status": "in_progress", **case.profile.as_dict()}
             for i, case in enumerate(demo)]
    answers = [{"case_id": row["id"], "question_key": key, "value": value,
                "reasons": list(reasons), "evidence": evidence,
                "respondent": framework.question(key).respondent.value}
               for row, case in zip(cases, demo, strict=True)
               for key, (value, reasons, evidence)
               in demo_answers(framework, case.profile, "complete", rng).items()]
    with services._db.write() as session:
        insert_many(session, m.Case, cases)
        insert_many(session, m.Answer, answers)
    return inspection.id
