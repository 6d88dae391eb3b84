"""Findings pooled across inspections, counted by PostgreSQL in the central store.

One aggregate query with a grouping set per dimension counts, for every key question of the
framework family chosen, the cases judged sufficient and the cases judged, over the
inspections the analysis's rules let in (``app.core.pooling``); only those counts leave the
database, never a case. The intervals and differences are worked out from them in
``app.core.pooling``. It runs in a read-only transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import replace

from sqlalchemy import Connection, Engine, text

from app.core.frameworks import Framework, QuestionType, version_key
from app.core.inspection_details import ORGANISATION_TYPE, REGION
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
from app.sync.applicability_sql import applicability
from app.sync.judge import parsed_framework

#: how long a pooled query may take before the store stops it (milliseconds)
POOLED_TIMEOUT_MS = 120_000
#: for the pooled query only: memory enough to count its groups in hash tables rather than
#: sorting the answers on disk, and no compiling of the query (which took a second of the
#: query's time at 100,000 cases, to save less)
POOLED_SETTINGS = {"work_mem": "64MB", "jit": "off"}
#: the labels of each dimension's stored codes
_LABELS = {"programme": PROGRAMMES, "organisation_type": ORGANISATION_TYPE, "region": REGION,
           "gender": GENDER,
           "rosh": RISK_LEVEL, "sentence_type": SENTENCE_TYPE, "phase": PHASE}

_YEAR = "coalesce(i.year, extract(year FROM i.start_date)::int)"
#: the inspections of the chosen programmes and years, by the sample design chosen
_IN_SCOPE = f"""
    (cardinality(CAST(:years AS int[])) = 0 OR {_YEAR} = ANY(CAST(:years AS int[])))
    AND (cardinality(CAST(:programmes AS text[])) = 0
         OR i.programme = ANY(CAST(:programmes AS text[])))"""
#: ``r`` re-inspects ``i`` and stands in its place: of the same programme, later by the dates
#: both give (the start date, else the 1st of January of the year), and with a case form
#: counted (approved, unless provisional figures are asked for). An inspection named by
#: mistake, or by a re-inspection with no work in it yet, is left in.
_REPLACES = """r.reinspects_id = i.id AND r.id <> i.id AND r.programme = i.programme
    AND coalesce(r.start_date, make_date(r.year, 1, 1))
        > coalesce(i.start_date, make_date(i.year, 1, 1))
    AND EXISTS (SELECT 1 FROM cases rc WHERE rc.inspection_id = r.id
                AND rc.status = ANY(CAST(:statuses AS text[])))"""
_SUPERSEDED = f"EXISTS (SELECT 1 FROM inspections r WHERE {_REPLACES})"


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
#: when every row that applies, ``ro.rows_of``, judged is Yes, No when any is No)
_VERDICT = """
    CASE a.value::text WHEN '"yes"' THEN true WHEN '"no"' THEN false ELSE
        CASE json_typeof(a.value)
            WHEN 'string' THEN CASE a.value #>> '{}' WHEN 'yes' THEN true
                                                   WHEN 'no' THEN false END
            WHEN 'object' THEN CASE WHEN a.question_key = ANY(CAST(:matrices AS text[])) THEN
                (SELECT bool_and(e.v = 'yes') FROM json_each_text(a.value) AS e(k, v)
                 WHERE e.v IN ('yes', 'no') AND (ro.rows_of IS NULL OR ro.rows_of ? e.k)) END
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
    if not families:
        raise ValidationError("No inspection of the years and programmes chosen is in the "
                              "central store.",
                              "Choose other years or programmes, or none to take them all.")
    if family is None:
        if len(families) != 1:
            raise ValidationError(
                "Choose one framework family to pool: "
                + ", ".join(f"{k} ({n} inspection{'s' if n != 1 else ''})"
                            for k, n in families.items()) + ".",
                "Pooling compares like with like: one family at a time (--framework).")
        family = next(iter(families))
    elif family not in families:
        raise ValidationError(
            f"No inspection of the years and programmes chosen uses the framework family "
            f"'{family}'.", "Families with inspections: " + ", ".join(families) + ".")
    choice = replace(choice, family=family)
    questions, matrices, frameworks = _key_questions(conn, family)
    if not questions:
        raise ValidationError(f"The framework family '{family}' marks no key questions.",
                              "Pooled figures are of key questions; choose another family.")
    params = {**scope, "family": family, "design": choice.sample_design,
              "latest": choice.latest_only, "keys": list(questions), "matrices": matrices,
              "statuses": _statuses(choice)}
    left_out = _left_out(conn, params)
    chosen = f"""
        SELECT i.id, {_YEAR} AS year, i.programme, i.organisation_type, i.region,
               i.start_date, i.framework_id
        FROM inspections i JOIN frameworks f ON f.id = i.framework_id
        WHERE f.framework_key = :family AND i.sample_design = :design AND {_IN_SCOPE}
          AND NOT (:latest AND {_SUPERSEDED})"""
    inspections, cases = conn.execute(text(
        f"SELECT count(DISTINCT ch.id), count(c.id) FROM ({chosen}) ch "
        f"LEFT JOIN cases c ON c.inspection_id = ch.id "
        f"AND c.status = ANY(CAST(:statuses AS text[]))"), params).one()
    counts = _counts(conn, chosen, choice.by, params, frameworks)
    return pooled_findings(choice, counts, questions, inspections=inspections, cases=cases,
                           left_out=left_out, families=tuple(families))


