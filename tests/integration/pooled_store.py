"""A central store holding inspections across years for pooled analysis: written straight
into its tables (as the store's superuser), so that the figures the service pools can be
recomputed in Python from the very rows it pooled."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import uuid
from dataclasses import dataclass, field

from sqlalchemy import create_engine, text

from app.core.export import ethnicity_group
from app.core.profile import ETHNICITY, GENDER, PHASE, RISK_LEVEL, SENTENCE_TYPE
from app.core.ratings import age_band, age_on
from tests.conftest import MINI_FRAMEWORKS

FAMILY = "pooled"
#: the family's key questions: two yes/no questions and a need matrix
YES_NO_KEYS = ("rosh_assessment", "victim_assessment")
MATRIX_KEY = "partners"
KEYS = (*YES_NO_KEYS, MATRIX_KEY)
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
    region: str = "North"
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
               region="South", version="1.1"),
    Inspection("Aireshire 2021", None, dt.date(2021, 6, 7), reinspects="Aireshire 2019",
               version="1.1"),
    Inspection("Dunshire joint", 2020, dt.date(2020, 9, 1), organisation_type="pdu",
               region="East", design="targeted"),
    Inspection("Elshire", 2020, dt.date(2020, 2, 2), family="elsewhere"),
)


def _answer(rng: random.Random, key: str) -> object:
    if key == MATRIX_KEY:
        return {row: rng.choice(["yes", "yes", "no", "na"])
                for row in ("police", "health", "housing") if rng.random() < 0.8}
    return rng.choice(["yes", "yes", "no", "na", None])


def make_cases(seed: int = 7) -> list[Case]:
    rng = random.Random(seed)
    cases = []
    for inspection in INSPECTIONS:
        for n in range(rng.randint(30, 60)):
            answers = {key: _answer(rng, key) for key in KEYS if rng.random() < 0.9}
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


def verdict(key: str, value: object) -> bool | None:
    """Whether a case counts as sufficient on a key question, as the laptop's ratings say
    it (a need matrix: Yes when every row judged is Yes, No when any is No)."""
    if key == MATRIX_KEY:
        judged = [v == "yes" for v in (value or {}).values() if v in ("yes", "no")]
        return all(judged) if judged else None
    return {"yes": True, "no": False}.get(value)


def group_of(case: Case, dimension: str) -> str:
    i = case.inspection
    values = {
        "year": str(i.year or i.start.year),
        "programme": "Adult probation",
        "organisation_type": {"crc": "Community Rehabilitation Company (CRC)",
                              "nps": "National Probation Service (NPS)",
                              "pdu": "Probation delivery unit (PDU)"}[i.organisation_type],
        "region": i.region,
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
        for key in KEYS:
            judged = verdict(key, case.answers.get(key))
            if judged is None:
                continue
            for dimension in (None, *dimensions):
                group = "" if dimension is None else group_of(case, dimension)
                tally = found.setdefault((key, dimension, group), [0, 0])
                tally[0] += judged
                tally[1] += 1
    return {k: (v[0], v[1]) for k, v in found.items()}
