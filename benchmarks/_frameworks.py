"""A framework of exactly 80 questions for the benchmarks: the shipped adult probation
framework with a further section of yes/no judgements."""

from __future__ import annotations

import json
from pathlib import Path

from app.config import frameworks_dir

QUESTIONS = 80


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