def _counts(conn: Connection, chosen: str, by: tuple[str, ...], params: dict,
            frameworks: dict[uuid.UUID, Framework]) -> list[Count]:
    """The counts over all cases and for each group of each dimension in ``by``, in one pass
    over the answers (a grouping set for all cases and one per dimension); each case's
    groups, and which key questions apply to it, are worked out once before its answers are
    read."""
    keys = list(params["keys"])
    rules = {framework_id: applicability(framework, set(keys), f"v{n}")
             for n, (framework_id, framework) in enumerate(frameworks.items())}
    params = {**params}
    for rule in rules.values():
        params.update(rule.params)
    referenced = sorted(set().union(*(r.referenced for r in rules.values())))
    versions = {framework_id: f"fw{n}" for n, framework_id in enumerate(rules)}
    params.update({name: framework_id for framework_id, name in versions.items()})
    params.update({f"key{n}": key for n, key in enumerate(keys)})
    params["referenced"] = referenced
    # the answers the rules read, a case's as one JSON object: taken by an aggregate that
    # PostgreSQL can split between workers, then made JSON once a case
    params.update({f"ref{n}": key for n, key in enumerate(referenced)})
    pivot = ", ".join(f"CAST(:ref{n} AS text), "
                      f"max(value::text) FILTER (WHERE question_key = :ref{n})::jsonb"
                      for n in range(len(referenced))) or "'-', NULL"

    def per_version(pick) -> str:
        arms = " ".join(f"WHEN :{versions[framework_id]} THEN {pick(rule)}"
                        for framework_id, rule in rules.items() if pick(rule) is not None)
        return f"CASE ch.framework_id {arms} END" if arms else "NULL"

    applies = "".join(
        f", coalesce({per_version(lambda r, k=key: r.applies.get(k))}, false) AS applies{n}"
        for n, key in enumerate(keys))
    rows = "".join(f", {per_version(lambda r, k=key: r.rows.get(k))} AS rows{n}"
                   for n, key in enumerate(keys) if key in params["matrices"])
    laterals = "".join(f", {lateral}" for rule in rules.values() for lateral in rule.laterals)
    refs = ("LEFT JOIN refs ON refs.case_id = c.id" if referenced
            else "LEFT JOIN (SELECT NULL::uuid AS case_id, NULL::jsonb AS answers) refs "
                 "ON false")
    applying = " ".join(f"WHEN :key{n} THEN cs.applies{n}" for n in range(len(keys)))
    matrix_rows = " ".join(f"WHEN :key{n} THEN cs.rows{n}" for n, key in enumerate(keys)
                           if key in params["matrices"])
    columns = "".join(f", {_VALUES[d]} AS {d}" for d in by)
    carried = "".join(f", cs.{d}" for d in by)
    sets = ", ".join(["(question_key)", *(f"(question_key, {d})" for d in by)])
    which = " ".join(f"WHEN GROUPING({d}) = 0 THEN '{d}'" for d in by)
    value = " ".join(f"WHEN GROUPING({d}) = 0 THEN {d}" for d in by)
    ethnic = [(c.code, c.group) for c in ETHNICITY.choices if c.group]
    params.update({"ethnic_codes": [c for c, _ in ethnic],
                   "ethnic_groups": [g for _, g in ethnic]})
    rows_of = f"CASE a.question_key {matrix_rows} END" if matrix_rows else "NULL::jsonb"
    found = conn.execute(text(f"""
        WITH ch AS ({chosen}),
        eg AS (SELECT * FROM unnest(CAST(:ethnic_codes AS text[]),
                                    CAST(:ethnic_groups AS text[])) AS eg(code, grp)),
        refs AS (
            SELECT case_id, jsonb_build_object({pivot}) AS answers
            FROM answers WHERE question_key = ANY(CAST(:referenced AS text[]))
            GROUP BY case_id),
        cs AS MATERIALIZED (
            SELECT c.id{columns}{applies}{rows}
            FROM ch JOIN cases c ON c.inspection_id = ch.id
            LEFT JOIN eg ON eg.code = c.ethnicity
            {refs},
            LATERAL (SELECT date_part('year', age(coalesce(ch.start_date, current_date),
                                                  c.date_of_birth)) AS age) ag{laterals}
            WHERE c.status = ANY(CAST(:statuses AS text[]))),
        judged AS (
            SELECT a.question_key{carried},
                   CASE WHEN CASE a.question_key {applying} END THEN {_VERDICT} END AS verdict
            FROM answers a JOIN cs ON cs.id = a.case_id,
            LATERAL (SELECT {rows_of} AS rows_of) ro
            WHERE a.question_key = ANY(CAST(:keys AS text[])))
        SELECT question_key, {f"CASE {which} END" if by else "NULL"},
               {f"CASE {value} END" if by else "NULL"},
               count(*) FILTER (WHERE verdict), count(verdict)
        FROM judged GROUP BY GROUPING SETS ({sets})"""), params)
    # a code whose label is "Not recorded" and a value never recorded are one group
    merged: dict[tuple[str, str | None, str], list[int]] = {}
    for key, dimension, group, yes, judged in found:
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
                    WHERE {_REPLACES})
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


def _key_questions(conn: Connection, family: str
                   ) -> tuple[dict[str, str], list[str], dict[uuid.UUID, Framework]]:
    """The family's key questions (their wording from its newest version that has them, in
    that version's order), those of them that are need matrices, and its versions by id."""
    versions = conn.execute(text(
        "SELECT content_sha256, content, framework_key, version, id FROM frameworks "
        "WHERE framework_key = :f"), {"f": family}).all()
    versions.sort(key=lambda row: version_key(row[3]), reverse=True)
    questions: dict[str, str] = {}
    matrices = set()
    frameworks = {}
    for row in versions:
        framework = parsed_framework(*row[:4])
        if framework is None:
            continue
        frameworks[row[4]] = framework
        for question in framework.questions():
            if question.key_question and question.key not in questions:
                questions[question.key] = question.text
                if question.type == QuestionType.NEED_MATRIX:
                    matrices.add(question.key)
    return questions, sorted(matrices), frameworks
