"""Findings pooled across inspections, counted by PostgreSQL in the central store.

One aggregate query with a grouping set per dimension counts, for every key question of the
framework family chosen, the cases judged sufficient and the cases judged, over the
inspections the analysis's rules let in (``app.core.pooling``); only those counts leave the
database, never a case. The intervals and differences are worked out from them in
``app.core.pooling``. It runs in a read-only transaction.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import Connection, Engine, text

from app.core.frameworks import QuestionType, version_key
from app.core.inspection_details import ORGANISATION_TYPE
from app.core.pooling import (
    NOT_RECORDED,
    Count,
    LeftOut,
    PooledFindings,
    PoolingChoice,
    pooled_findings,
)
from app.core.profile import ETHNICITY, GENDER, PHASE, PROGRAMMES, RISK_LEVEL, SENTENCE_TYPE
from app.core.ratings import AGE_BANDS
from app.core.workflow import CaseStatus
from app.errors import ValidationError
from app.sync.judge import question_set

#: how long a pooled query may take before the store stops it (milliseconds)
POOLED_TIMEOUT_MS = 120_000
#: for the pooled query only: memory enough to count its groups in hash tables rather than
#: sorting the answers on disk, and no compiling of the query (which took a second of the
#: query's time at 100,000 cases, to save less)
POOLED_SETTINGS = {"work_mem": "64MB", "jit": "off"}
#: the labels of each dimension's stored codes
_LABELS = {"programme": PROGRAMMES, "organisation_type": ORGANISATION_TYPE, "gender": GENDER,
           "rosh": RISK_LEVEL, "sentence_type": SENTENCE_TYPE, "phase": PHASE}

_YEAR = "coalesce(i.year, extract(year FROM i.start_date)::int)"
#: the inspections of the chosen programmes and years, by the sample design chosen
_IN_SCOPE = f"""
    (cardinality(CAST(:years AS int[])) = 0 OR {_YEAR} = ANY(CAST(:years AS int[])))
    AND (cardinality(CAST(:programmes AS text[])) = 0
         OR i.programme = ANY(CAST(:programmes AS text[])))"""
#: an inspection re-inspected later by one of its own programme
_SUPERSEDED = """
    EXISTS (SELECT 1 FROM inspections r WHERE r.reinspects_id = i.id AND r.id <> i.id
            AND r.programme = i.programme
            AND coalesce(r.start_date, 'infinity') >= coalesce(i.start_date, '-infinity'))"""


def _age_band() -> str:
    """The case's age band on the inspection's start date (today if it has none), in SQL
    (``ag.age``: the age, worked out once a case)."""
    arms = " ".join(f"WHEN ag.age < {limit} THEN '{label}'" for limit, label in AGE_BANDS)
    return f"CASE WHEN ag.age IS NULL THEN '{NOT_RECORDED}' {arms} END"


#: each dimension's value for a counted case, in SQL
_VALUES = {
    "year": "ch.year::text", "programme": "ch.programme",
    "organisation_type": "ch.organisation_type", "region": "ch.region",
    "gender": "c.gender", "ethnicity_group": "eg.grp", "age_band": _age_band(),
    "rosh": "c.rosh", "sentence_type": "c.sentence_type", "phase": "c.phase",
}

#: whether an answer counts as sufficient (true), not (false) or not at all (null): the
#: stored text of a Yes or a No is read at once, anything else as JSON (a need matrix: Yes
#: when every row judged is Yes, No when any is No)
_VERDICT = """
    CASE a.value::text WHEN '"yes"' THEN true WHEN '"no"' THEN false ELSE
        CASE json_typeof(a.value)
            WHEN 'string' THEN CASE a.value #>> '{}' WHEN 'yes' THEN true
                                                   WHEN 'no' THEN false END
            WHEN 'object' THEN CASE WHEN a.question_key = ANY(CAST(:matrices AS text[])) THEN
                (SELECT bool_and(e.v = 'yes') FROM json_each_text(a.value) AS e(k, v)
                 WHERE e.v IN ('yes', 'no')) END
        END
    END"""


def pooled(engine: Engine, choice: PoolingChoice) -> PooledFindings:
    """Findings pooled by ``choice`` across the central store's inspections."""
    problems = choice.problems()
    if problems:
        raise ValidationError("The analysis cannot be made: " + "; ".join(problems) + ".",
                              "Change what was asked for and try again.", details=problems)
    with engine.connect() as conn:
        conn.execute(text("SET TRANSACTION READ ONLY"))
        conn.execute(text(f"SET LOCAL statement_timeout = {POOLED_TIMEOUT_MS}"))
        for setting, value in POOLED_SETTINGS.items():
            conn.execute(text(f"SET LOCAL {setting} = '{value}'"))
        try:
            return _pooled(conn, choice)
        finally:
            conn.rollback()


