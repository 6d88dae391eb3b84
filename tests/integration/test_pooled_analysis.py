"""Findings pooled across inspections by the central service, for analysts: the figures match
those recomputed in Python from the store's rows; the rules (latest re-inspection only,
targeted samples apart, one framework family) change exactly the inspections they should;
small cells are suppressed and only they; an analyst reads figures and nothing else."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from sqlalchemy import create_engine, text

from app.core.intervals import wilson_interval
from app.core.pooling import DIMENSIONS, PoolingChoice, findings_from_wire
from app.sync.central import CentralError, add_user, reset_password
from app.sync.client import ServiceLink
from tests.integration.pooled_store import (
    INSPECTIONS,
    KEYS,
    PEOPLE,
    expected_counts,
    fill,
    make_cases,
)
from tests.integration.sync_fixtures import PASSWORD
from tests.service import in_thread

ALL_DIMENSIONS = tuple(code for code, _ in DIMENSIONS)
#: the inspections the published rules pool by default: A is re-inspected by C, D is a
#: targeted sample, E of another framework family
POOLED = {"Brenshire 2020", "Aireshire 2021"}


@pytest.fixture
def pooled_store(central):
    cases = make_cases()
    fill(central, cases)
    add_user(central, login="ann.analyst", name="Ann Analyst", role="analyst",
             password=PASSWORD)
    add_user(central, login="ian.inspector", name="Ian Inspector", role="inspector",
             password=PASSWORD)
    # an administrator's findings may show cells of any size, to compare every count
    add_user(central, login="ada.admin", name="Ada Admin", role="admin", password=PASSWORD)
    return central, cases


def sign_in(service, login: str) -> str:
    status, answer, _ = service.call("POST", "/session", {"login": login,
                                                          "password": PASSWORD})
    assert status == 200, answer
    return answer["token"]


def counts_of(findings) -> dict:
    return {(f.question_key, f.dimension, f.group): (f.sufficient, f.judged)
            for f in findings.figures}


def ask(central: str, choice: PoolingChoice, login: str = "ada.admin"):
    with ServiceLink(in_thread(central).base, login, PASSWORD) as link:
        return link.pooled(choice)


def test_pooled_figures_match_those_recomputed_from_the_rows(pooled_store):
    central, cases = pooled_store
    findings = ask(central, PoolingChoice(family="pooled", suppress_below=0))
    expected = expected_counts(cases, POOLED, ALL_DIMENSIONS)
    assert counts_of(findings) == expected
    assert findings.inspections == len(POOLED)
    assert findings.cases == sum(c.inspection.name in POOLED and c.status == "approved"
                                 for c in cases)
    for figure in findings.figures:
        assert (figure.low, figure.high) == pytest.approx(
            wilson_interval(figure.sufficient, figure.judged))
        assert figure.share == pytest.approx(figure.sufficient / figure.judged)
    # each group against the rest of the cases judged on the same question
    difference = next(d for d in findings.differences
                      if d.dimension == "region" and d.group == "South West")
    south = expected[(difference.question_key, "region", "South West")]
    whole = expected[(difference.question_key, None, "")]
    rest = (whole[0] - south[0], whole[1] - south[1])
    assert difference.difference == pytest.approx(south[0] / south[1] - rest[0] / rest[1])
    assert difference.low < difference.difference < difference.high
    # every choice made is said on the output
    said = " ".join(findings.statements)
    for words in ("pooled", "random samples only", "only the latest inspection",
                  "approved case forms only"):
        assert words in said
    assert {o.inspection.split(" (")[0]: o.why for o in findings.left_out} == {
        "Aireshire 2019": "re-inspected later by Aireshire 2021",
        "Dunshire joint": "a targeted sample, not pooled with random ones"}


def test_each_rule_changes_exactly_the_inspections_it_should(pooled_store):
    central, cases = pooled_store
    by = ("year",)
    every = ask(central, PoolingChoice(family="pooled", latest_only=False, by=by,
                                       suppress_below=0))
    assert counts_of(every) == expected_counts(cases, POOLED | {"Aireshire 2019"}, by)
    targeted = ask(central, PoolingChoice(family="pooled", sample_design="targeted", by=by,
                                          suppress_below=0))
    assert counts_of(targeted) == expected_counts(cases, {"Dunshire joint"}, by)
    provisional = ask(central, PoolingChoice(family="pooled", provisional=True, by=by,
                                             suppress_below=0))
    assert counts_of(provisional) == expected_counts(
        cases, POOLED, by, frozenset({"approved", "in_progress", "submitted"}))
    only_2020 = ask(central, PoolingChoice(family="pooled", years=(2020,), by=by,
                                           suppress_below=0))
    assert counts_of(only_2020) == expected_counts(cases, {"Brenshire 2020"}, by)
    # one family at a time: asked for none, the service names those there are
    with pytest.raises(CentralError, match=r"elsewhere \(1 inspection\), pooled \(4") \
            as refused:
        ask(central, PoolingChoice(by=by))
    assert "one family at a time" in refused.value.advice
    other = ask(central, PoolingChoice(family="elsewhere", by=by, suppress_below=0))
    assert other.inspections == 1 and other.families == ("elsewhere", "pooled")


def test_suppression_hides_exactly_the_small_cells(pooled_store):
    central, cases = pooled_store
    threshold = 12
    findings = ask(central, PoolingChoice(family="pooled", suppress_below=threshold))
    expected = expected_counts(cases, POOLED, ALL_DIMENSIONS)
    assert len(findings.figures) == len(expected)
    small = {k for k, (_, judged) in expected.items() if judged < threshold}
    assert small and len(small) < len(expected)  # the test has both kinds
    for figure in findings.figures:
        key = (figure.question_key, figure.dimension, figure.group)
        if key in small:
            assert figure.suppressed
            assert (figure.sufficient, figure.judged, figure.share, figure.low,
                    figure.high) == (None,) * 5
        else:
            assert not figure.suppressed and (figure.sufficient, figure.judged) == expected[key]
    for difference in findings.differences:
        key = (difference.question_key, difference.dimension, difference.group)
        whole = expected[(difference.question_key, None, "")]
        rest = whole[1] - expected[key][1]
        assert difference.suppressed == (key in small or rest < threshold)
        if difference.suppressed:
            assert difference.difference is None and difference.low is None


def test_an_analyst_reads_figures_and_nothing_else(pooled_store):
    central, cases = pooled_store
    service = in_thread(central)
    token = sign_in(service, "ann.analyst")
    status, answer, _ = service.call("GET", "/analysis?framework=pooled&suppress_below=0",
                                     token=token)
    assert status == 400 and "at the least" in answer["error"]  # no cell of one case
    status, answer, _ = service.call("GET", "/analysis?framework=pooled&suppress_below=5",
                                     token=token)
    assert status == 200, answer
    findings = findings_from_wire(answer)
    assert {f.question_key for f in findings.figures} == set(KEYS)
    # no reference, date of birth, name or login anywhere in what an analyst is given
    written = json.dumps(answer)
    for case in cases:
        assert case.reference not in written
        if case.born:
            assert case.born.isoformat() not in written
    for name in (*PEOPLE, "jane.inspector"):
        assert name not in written
    # an analyst syncs nothing, reads no inspection, writes nothing
    for method, path, body in (
            ("GET", "/sync/changes?after=0", None),
            ("POST", "/sync/payloads", {"seqs": [1]}),
            ("GET", f"/sync/inspections/{INSPECTIONS[0].id}", None),
            ("POST", "/sync/cases", {"ids": []}),
            ("POST", "/sync/push", {"changes": []}),
            ("GET", "/frameworks", None)):
        status, answer, _ = service.call(method, path, body, token=token)
        assert status == 403, (path, status, answer)
        assert "analyst" in answer["error"]
    status, _, _ = service.call("POST", "/sync/transfer", raw=b"ASPIRE", token=token)
    assert status == 403
    # an inspector is not an analyst
    status, answer, _ = service.call("GET", "/analysis?framework=pooled",
                                     token=sign_in(service, "ian.inspector"))
    assert status == 403 and "analysts" in answer["error"]


def test_a_question_about_the_analysis_that_cannot_be_read_is_refused_by_name(pooled_store):
    central, _ = pooled_store
    service = in_thread(central)
    token = sign_in(service, "ann.analyst")
    for query, named in (("by=shoe_size", "shoe_size"), ("sample=convenience", "convenience"),
                         ("suppress_below=-3", "suppress_below"), ("year=twenty", "year"),
                         ("latest_only=maybe", "latest_only"), ("reference=X", "reference"),
                         ("framework=nothing", "nothing")):
        status, answer, _ = service.call("GET", "/analysis?" + query, token=token)
        assert status == 400, (query, answer)
        assert named in answer["error"], (query, answer)


def test_an_analyst_takes_the_findings_to_excel_r_and_the_terminal(pooled_store, tmp_path):
    central, cases = pooled_store
    import openpyxl
    import pyarrow.parquet as pq

    from app.core.pooling import FINDINGS_COLUMNS
    from tests.cli import as_json, aspire

    env = {"ASPIRE_CENTRAL": in_thread(central).base, "ASPIRE_CENTRAL_LOGIN": "ann.analyst",
           "ASPIRE_CENTRAL_PASSWORD": PASSWORD}
    by = ("gender", "region")
    asked = ["analysis", "--framework", "pooled", "--by", "gender", "--by", "region",
             "--suppress-below", "5"]
    expected = {k: v for k, v in expected_counts(cases, POOLED, by).items() if v[1] >= 5}
    told = as_json(aspire(*asked, "--json", env=env))
    assert {k: v for k, v in counts_of(findings_from_wire(told)).items()
            if v != (None, None)} == expected
    # the workbook: its findings read back as the service gave them, its choices said
    workbook_path = tmp_path / "pooled.xlsx"
    written = aspire(*asked, "-o", str(workbook_path), env=env)
    assert written.returncode == 0, written.stderr
    workbook = openpyxl.load_workbook(workbook_path, read_only=True)
    try:
        rows = list(workbook["Findings"].iter_rows(values_only=True))
        assert rows[0] == FINDINGS_COLUMNS
        got = {(r[0], None if r[2] == "All cases" else {"Gender": "gender",
                                                         "Region": "region"}[r[2]],
                "" if r[2] == "All cases" else r[3]): (r[4], r[5]) for r in rows[1:]
               if r[5] is not None}
        assert got == expected
        about = " ".join(str(r[0]) for r in workbook["About"].iter_rows(values_only=True))
        assert "random samples only" in about and "Aireshire 2019" in about
        assert [r[1] for r in workbook["Key questions"].iter_rows(min_row=2,
                                                                   values_only=True)] == \
            list(KEYS)
    finally:
        workbook.close()
    # Parquet: typed columns, the choices in the file's own notes
    parquet_path = tmp_path / "pooled.parquet"
    assert aspire(*asked, "-o", str(parquet_path), env=env).returncode == 0
    table = pq.read_table(parquet_path)
    assert table.column_names == list(FINDINGS_COLUMNS)
    assert str(table.schema.field("judged").type) == "int64"
    assert str(table.schema.field("share").type) == "double"
    frame = table.to_pylist()
    assert {(r["question_key"], None if r["split_by"] == "All cases" else
             r["split_by"].lower(), "" if r["split_by"] == "All cases" else r["group"]):
            (r["sufficient"], r["judged"]) for r in frame if r["judged"] is not None} == expected
    notes = table.schema.metadata
    assert b"only the latest inspection" in notes[b"choices"]
    assert notes[b"framework_family"] == b"pooled"
    # the terminal: the key questions and the choices
    shown = aspire("analysis", "--framework", "pooled", "--by", "year", env=env)
    assert shown.returncode == 0 and "95% interval" in shown.stdout
    assert "random samples only" in shown.stdout
    # what cannot be written or asked is refused by name, before the password is used
    for extra, named in ((["-o", str(tmp_path / "pooled.csv")], "pooled.csv"),
                         (["--suppress-below", "-1"], "-1"),
                         (["-o", "-"], "standard output")):
        refused = aspire("analysis", "--framework", "pooled", *extra, env=env)
        assert refused.returncode == 1 and named in refused.stderr, refused.stderr
    assert not (tmp_path / "pooled.csv").exists()
    wrong = aspire("analysis", "--framework", "pooled",
                   env={**env, "ASPIRE_CENTRAL_PASSWORD": "not the password at all"})
    assert wrong.returncode == 1 and "login and password" in wrong.stderr
    # an administrator resets the analyst's password; the analyst changes it, and goes on
    reset_password(central, login="ann.analyst", password="a password to change at once")
    reset = {**env, "ASPIRE_CENTRAL_PASSWORD": "a password to change at once"}
    told = aspire("analysis", "--framework", "pooled", env=reset)
    assert told.returncode == 1 and "aspire analysis --change-password" in told.stderr
    changed = aspire("analysis", "--change-password",
                     env={**reset, "ASPIRE_NEW_PASSWORD": "the analyst's own new password"})
    assert changed.returncode == 0, changed.stderr
    again = aspire("analysis", "--framework", "pooled", "--json",
                   env={**env, "ASPIRE_CENTRAL_PASSWORD": "the analyst's own new password"})
    assert again.returncode == 0, again.stderr


def test_pooled_queries_beyond_what_an_instance_works_out_at_once_wait_their_turn(
        pooled_store, monkeypatch):
    from app.server import web

    central, _ = pooled_store
    monkeypatch.setattr(web, "ANALYSES_AT_ONCE", 0)  # as though two were being worked out
    service = in_thread(central)
    status, answer, headers = service.call("GET", "/analysis?framework=pooled",
                                           token=sign_in(service, "ann.analyst"))
    assert status == 429 and headers["retry-after"] == "30"
    assert "other pooled findings" in answer["error"]


def test_a_re_inspection_leaves_out_only_an_earlier_inspection_it_has_work_to_stand_for(
        pooled_store):
    """A hostile laptop (or a slip) naming another team's inspection as re-inspected by an
    empty one, an earlier one or one of another programme leaves it in; two naming each other
    leave out at most one."""
    central, cases = pooled_store
    by = ("year",)
    brenshire = next(i for i in INSPECTIONS if i.name == "Brenshire 2020")
    engine = create_engine(central)
    try:
        with engine.begin() as conn:
            framework_id = conn.scalar(text("SELECT framework_id FROM inspections WHERE "
                                            "id = :i"), {"i": brenshire.id})
            for name, start, programme, approved in (
                    ("Empty later", dt.date(2023, 1, 1), "adult_probation", 0),
                    ("Earlier", dt.date(2019, 1, 1), "adult_probation", 3),
                    ("Youth later", dt.date(2023, 1, 1), "youth_offending", 3)):
                made = uuid.uuid4()
                conn.execute(text(
                    "INSERT INTO inspections (id, rev, updated_at, updated_by, device_id, "
                    "name, programme, organisation, area, start_date, framework_id, status, "
                    "organisation_type, region, sample_design, reinspects_id) SELECT :id, 1, "
                    "now(), 'x', device_id, :n, :p, 'Elsewhere', '', :s, :f, 'open', '', '', "
                    "'random', :r FROM inspections WHERE id = :r"),
                    {"id": made, "n": name, "p": programme, "s": start, "f": framework_id,
                     "r": brenshire.id})
                for n in range(approved):
                    conn.execute(text(
                        "INSERT INTO cases (id, rev, updated_at, updated_by, device_id, "
                        "inspection_id, reference, status, notes) VALUES (:id, 1, now(), 'x', "
                        ":d, :i, :ref, 'approved', '')"),
                        {"id": uuid.uuid4(), "d": uuid.uuid4(), "i": made,
                         "ref": f"{name[:3]}{n}"})
    finally:
        engine.dispose()
    found = ask(central, PoolingChoice(family="pooled", by=by, suppress_below=0))
    assert counts_of(found) == expected_counts(cases, POOLED, by)  # Brenshire is still in
    assert not any("Brenshire" in o.inspection for o in found.left_out)
