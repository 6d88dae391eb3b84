"""The ``aspire`` command line: run in the test's process, and as a real child process where
only a process shows it (starting, exit codes, a folder it may not write to)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from app import __version__
from tests.cli import ROOT, as_json, aspire, aspire_process

# Root ignores file permissions; drop that override so read-only folders really are.
UNPRIVILEGED = (["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner"]
                if os.geteuid() == 0 else [])


def test_version():
    result = aspire_process("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"aspire {__version__}"


def test_create_and_list_inspections_and_cases(tmp_path):
    db = tmp_path / "c.db"
    created = as_json(aspire("inspections", "create", "--name", "Northshire",
                             "--programme", "adult_probation", "--organisation", "Northshire CRC",
                             "--start", "07/09/2026", "--end", "18/09/2026", "--json", db=db))
    assert created["framework"] == "adult-probation" and created["start_date"] == "2026-09-07"
    listed = as_json(aspire("inspections", "list", "--json", db=db))
    assert [i["id"] for i in listed] == [created["id"]]
    assert set(listed[0]) >= {"id", "name", "programme", "organisation", "framework",
                              "framework_version", "status", "case_count"}
    cases = as_json(aspire("cases", "list", "--inspection", created["id"], "--json", db=db))
    assert cases == []


def test_an_inspection_says_what_pooling_reads_when_created_and_changes_it_later(tmp_path):
    db = tmp_path / "pool.db"
    earlier = as_json(aspire("inspections", "create", "--name", "Aireshire 2019",
                             "--programme", "adult_probation", "--organisation", "Aireshire",
                             "--start", "04/03/2019", "--json", db=db))
    assert (earlier["year"], earlier["sample_design"], earlier["reinspects"]) == \
        (None, "random", None)
    later = as_json(aspire("inspections", "create", "--name", "Aireshire 2021",
                           "--programme", "adult_probation", "--organisation", "Aireshire",
                           "--year", "2021", "--organisation-type", "crc", "--region", "north_east",
                           "--sample", "targeted", "--reinspects", earlier["id"], "--json",
                           db=db))
    assert (later["year"], later["organisation_type"], later["region"],
            later["sample_design"], later["reinspects"]) == (2021, "crc", "north_east", "targeted",
                                                             earlier["id"])
    changed = as_json(aspire("inspections", "set-details", "--inspection", later["id"],
                             "--sample", "random", "--reinspects", "none", "--json", db=db))
    # what was not given stays as it was
    assert (changed["year"], changed["region"], changed["sample_design"],
            changed["reinspects"]) == (2021, "north_east", "random", None)
    listed = {i["id"]: i for i in as_json(aspire("inspections", "list", "--json", db=db))}
    assert listed[later["id"]]["sample_design"] == "random"
    # a value the rules refuse is named, and nothing changes
    for option, value, named in (("--year", "1066", "year"),
                                 ("--reinspects", later["id"], "re-inspect")):
        refused = aspire("inspections", "set-details", "--inspection", later["id"], option,
                         value, db=db)
        assert refused.returncode == 1 and named in refused.stderr, refused.stderr
    assert as_json(aspire("inspections", "list", "--json", db=db)) == list(listed.values())


def test_db_option_after_the_subcommand_and_environment_variable(tmp_path):
    db = tmp_path / "env.db"
    as_json(aspire("inspections", "create", "--name", "A", "--programme", "youth_offending",
                   "--organisation", "Northshire YOS", "--json", env={"ASPIRE_DB": str(db)}))
    via_option = as_json(aspire("inspections", "list", "--json", "--db", str(db)))
    assert [i["name"] for i in via_option] == ["A"]
    assert via_option[0]["framework"] == "youth-offending"


def test_demo_then_cases_list(tmp_path):
    db = tmp_path / "demo.db"
    demo = as_json(aspire("demo", "--cases", "10", "--seed", "7", "--json", db=db))
    assert demo["case_count"] == 10
    cases = as_json(aspire("cases", "list", "--inspection", demo["id"], "--json", db=db))
    assert len(cases) == 10
    assert {"id", "reference", "status", "percent"} <= set(cases[0])
    statuses = {c["status"] for c in cases}
    assert {"not_started", "in_progress"} <= statuses
    assert any(c["percent"] == 100 for c in cases) and any(0 < c["percent"] < 100 for c in cases)


def test_frameworks_list(tmp_path):
    listed = as_json(aspire("frameworks", "list", "--json", db=tmp_path / "f.db"))
    assert {(f["id"], f["version"]) for f in listed} >= {
        ("adult-probation", "1.0"), ("youth-offending", "1.0"),
        ("adult-case-supervision", "2018.1"), ("through-the-gate", "2017.1")}
    assert all(f["questions"] >= 5 and f["source"] == "file" for f in listed)


def test_db_check_and_backup(tmp_path):
    db = tmp_path / "h.db"
    aspire("demo", "--cases", "3", db=db)
    check = as_json(aspire("db", "check", "--json", db=db))
    assert check["ok"] is True and check["integrity"] == "ok"
    assert check["counts"]["cases"] == 3 and check["pending_changes"] > 0
    target = tmp_path / "copy.db"
    backup = as_json(aspire("db", "backup", str(target), "--json", db=db))
    assert backup["path"] == str(target.resolve())
    copy = as_json(aspire("db", "check", "--json", db=target))
    assert copy["counts"] == check["counts"]
    again = aspire("db", "backup", str(target), db=db)
    assert again.returncode == 1 and "already exists" in again.stderr


def test_errors_go_to_stderr_with_nonzero_exit(tmp_path):
    db = tmp_path / "e.db"
    nobody = "00000000-0000-0000-0000-000000000000"
    missing = aspire_process("cases", "list", "--inspection", nobody, db=db)
    assert missing.returncode == 1 and missing.stdout == ""
    assert "no inspection with id" in missing.stderr and "aspire inspections list" in missing.stderr
    error = json.loads(aspire("cases", "list", "--inspection", nobody, "--json", db=db).stderr)
    assert error["error"] == "NotFoundError" and error["advice"]
    usage = aspire_process("cases", "list", "--inspection", "not-an-id", db=db)
    assert usage.returncode == 2 and "not an id" in usage.stderr


def test_not_a_database(tmp_path):
    bogus = tmp_path / "bogus.db"
    bogus.write_bytes(b"PK\x03\x04 this is a spreadsheet")
    result = aspire("inspections", "list", db=bogus)
    assert result.returncode == 1 and "not an ASPIRE Casework database" in result.stderr
    assert bogus.read_bytes() == b"PK\x03\x04 this is a spreadsheet"


@pytest.fixture
def locked_folder(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    yield folder
    folder.chmod(0o755)


def test_read_only_folder(locked_folder):
    locked_folder.chmod(0o555)
    result = aspire_process("inspections", "list", db=locked_folder / "cases.db",
                            prefix=UNPRIVILEGED)
    assert result.returncode == 1, result.stderr
    assert "read-only" in result.stderr and "--db" in result.stderr
    assert list(locked_folder.iterdir()) == []


def test_read_only_database_file(tmp_path, locked_folder):
    db = locked_folder / "cases.db"
    aspire("demo", "--cases", "2", db=db)
    db.chmod(0o444)
    before = db.read_bytes()
    result = aspire_process("demo", "--cases", "2", db=db, prefix=UNPRIVILEGED)
    assert result.returncode == 1 and "read-only" in result.stderr
    assert db.read_bytes() == before


def test_invalid_framework_file_is_reported_with_file_key_and_problem(tmp_path):
    folder = tmp_path / "frameworks"
    folder.mkdir()
    (folder / "thematic.json").write_text(
        '{"format": 1, "id": "women", "version": "1", "title": "Women", '
        '"programme": "thematic", "sections": [{"key": "s", "title": "S", "stage": "review", '
        '"questions": [{"key": "offered_female_officer", "text": "Offered?", "type": "yes_no"}]}]}')
    result = aspire("frameworks", "list", db=tmp_path / "f.db",
                    env={"ASPIRE_FRAMEWORKS_DIR": str(folder)})
    assert result.returncode == 1
    assert "thematic.json" in result.stderr
    assert ("thematic.json: offered_female_officer: a yes/no judgement needs 'reasons'"
            in result.stderr)
    created = aspire("inspections", "create", "--name", "W", "--programme", "thematic",
                     "--organisation", "X", "--framework", "women", db=tmp_path / "f.db",
                     env={"ASPIRE_FRAMEWORKS_DIR": str(folder)})
    assert created.returncode == 1 and "thematic.json" in created.stderr
    listed = as_json(aspire("inspections", "list", "--json", db=tmp_path / "f.db"))
    assert listed == []


def test_import_sample_team_and_assign_from_the_command_line(tmp_path):
    from tests.integration.case_list_builders import csv_file
    db = tmp_path / "s.db"
    inspection = as_json(aspire("inspections", "create", "--name", "N", "--programme",
                                "adult_probation", "--organisation", "O", "--json", db=db))
    rows = [["Case reference", "Gender", "Sentence type", "RoSH"]]
    rows += [[f"X{i:03d}", "F" if i < 4 else "M", ("CO", "SSO", "Licence")[i % 3],
              ("L", "M", "H")[i % 3]] for i in range(60)]
    listing = csv_file(tmp_path / "caseload.csv", rows)
    dry = as_json(aspire("import-cases", str(listing), "--inspection", inspection["id"],
                         "--dry-run", "--json", db=db))
    assert dry["dry_run"] and dry["new_cases"] == 60 and dry["imported"] == 0
    assert {c["header"]: c["field"] for c in dry["columns"]}["RoSH"] == "rosh"
    done = as_json(aspire("import-cases", str(listing), "--inspection", inspection["id"],
                          "--json", db=db))
    assert done["imported"] == 60

    plan = as_json(aspire("sample", "plan", "--inspection", inspection["id"], "--confidence",
                          "95", "--margin", "10", "--json", db=db))
    assert plan["population"] == 60 and plan["size"] == 38  # 95%, ±10 points, N = 60
    drawn = as_json(aspire("sample", "draw", "--inspection", inspection["id"], "--seed", "11",
                           "--json", db=db))
    again = as_json(aspire("sample", "show", "--inspection", inspection["id"], "--json", db=db))
    assert drawn["seed"] == 11 and again["cases"] == drawn["cases"]
    in_sample = [c["reference"] for c in drawn["cases"] if c["status"] == "in_sample"]
    assert len(in_sample) == drawn["total"] == 45  # 80%, ±5 points: 164.2 / (1 + 163.2 / 60)
    assert any(p["attribute"] == "gender" and p["value"] == "female" and p["sample_count"] >= 1
               for p in drawn["proportions"])

    as_json(aspire("team", "add", "--inspection", inspection["id"], "--person", "A. Khan",
                   "--role", "inspector", "--json", db=db))
    assigned = as_json(aspire("cases", "assign", "--inspection", inspection["id"], "--to",
                              "A. Khan", *in_sample[:5], "--json", db=db))
    assert assigned["assigned"] == 5
    mine = as_json(aspire("cases", "list", "--inspection", inspection["id"], "--assignee",
                          "A. Khan", "--json", db=db))
    assert sorted(c["reference"] for c in mine) == sorted(in_sample[:5])
    sampled = as_json(aspire("cases", "list", "--inspection", inspection["id"], "--sample",
                             "in_sample", "--json", db=db))
    assert len(sampled) == 45 and all(c["sample"] == "in_sample" for c in sampled)


def test_import_problems_as_json_and_nothing_stored(tmp_path):
    from tests.integration.case_list_builders import csv_file
    db = tmp_path / "p.db"
    inspection = as_json(aspire("inspections", "create", "--name", "N", "--programme",
                                "adult_probation", "--organisation", "O", "--json", db=db))
    listing = csv_file(tmp_path / "bad.csv", [["CRN", "Sex", "DOB"], ["X1", "M", "01/02/1990"],
                                              ["X2", "Q", "31/02/1990"]])
    result = aspire("import-cases", str(listing), "--inspection", inspection["id"], "--json",
                    db=db)
    assert result.returncode == 1 and result.stdout == ""
    error = json.loads(result.stderr)
    assert [(p["row"], p["column"]) for p in error["problems"]] == [(3, "Sex"), (3, "DOB")]
    assert as_json(aspire("cases", "list", "--inspection", inspection["id"], "--json",
                          db=db)) == []


def test_template_needs_no_database(tmp_path):
    out = tmp_path / "template.xlsx"
    result = aspire("template", "cases", "-o", str(out), db=tmp_path / "never.db")
    assert result.returncode == 0 and out.exists()
    assert not (tmp_path / "never.db").exists()


def test_export_from_the_command_line(tmp_path):
    from openpyxl import load_workbook
    db = tmp_path / "e.db"
    demo = as_json(aspire("demo", "--cases", "6", "--json", db=db))
    out = tmp_path / "analysis.xlsx"
    result = as_json(aspire("export", "--inspection", demo["id"], "-o", str(out), "--json",
                            db=db))
    assert result["cases"] == 6 and Path(result["path"]) == out
    assert load_workbook(out).sheetnames[0] == "About"
    started = as_json(aspire("export", "--inspection", demo["id"], "-o",
                             str(tmp_path / "started.xlsx"), "--status", "in_progress",
                             "--json", db=db))
    assert started["cases"] < 6


def test_central_store_and_sync_from_the_command_line(tmp_path, central_url):
    from sqlalchemy import create_engine, text

    from tests.integration.case_list_builders import csv_file
    from tests.service import service_in_thread
    admin = {"ASPIRE_CENTRAL_PASSWORD": "unused-on-trusted-loopback"}
    assert as_json(aspire("central", "init", "--url", central_url, "--json", env=admin)) == {
        "schema": ["c013"]}
    new = {**admin, "ASPIRE_NEW_PASSWORD": "a long enough password"}
    as_json(aspire("central", "add-user", "--url", central_url, "--login", "a.khan", "--name",
                   "A. Khan", "--role", "inspector", "--json", env=new))
    one, two = tmp_path / "one.db", tmp_path / "two.db"
    demo = as_json(aspire("demo", "--cases", "3", "--json", db=one, env={"ASPIRE_USER": "a.khan"}))
    service = service_in_thread(central_url)  # the central service, over loopback
    signed = {"ASPIRE_USER": "a.khan", "ASPIRE_CENTRAL": service,
              "ASPIRE_CENTRAL_PASSWORD": "a long enough password"}
    sent = as_json(aspire("sync", "--json", db=one, env=signed))
    assert sent["applied"] == sent["pushed"] > 0 and sent["pending"] == 0
    as_json(aspire("central", "add-user", "--url", central_url, "--login", "b.lee", "--name",
                   "B. Lee", "--role", "inspector", "--inspection", demo["id"], "--json",
                   env=new))
    received = as_json(aspire("sync", "--json", db=two, env={
        "ASPIRE_USER": "b.lee", "ASPIRE_CENTRAL": service,
        "ASPIRE_CENTRAL_PASSWORD": "a long enough password"}))
    assert received["pulled"] > 0
    cases = as_json(aspire("cases", "list", "--inspection", demo["id"], "--json", db=two))
    assert len(cases) == 3

    def logged() -> int:  # the central change log, looked at underneath as the superuser
        engine = create_engine(central_url)
        try:
            with engine.connect() as conn:
                return conn.execute(text("SELECT count(*) FROM central_changes")).scalar()
        finally:
            engine.dispose()

    before = logged()
    more = csv_file(tmp_path / "more.csv", [["Case reference"], ["K-101"], ["K-102"]])
    assert as_json(aspire("import-cases", str(more), "--inspection", demo["id"], "--json",
                          db=one, env={"ASPIRE_USER": "a.khan"}))["imported"] == 2
    wrong = aspire("sync", db=one, env={**signed, "ASPIRE_CENTRAL_PASSWORD": "not the password"})
    assert wrong.returncode == 1 and "did not accept your login" in wrong.stderr
    assert "not the password" not in wrong.stdout + wrong.stderr
    assert logged() == before  # nothing was sent
    database = aspire("sync", db=one, env={**signed, "ASPIRE_CENTRAL": central_url})
    assert database.returncode == 1
    assert "Laptops sync with the central service, not with its database." in database.stderr
    assert logged() == before
    with socket.socket() as held:  # a port held, not listened on: nothing else can take it
        held.bind(("127.0.0.1", 0))
        nowhere = f"http://127.0.0.1:{held.getsockname()[1]}"
        offline = aspire("sync", db=one, env={**signed, "ASPIRE_CENTRAL": nowhere})
    assert offline.returncode == 1 and "cannot be reached just now" in offline.stderr
    assert "your work is safe" in offline.stderr
    assert logged() == before
    kept = as_json(aspire("sync", "--json", db=one, env=signed))  # the new cases still waited
    assert kept["applied"] == kept["pushed"] > 0 and kept["pending"] == 0
    assert logged() > before


def test_transfer_file_from_the_command_line(tmp_path, central_url):
    admin = {"ASPIRE_CENTRAL_PASSWORD": "unused-on-trusted-loopback"}
    as_json(aspire("central", "init", "--url", central_url, "--json", env=admin))
    as_json(aspire("central", "add-user", "--url", central_url, "--login", "c.day", "--name",
                   "C. Day", "--role", "inspector", "--json",
                   env={**admin, "ASPIRE_NEW_PASSWORD": "a long enough password"}))
    laptop = tmp_path / "far-away.db"
    as_json(aspire("demo", "--cases", "2", "--json", db=laptop, env={"ASPIRE_USER": "c.day"}))
    sealed = {"ASPIRE_PACKAGE_PASSPHRASE": "seven blue herons"}
    code = as_json(aspire("central", "enrol-device", "--url", central_url, "--login", "c.day",
                          "--json", env=admin))["code"]
    out = tmp_path / "day.aspire"
    made = as_json(aspire("sync", "export-package", "-o", str(out), "--enrolment-code", code,
                          "--json", db=laptop, env={"ASPIRE_USER": "c.day", **sealed}))
    assert made["changes"] > 0 and made["person"] == "c.day"
    applied = as_json(aspire("central", "import-package", str(out), "--url", central_url,
                             "--json", env={**admin, **sealed}))
    assert applied["applied"] == applied["changes"] == made["changes"]
    assert applied["enrolled"] and "refused" not in str(applied["refusals"])
    again = aspire("central", "import-package", str(out), "--url", central_url,
                   env={**admin, **sealed})
    assert again.returncode == 0
    assert f"Nothing new was applied: all {made['changes']} change(s) in the file from " \
           "c.day were applied before." in again.stdout
    wrong = aspire("central", "import-package", str(out), "--url", central_url,
                   env={**admin, "ASPIRE_PACKAGE_PASSPHRASE": "seven blue heron"})
    assert wrong.returncode == 1 and "passphrase is wrong" in wrong.stderr


def test_a_reader_that_goes_away_is_no_error(services, db_path):
    inspection = services.demo.create(cases=150, seed=3)
    services.close()
    child = subprocess.Popen(
        [sys.executable, "-m", "app", "--db", str(db_path), "cases", "list", "--inspection",
         str(inspection.id), "--json"], cwd=ROOT, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    assert child.stdout.read(10)  # as `head` does: read a little, then go away
    child.stdout.close()
    with child.stderr:
        said = child.stderr.read().decode()
    child.wait(timeout=120)
    assert (child.returncode, said) == (141, "")


def test_output_is_utf8_whatever_the_consoles_code_page(tmp_path):
    db = tmp_path / "c.db"
    env = {"PYTHONIOENCODING": "cp1252"}  # as a Windows console's code page when redirected
    made = aspire_process("inspections", "create", "--name", "Gwasanaeth Ieuenctid Tŵr",
                          "--programme", "youth_offending", "--organisation", "Cyngor Sŷn",
                          "--start", "07/09/2026", db=db, env=env)
    assert made.returncode == 0, made.stderr
    listed = subprocess.run([sys.executable, "-m", "app", "--db", str(db), "inspections",
                             "list"], capture_output=True, cwd=ROOT, timeout=120,
                            env={**os.environ, **env})
    assert listed.returncode == 0, listed.stderr
    assert "Gwasanaeth Ieuenctid Tŵr" in listed.stdout.decode("utf-8")


def test_every_command_says_what_it_does_and_lists_the_values_it_takes():
    import argparse

    from app.cli import build_parser

    def commands(parser, path=()):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, command in action.choices.items():
                    yield (*path, name), command
                    yield from commands(command, (*path, name))

    found = list(commands(build_parser()))
    assert len(found) > 30
    for path, command in found:
        assert command.description and command.description.endswith("."), path
        for action in command._actions:
            if action.choices and not isinstance(action, argparse._SubParsersAction):
                values = ", ".join(map(str, action.choices))
                assert values in (action.help or "") or action.metavar is None, (path, action)
    shown = " ".join(aspire("ratings", "--help").stdout.split())
    assert "The inspection's key questions, standards and ratings." in shown
    assert "not_started, in_progress, submitted, returned, resubmitted, approved" in shown


def test_a_workbook_pdf_or_template_to_standard_output(tmp_path):
    import io

    from openpyxl import load_workbook
    from pypdf import PdfReader

    db = tmp_path / "c.db"
    inspection = as_json(aspire("demo", "--cases", "3", "--json", db=db))["id"]
    temp = tmp_path / "system-temp"
    temp.mkdir()

    def piped(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "app", "--db", str(db), *args],
                              capture_output=True, cwd=ROOT, timeout=120,
                              stdin=subprocess.DEVNULL, env={**os.environ, "TMPDIR": str(temp)})

    workbook = piped("export", "--inspection", inspection, "-o", "-")
    assert workbook.returncode == 0, workbook.stderr
    assert load_workbook(io.BytesIO(workbook.stdout))["Cases"].max_row == 5  # 2 headings
    assert b"Wrote 3 cases" in workbook.stderr and b"to standard output" in workbook.stderr
    reference = as_json(aspire("cases", "list", "--inspection", inspection, "--json",
                               db=db))[0]["reference"]
    pdf = piped("export-pdf", "--case", reference, "-o", "-")
    assert pdf.returncode == 0, pdf.stderr
    assert f"Case {reference}" in PdfReader(io.BytesIO(pdf.stdout)).pages[0].extract_text()
    template = piped("template", "cases", "-o", "-")
    assert template.returncode == 0 and template.stdout.startswith(b"PK")
    assert list(temp.iterdir()) == []  # nothing of a case left in the temporary folder
    assert not list(Path(ROOT).glob("-*"))  # and no file called "-"

    mixed = piped("export", "--inspection", inspection, "-o", "-", "--json")
    assert mixed.returncode == 1 and b"--json cannot go with -o -" in mixed.stderr
    package = piped("sync", "export-package", "-o", "-")
    assert package.returncode == 1
    assert b"A transfer file cannot be written to standard output" in package.stderr


def test_standard_output_that_is_a_terminal_gets_no_workbook(tmp_path):
    import pty

    db = tmp_path / "c.db"
    inspection = as_json(aspire("demo", "--cases", "2", "--json", db=db))["id"]
    leader, follower = pty.openpty()
    try:
        done = subprocess.run([sys.executable, "-m", "app", "--db", str(db), "export",
                               "--inspection", inspection, "-o", "-"], cwd=ROOT, timeout=120,
                              stdout=follower, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    finally:
        os.close(follower)
        os.close(leader)
    assert done.returncode == 1
    assert b"which is a terminal here" in done.stderr


def test_a_thematic_inspection_is_made_with_the_thematic_framework_it_names(tmp_path):
    """Several thematic frameworks are shipped: without one named, the command says which
    there are; each makes a thematic inspection."""
    unnamed = aspire("inspections", "create", "--name", "Thematic", "--programme", "thematic",
                     "--organisation", "HMPPS North East", db=tmp_path / "t.db")
    assert unnamed.returncode == 1
    assert ("5 are on offer (approved-premises, rar, through-the-gate, unpaid-work, women)"
            in unnamed.stderr), unnamed.stderr
    for key, version in (("through-the-gate", "2017.1"), ("rar", "2017.1"),
                         ("approved-premises", "2017.1"), ("unpaid-work", "2016.1"),
                         ("women", "2016.1")):
        created = as_json(aspire("inspections", "create", "--name", key, "--programme",
                                 "thematic", "--organisation", "HMPPS North East",
                                 "--framework", key, "--json", db=tmp_path / "t.db"))
        assert (created["programme"], created["framework"], created["framework_version"]) \
            == ("thematic", key, version)