def _pooled(conn: Connection, choice: PoolingChoice) -> PooledFindings:
    scope = {"years": list(choice.years), "programmes": list(choice.programmes)}
    families = dict(conn.execute(text(
        f"SELECT f.framework_key, count(DISTINCT i.id) FROM inspections i "
        f"JOIN frameworks f ON f.id = i.framework_id WHERE {_IN_SCOPE} "
        f"GROUP BY f.framework_key ORDER BY f.framework_key"), scope).all())
    family = choice.family
    if family is None:
        if len(families) != 1:
            raise ValidationError(
                "Choose one framework family to pool: "
                + (", ".join(f"{k} ({n} inspection{'s' if n != 1 else ''})"
                             for k, n in families.items()) or "none holds inspections")
                + ".", "Pooling compares like with like: one family at a time (--framework).")
        family = next(iter(families))
    elif family not in families:
        raise ValidationError(
            f"No inspection of the years and programmes chosen uses the framework family "
            f"'{family}'.", "Families with inspections: " + (", ".join(families) or "none")
            + ".")
    choice = replace(choice, family=family)
    questions, matrices = _key_questions(conn, family)
    if not questions:
        raise ValidationError(f"The framework family '{family}' marks no key questions.",
                              "Pooled figures are of key questions; choose another family.")
    params = {**scope, "family": family, "design": choice.sample_design,
              "latest": choice.latest_only, "keys": list(questions), "matrices": matrices,
              "statuses": _statuses(choice)}
    left_out = _left_out(conn, params)
    chosen = f"""
        SELECT i.id, {_YEAR} AS year, i.programme, i.organisation_type, i.region,
               i.start_date
        FROM inspections i JOIN frameworks f ON f.id = i.framework_id
        WHERE f.framework_key = :family AND i.sample_design = :design AND {_IN_SCOPE}
          AND NOT (:latest AND {_SUPERSEDED})"""
    inspections, cases = conn.execute(text(
        f"SELECT count(DISTINCT ch.id), count(c.id) FROM ({chosen}) ch "
        f"LEFT JOIN cases c ON c.inspection_id = ch.id "
        f"AND c.status = ANY(CAST(:statuses AS text[]))"), params).one()
    counts = _counts(conn, chosen, choice.by, params)
    return pooled_findings(choice, counts, questions, inspections=inspections, cases=cases,
                           left_out=left_out, families=tuple(families))


