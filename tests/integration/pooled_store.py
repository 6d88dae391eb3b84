"""A central store holding inspections across years for pooled analysis: written straight
into its tables (as the store's superuser), so that the figures the service pools can be
recomputed in Python from the very rows it pooled."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import random
import uuid
from dataclasses import dataclass, field
from types import SimpleNamespace

from sqlalchemy import create_engine, text

from app.core.answers import AnswerRecord
from app.core.export import CaseData, ethnicity_group
from app.core.form import evaluate_form
from app.core.framework_loader import parse_framework_text
from app.core.inspection_details import REGION
from app.core.profile import (
    ETHNICITY,
    GENDER,
    PHASE,
    RISK_LEVEL,
    SENTENCE_TYPE,
    CaseProfile,
)
from app.core.ratings import age_band, age_on, case_judgement
from tests.conftest import MINI_FRAMEWORKS

FAMILY = "pooled"
#: the family's key questions: yes/no questions (one for every case, one when the victim
#: question was answered Yes, one for cases in custody or on licence) and a need matrix whose
#: rows are the needs chosen in an earlier answer
YES_NO_KEYS = ("rosh_assessment", "victim_assessment", "custody_planning")
MATRIX_KEY = "partners"
KEYS = (*YES_NO_KEYS, MATRIX_KEY)
#: the answers the key questions' rules read
READ_BY_RULES = ("victim", "needs")
NEEDS = ("accommodation", "drug_misuse", "alcohol_misuse")
PEOPLE = ("Jane Inspector", "Sam Officer")


def family_content(version: str, framework_id: str = FAMILY) -> str:
    """The small test framework as a family of its own, its key questions marked."""
    data = json.loads((MINI_FRAMEWORKS / "mini.json").read_text(encoding="utf-8"))
    data.update(id=framework_id, version=version, title=f"Pooled test ({version})")
    for section in data["sections"]:
        for question in section["questions"]:
            if question["key"] in KEYS:
                question["standard"] = "assessment"
    return json.dumps(data)


@dataclass
class Inspection:
    name: str
    year: int | None
    start: dt.date
    programme: str = "adult_probation"
    organisation_type: str = "crc"
    region: str = "north_east"
    design: str = "random"
    family: str = FAMILY
    version: str = "1.0"
    reinspects: str | None = None
    id: uuid.UUID = field(default_factory=uuid.uuid4)


@dataclass
class Case:
    inspection: Inspection
    reference: str
    status: str
    gender: str | None
    ethnicity: str | None
    born: dt.date | None
    rosh: str | None
    sentence_type: str | None
    phase: str | None
    answers: dict[str, object]


#: A re-inspected in 2021 by C; D a targeted sample; E of another family
INSPECTIONS = (
    Inspection("Aireshire 2019", 2019, dt.date(2019, 3, 4)),
    Inspection("Brenshire 2020", 2020, dt.date(2020, 5, 11), organisation_type="nps",
               region="south_west", version="1.1"),
    Inspection("Aireshire 2021", None, dt.date(2021, 6, 7), reinspects="Aireshire 2019",
               version="1.1"),
    Inspection("Dunshire joint", 2020, dt.date(2020, 9, 1), organisation_type="pdu",
               region="london", design="targeted"),
    Inspection("Elshire", 2020, dt.date(2020, 2, 2), family="elsewhere"),
)


def _answer(rng: random.Random, key: str) -> object:
    if key == MATRIX_KEY:  # rows kept from earlier answers too, and one no framework has
        return {row: rng.choice(["yes", "yes", "no", "na"])
                for row in (*NEEDS, "housing") if rng.random() < 0.8}
    if key == "needs":
        return [n for n in NEEDS if rng.random() < 0.5]
    if key == "victim":
        return rng.choice(["yes", "yes", "no", None, ""])
    return rng.choice(["yes", "yes", "no", "na", None])


def make_cases(seed: int = 7) -> list[Case]:
    rng = random.Random(seed)
    cases = []
    for inspection in INSPECTIONS:
        for n in range(rng.randint(30, 60)):
            answers = {key: _answer(rng, key) for key in (*KEYS, *READ_BY_RULES)
                       if rng.random() < 0.9}
            cases.append(Case(
                inspection, f"{inspection.name[:3].upper()}{n:05d}",
                rng.choice(["approved"] * 4 + ["in_progress", "submitted"]),
                rng.choice([*GENDER.codes(), None]),
                rng.choice([*ETHNICITY.codes(), None]),
                None if rng.random() < 0.1 else dt.date(rng.randint(1950, 2004),
                                                        rng.randint(1, 12), rng.randint(1, 28)),
                rng.choice([*RISK_LEVEL.codes(), None]),
                rng.choice([*SENTENCE_TYPE.codes(), None]),
                rng.choice([*PHASE.codes(), None]), answers))
    return cases


def fill(central: str, cases: list[Case]) -> None:
    """Write the inspections, their frameworks and cases into the store at ``central``."""
    engine = create_engine(central)
    now = dt.datetime.now(dt.UTC)
    stamps = {"rev": 1, "updated_at": now, "updated_by": "jane.inspector",
              "device_id": uuid.uuid4()}
    frameworks: dict[tuple[str, str], uuid.UUID] = {}
    by_name = {i.name: i for i in INSPECTIONS}
    try:
        with engine.begin() as conn:
            for inspection in INSPECTIONS:
                key = (inspection.family, inspection.version)
                if key not in frameworks:
                    content = family_content(inspection.version, inspection.family)
                    frameworks[key] = uuid.uuid4()
                    conn.execute(text(
                        "INSERT INTO frameworks (id, rev, updated_at, updated_by, device_id, "
                        "framework_key, version, title, programme, content, content_sha256) "
                        "VALUES (:id, :rev, :updated_at, :updated_by, :device_id, :k, :v, "
                        ":t, 'adult_probation', :c, :s)"),
                        {**stamps, "id": frameworks[key], "k": key[0], "v": key[1],
                         "t": f"Pooled {key[1]}", "c": content,
                         "s": hashlib.sha256(content.encode()).hexdigest()})
            for inspection in INSPECTIONS:
                earlier = by_name[inspection.reinspects].id if inspection.reinspects else None
                conn.execute(text(
                    "INSERT INTO inspections (id, rev, updated_at, updated_by, device_id, "
                    "name, programme, organisation, area, start_date, framework_id, status, "
                    "year, organisation_type, region, sample_design, reinspects_id) VALUES "
                    "(:id, :rev, :updated_at, :updated_by, :device_id, :n, :p, :o, '', :s, "
                    ":f, 'open', :y, :ot, :r, :d, :e)"),
                    {**stamps, "id": inspection.id, "n": inspection.name,
                     "p": inspection.programme, "o": f"{inspection.name} CRC",
                     "s": inspection.start, "y": inspection.year,
                     "f": frameworks[(inspection.family, inspection.version)],
                     "ot": inspection.organisation_type, "r": inspection.region,
                     "d": inspection.design, "e": earlier})
            case_rows, answer_rows = [], []
            for case in cases:
                case_id = uuid.uuid4()
                case_rows.append({
                    **stamps, "id": case_id, "i": case.inspection.id, "ref": case.reference,
                    "st": case.status, "g": case.gender, "e": case.ethnicity, "b": case.born,
                    "r": case.rosh, "s": case.sentence_type, "p": case.phase,
                    "o": PEOPLE[1], "a": "jane.inspector"})
                for key, value in case.answers.items():
                    # now and then written with spaces about it, as JSON allows (the store
                    # keeps a json value's text as it was given)
                    written = json.dumps(value)
                    if len(answer_rows) % 7 == 3:
                        written = f" {written} "
                    answer_rows.append({**stamps, "id": uuid.uuid4(), "c": case_id, "k": key,
                                        "v": written})
            conn.execute(text(
                "INSERT INTO cases (id, rev, updated_at, updated_by, device_id, inspection_id, "
                "reference, status, gender, ethnicity, date_of_birth, rosh, sentence_type, "
                "phase, responsible_officer, assignee, notes) VALUES (:id, :rev, :updated_at, "
                ":updated_by, :device_id, :i, :ref, :st, :g, :e, :b, :r, :s, :p, :o, :a, '')"),
                case_rows)
            conn.execute(text(
                "INSERT INTO answers (id, rev, updated_at, updated_by, device_id, case_id, "
                "question_key, value, reasons, evidence, respondent) VALUES (:id, :rev, "
                ":updated_at, :updated_by, :device_id, :c, :k, CAST(:v AS json), '[]', "
                "'Seen by Jane Inspector', 'inspector')"), answer_rows)
    finally:
        engine.dispose()


def verdicts(case: Case) -> dict[str, bool | None]:
    """Whether the case counts as sufficient on each key question, as the laptop's own
    rules say it (``evaluate_form`` for what applies, ``case_judgement`` for the verdict)."""
    framework = _FRAMEWORK()
    profile = CaseProfile(gender=case.gender, ethnicity=case.ethnicity,
                          date_of_birth=case.born, rosh=case.rosh,
                          sentence_type=case.sentence_type, phase=case.phase)
    answers = {k: AnswerRecord(k, v) for k, v in case.answers.items()}
    state = evaluate_form(framework, profile.as_dict(), answers)
    summary = SimpleNamespace(profile=profile)
    data = CaseData(summary, answers, state)
    return {key: case_judgement(framework.question(key), data) for key in KEYS}


@functools.cache
def _FRAMEWORK():
    return parse_framework_text(family_content("1.0"), "pooled")


def group_of(case: Case, dimension: str) -> str:
    i = case.inspection
    values = {
        "year": str(i.year or i.start.year),
        "programme": "Adult probation",
        "organisation_type": {"crc": "Community Rehabilitation Company (CRC)",
                              "nps": "National Probation Service (NPS)",
                              "pdu": "Probation delivery unit (PDU)"}[i.organisation_type],
        "region": REGION.label(i.region),
        "gender": GENDER.label(case.gender) if case.gender else "",
        "ethnicity_group": ethnicity_group(case.ethnicity),
        "age_band": age_band(age_on(case.born, i.start)),
        "rosh": RISK_LEVEL.label(case.rosh) if case.rosh else "",
        "sentence_type": SENTENCE_TYPE.label(case.sentence_type) if case.sentence_type else "",
        "phase": PHASE.label(case.phase) if case.phase else "",
    }
    return values[dimension] or "Not recorded"


def expected_counts(cases: list[Case], inspections: set[str], dimensions: tuple[str, ...],
                    statuses: frozenset[str] = frozenset({"approved"})
                    ) -> dict[tuple[str, str | None, str], tuple[int, int]]:
    """(question, dimension or None, group) -> (sufficient, judged), recomputed here."""
    found: dict[tuple[str, str | None, str], list[int]] = {}
    for case in cases:
        if case.inspection.name not in inspections or case.status not in statuses:
            continue
        for key, judged in verdicts(case).items():
            if judged is None:
                continue
            for dimension in (None, *dimensions):
                group = "" if dimension is None else group_of(case, dimension)
                tally = found.setdefault((key, dimension, group), [0, 0])
                tally[0] += judged
                tally[1] += 1
    return {k: (v[0], v[1]) for k, v in found.items()}