def _counts(conn: Connection, chosen: str, by: tuple[str, ...], params: dict) -> list[Count]:
    """The counts over all cases and for each group of each dimension in ``by``, in one pass
    over the answers (a grouping set for all cases and one per dimension); each case's
    groups are worked out once, before its answers are read."""
    columns = "".join(f", {_VALUES[d]} AS {d}" for d in by)
    carried = "".join(f", cs.{d}" for d in by)
    sets = ", ".join(["(question_key)", *(f"(question_key, {d})" for d in by)])
    which = " ".join(f"WHEN GROUPING({d}) = 0 THEN '{d}'" for d in by)
    value = " ".join(f"WHEN GROUPING({d}) = 0 THEN {d}" for d in by)
    ethnic = [(c.code, c.group) for c in ETHNICITY.choices if c.group]
    params = {**params, "ethnic_codes": [c for c, _ in ethnic],
              "ethnic_groups": [g for _, g in ethnic]}
    rows = conn.execute(text(f"""
        WITH ch AS ({chosen}),
        eg AS (SELECT * FROM unnest(CAST(:ethnic_codes AS text[]),
                                    CAST(:ethnic_groups AS text[])) AS eg(code, grp)),
        cs AS MATERIALIZED (
            SELECT c.id{columns}
            FROM ch JOIN cases c ON c.inspection_id = ch.id
            LEFT JOIN eg ON eg.code = c.ethnicity,
            LATERAL (SELECT date_part('year', age(coalesce(ch.start_date, current_date),
                                                  c.date_of_birth)) AS age) ag
            WHERE c.status = ANY(CAST(:statuses AS text[]))),
        judged AS (
            SELECT a.question_key{carried}, {_VERDICT} AS verdict
            FROM answers a JOIN cs ON cs.id = a.case_id
            WHERE a.question_key = ANY(CAST(:keys AS text[])))
        SELECT question_key, {f"CASE {which} END" if by else "NULL"},
               {f"CASE {value} END" if by else "NULL"},
               count(*) FILTER (WHERE verdict), count(verdict)
        FROM judged GROUP BY GROUPING SETS ({sets})"""), params)
    # a code whose label is "Not recorded" and a value never recorded are one group
    merged: dict[tuple[str, str | None, str], list[int]] = {}
    for key, dimension, group, yes, judged in rows:
        where = (key, None, "") if dimension is None else (key, dimension,
                                                           _label(dimension, group))
        tally = merged.setdefault(where, [0, 0])
        tally[0] += yes
        tally[1] += judged
    return [Count(*where, yes, judged) for where, (yes, judged) in merged.items()
            if judged or where[1] is None]


def _label(dimension: str, code: str | None) -> str:
    if code is None or code == "":
        return NOT_RECORDED
    labels = _LABELS.get(dimension)
    return labels.label(code) if labels else code


def _statuses(choice: PoolingChoice) -> list[str]:
    return [str(s) for s in CaseStatus] if choice.provisional else [CaseStatus.APPROVED]


def _left_out(conn: Connection, params: dict) -> list[LeftOut]:
    """The family's inspections in scope that the rules leave out, and why."""
    found = []
    for name, year, design, superseded_by in conn.execute(text(f"""
            SELECT i.name, {_YEAR}, i.sample_design,
                   (SELECT string_agg(r.name, '; ' ORDER BY r.name) FROM inspections r
                    WHERE r.reinspects_id = i.id AND r.id <> i.id
                      AND r.programme = i.programme
                      AND coalesce(r.start_date, 'infinity')
                          >= coalesce(i.start_date, '-infinity'))
            FROM inspections i JOIN frameworks f ON f.id = i.framework_id
            WHERE f.framework_key = :family AND {_IN_SCOPE}
            ORDER BY 2, 1"""), params):
        label = f"{name} ({year})" if year else name
        if design != params["design"]:
            found.append(LeftOut(label, f"a {design} sample, not pooled with "
                                        f"{params['design']} ones"))
        elif params["latest"] and superseded_by:
            found.append(LeftOut(label, f"re-inspected later by {superseded_by}"))
    return found


def _key_questions(conn: Connection, family: str) -> tuple[dict[str, str], list[str]]:
    """The family's key questions (their wording from its newest version that has them, in
    that version's order), and those of them that are need matrices."""
    versions = conn.execute(text(
        "SELECT content_sha256, content, framework_key, version FROM frameworks "
        "WHERE framework_key = :f"), {"f": family}).all()
    versions.sort(key=lambda row: version_key(row[3]), reverse=True)
    questions: dict[str, str] = {}
    matrices = set()
    for row in versions:
        for key, question in question_set(*row).items():
            if question.key_question and key not in questions:
                questions[key] = question.text
                if question.type == QuestionType.NEED_MATRIX:
                    matrices.add(key)
    return questions, sorted(matrices)
