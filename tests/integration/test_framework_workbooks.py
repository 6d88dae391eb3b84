"""Question frameworks authored in workbooks, as an author works: the template first, a
framework exported, edited in the workbook, checked, installed as a new version and used by
a new inspection, while inspections pinned to a version never change. Read back with
openpyxl; every command run as the command line runs it."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from app.config import frameworks_dir
from app.core.framework_loader import parse_framework_text
from app.core.framework_sheets import COLUMNS
from app.io.framework_workbook import GUIDANCE, load_framework_folder
from tests.cli import as_json, aspire

SHIPPED = {f.id: f for f in load_framework_folder(frameworks_dir())}


def cells(path: Path, sheet: str) -> list[list[object]]:
    workbook = load_workbook(path)
    return [list(row) for row in workbook[sheet].iter_rows(values_only=True)]


def exported(tmp_path: Path, key: str, **settings) -> tuple[Path, Path]:
    """A shipped framework exported by the command line as a workbook, its settings then
    changed as an author would; the database and the workbook."""
    db, workbook = tmp_path / "casework.db", tmp_path / f"{key}.xlsx"
    assert aspire("frameworks", "export", "--framework", key, "-o", str(workbook),
                  db=db).returncode == 0
    for name, value in settings.items():
        edit(workbook, "settings", name, "value", value, key_column="setting")
    return db, workbook


def edit(path: Path, sheet: str, key: str, column: str, value: object,
         key_column: str = "key") -> int:
    """Change one cell, as an author does in Excel; its row number."""
    workbook = load_workbook(path)
    rows = workbook[sheet]
    headers = [c.value for c in rows[1]]
    for row in rows.iter_rows(min_row=2):
        if row[headers.index(key_column)].value == key:
            row[headers.index(column)].value = value
            workbook.save(path)
            return row[0].row
    raise KeyError(key)


@pytest.mark.parametrize("key", sorted(SHIPPED))
def test_export_then_import_gives_the_same_framework(tmp_path, key):
    db = tmp_path / "casework.db"
    shipped = SHIPPED[key]
    workbook = tmp_path / f"{shipped.id}.xlsx"
    assert aspire("frameworks", "export", "--framework", shipped.id, "-o", str(workbook),
                  db=db).returncode == 0
    checked = as_json(aspire("frameworks", "import", str(workbook), "--dry-run", "--json",
                             db=db))
    assert checked["already_here"] and not checked["installed"]
    # the workbook holds the framework whole: read into a new version, it is the same
    edit(workbook, "settings", "version", "value", "99", key_column="setting")
    installed = as_json(aspire("frameworks", "import", str(workbook), "--json", db=db))
    assert installed["installed"] and installed["questions"] == len(list(shipped.questions()))
    stored = next((tmp_path / "casework-frameworks").glob("*.json"))
    again = parse_framework_text(stored.read_text(encoding="utf-8"), stored.name)
    assert again.version == "99"
    assert again.sections == shipped.sections and again.standards == shipped.standards
    assert (again.id, again.title, again.programme, again.description, again.source) == \
        (shipped.id, shipped.title, shipped.programme, shipped.description, shipped.source)


def test_an_author_starts_from_the_template_and_a_new_inspection_uses_the_framework(tmp_path):
    db = tmp_path / "casework.db"
    template = tmp_path / "women thematic"
    told = aspire("frameworks", "template", "-o", str(template))
    assert told.returncode == 0 and "--dry-run" in told.stdout
    template = template.with_suffix(".xlsx")
    workbook = load_workbook(template)
    assert workbook.sheetnames == [*COLUMNS, GUIDANCE]
    for sheet, columns in COLUMNS.items():
        assert [c.value for c in workbook[sheet][1]] == list(columns)
    offered = [v.formula1 for v in workbook["questions"].data_validations.dataValidation]
    assert any('"yes_no,single_choice' in f for f in offered)
    assert any(f.startswith(("'sections'!", "sections!")) for f in offered)
    guidance = [r for r in workbook[GUIDANCE].iter_rows(values_only=True) if r[0] == "questions"]
    assert {r[1] for r in guidance} == set(COLUMNS["questions"])

    # the author fills it in, as in Excel
    settings = workbook["settings"]
    for row in settings.iter_rows(min_row=2):
        row[1].value = {"id": "women-thematic", "version": "2018.1",
                        "title": "Women thematic", "programme": "thematic"}.get(row[0].value)
    workbook["sections"].append(["resettlement", "Resettlement planning", "planning"])
    workbook["questions"].append(
        ["ttg_plan", "resettlement", "resettlement", None, "yes_no",
         "Was there a sufficient resettlement plan before release?", None, None, None, None,
         "ttg_reasons"])
    workbook["questions"].append(
        ["ttg_accommodation", "resettlement", None, None, "yes_no",
         "Was accommodation on release addressed?", None, None, None, None, "ttg_reasons",
         None, None, None, None, None, "${ttg_plan} = yes and phase in (custody, licence)"])
    workbook["reasons"].append(["ttg_reasons", "no_plan", "No plan was made"])
    workbook["reasons"].append(["ttg_reasons", "late", "The plan was made too late"])
    workbook["standards"].append(["resettlement", "Through the Gate resettlement",
                                  "key_questions"])
    workbook.save(template)

    installed = as_json(aspire("frameworks", "import", str(template), "--json", db=db))
    assert (installed["id"], installed["version"], installed["questions"]) == \
        ("women-thematic", "2018.1", 2)
    listed = as_json(aspire("frameworks", "list", "--json", db=db))
    assert {"id": "women-thematic", "version": "2018.1", "source": "installed"}.items() \
        <= next(f for f in listed if f["id"] == "women-thematic").items()
    # one more thematic framework now: a thematic inspection names the one it uses
    unnamed = aspire("inspections", "create", "--name", "Women", "--programme", "thematic",
                     "--organisation", "Northshire", db=db)
    assert unnamed.returncode == 1
    assert ("6 are on offer (approved-premises, rar, through-the-gate, unpaid-work, women, "
            "women-thematic)") in unnamed.stderr
    created = as_json(aspire("inspections", "create", "--name", "Women thematic",
                             "--programme", "thematic", "--organisation", "Northshire",
                             "--framework", "women-thematic", "--json", db=db))
    assert (created["framework"], created["framework_version"]) == \
        ("women-thematic", "2018.1")

    # the same workbook again changes nothing; different questions under that version are
    # refused, and the inspection keeps what it was made with
    again = aspire("frameworks", "import", str(template), db=db)
    assert again.returncode == 0 and "already here" in again.stdout
    edit(template, "questions", "ttg_plan", "text", "Was the resettlement plan sufficient?")
    refused = aspire("frameworks", "import", str(template), db=db)
    assert refused.returncode == 1
    assert "already here, with different content" in refused.stderr
    assert "new version" in refused.stderr
    form = as_json(aspire("inspections", "list", "--json", db=db))
    assert form[0]["framework_version"] == "2018.1"
    files = list((tmp_path / "casework-frameworks").glob("*.json"))
    assert len(files) == 1
    assert "Was there a sufficient resettlement plan" in files[0].read_text(encoding="utf-8")


def test_every_problem_is_named_and_nothing_is_installed(tmp_path):
    db = tmp_path / "casework.db"
    workbook = tmp_path / "broken.xlsx"
    assert aspire("frameworks", "export", "--framework", "adult-probation",
                  "-o", str(workbook), db=db).returncode == 0
    edit(workbook, "settings", "version", "value", "2.0", key_column="setting")
    rule_row = edit(workbook, "questions", "victim_assessment", "applies_if",
                    "${victim_identifed} = yes")
    type_row = edit(workbook, "questions", "victim_planning", "type", "yes-no")
    options_row = edit(workbook, "questions", "psr_type", "options", "report_types")
    result = aspire("frameworks", "import", str(workbook), "--json", db=db)
    assert result.returncode == 1 and result.stdout == ""
    error = json.loads(result.stderr)
    assert error["problem"] == "broken.xlsx has 3 problems; nothing was installed."
    found = {(p["sheet"], p["row"], p["column"], p["value"]) for p in error["problems"]}
    assert found == {("questions", rule_row, "applies_if", "${victim_identifed} = yes"),
                     ("questions", type_row, "type", "yes-no"),
                     ("questions", options_row, "options", "report_types")}
    text = aspire("frameworks", "import", str(workbook), db=db).stderr
    assert f"sheet 'questions', row {rule_row}, column Q (applies_if) " \
           "[${victim_identifed} = yes]: 'victim_identifed' is not an earlier question" in text
    assert not (tmp_path / "casework-frameworks").exists()
    listed = as_json(aspire("frameworks", "list", "--json", db=db))
    assert ("adult-probation", "2.0") not in {(f["id"], f["version"]) for f in listed}


@pytest.mark.parametrize(("name", "content", "said"), [
    ("frameworks.json", b"{}", "is not an Excel workbook (.xlsx)"),
    ("renamed.xlsx", b"id,version\n", "is not an Excel workbook, although its name ends"),
    ("truncated.xlsx", b"PK\x03\x04" + b"\x00" * 40, "is not an Excel workbook, although"),
    ("damaged.xlsx", None, "cannot be read as a question framework: it looks damaged"),
])
def test_a_file_that_is_not_a_framework_workbook_is_refused_by_name(tmp_path, name, content,
                                                                    said):
    path = tmp_path / name
    if content is None:  # a sound zip file that holds no workbook
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("notes.txt", "not a workbook")
    else:
        path.write_bytes(content)
    result = aspire("frameworks", "import", str(path), db=tmp_path / "casework.db")
    assert result.returncode == 1
    assert said in result.stderr and name in result.stderr


def test_a_workbook_made_to_unpack_to_gigabytes_is_refused_unread(tmp_path):
    from tests.integration.case_list_builders import doctored_xlsx

    path = doctored_xlsx(tmp_path / "framework.xlsx", zeros=16 * 1024 * 1024, says=4096)
    result = aspire("frameworks", "import", str(path), db=tmp_path / "casework.db")
    assert result.returncode == 1
    assert "framework.xlsx is not read: it has a part that unpacks to more than it says" \
        in result.stderr
    assert not (tmp_path / "casework-frameworks").exists()


def test_a_workbook_of_something_else_says_which_sheets_it_lacks(tmp_path):
    path = tmp_path / "cases.xlsx"
    assert aspire("template", "cases", "-o", str(path)).returncode == 0  # a case list
    result = aspire("frameworks", "import", str(path), "--dry-run", db=tmp_path / "c.db")
    assert result.returncode == 1
    for sheet in ("settings", "sections", "questions"):
        assert f"sheet '{sheet}': the workbook has no '{sheet}' sheet" in result.stderr


def test_export_names_an_unknown_framework_or_version(tmp_path):
    db = tmp_path / "casework.db"
    unknown = aspire("frameworks", "export", "--framework", "prisons", "-o",
                     str(tmp_path / "x.xlsx"), db=db)
    assert unknown.returncode == 1 and "no question framework called 'prisons'" in \
        unknown.stderr
    version = aspire("frameworks", "export", "--framework", "adult-probation", "--version",
                     "7", "-o", str(tmp_path / "x.xlsx"), db=db)
    assert version.returncode == 1 and "version 7 is not available" in version.stderr
    assert not (tmp_path / "x.xlsx").exists()


def test_a_new_version_keeps_its_programme_and_a_pipe_is_no_workbook(tmp_path):
    import os

    db, workbook = exported(tmp_path, "adult-probation", version="9", programme="thematic")
    moved = aspire("frameworks", "import", str(workbook), db=db)
    assert moved.returncode == 1 and "cannot be for thematic ones" in moved.stderr
    pipe = tmp_path / "waiting.xlsx"
    os.mkfifo(pipe)
    refused = aspire("frameworks", "import", str(pipe), db=db)
    assert refused.returncode == 1 and "waiting.xlsx is not a file" in refused.stderr


def test_a_sheet_of_a_million_blank_rows_or_far_columns_is_read_no_further_than_it_need_be(
        tmp_path):
    import tracemalloc

    from app.io.framework_workbook import read_framework_workbook

    db = tmp_path / "casework.db"
    workbook = tmp_path / "wide.xlsx"
    assert aspire("frameworks", "export", "--framework", "through-the-gate", "-o",
                  str(workbook), db=db).returncode == 0
    book = load_workbook(workbook)
    guidance = book["guidance"]
    for row in range(200, 60_000, 3):  # far out, on a sheet the import does not read
        guidance.cell(row=row, column=16_000, value="x")
    questions = book["questions"]
    questions.cell(row=30_000, column=3, value="far down")
    book.save(workbook)
    tracemalloc.start()
    sheets = {s.name: s for s in read_framework_workbook(workbook)}
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert sheets["guidance"].rows == () and sheets["questions"].cut_short
    assert peak < 200 * 1024 * 1024, peak
    result = aspire("frameworks", "import", str(workbook), "--dry-run", db=db)
    assert result.returncode == 1 and "more than 5,000 rows" in result.stderr


def test_two_imports_of_one_version_at_once_leave_one_file(tmp_path):
    """The second of two imports racing to install the same version finds the first's file
    and is refused (different content) or told it is here (the same), never a second file."""
    from app.bootstrap import build_services
    from tests.conftest import new_database

    services = build_services(new_database(tmp_path / "casework.db"), frameworks_dir())
    try:
        first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
        for path, title in ((first, "First title"), (second, "Second title")):
            services.frameworks.export_workbook("through-the-gate", None, path)
            edit(path, "settings", "version", "value", "5", key_column="setting")
            edit(path, "settings", "title", "value", title, key_column="setting")
        catalog = services.frameworks
        catalog.import_workbook(first)
        catalog._files = [f for f in catalog.shipped() if f.version != "5"]  # not seen yet
        from app.errors import FrameworkError
        with pytest.raises(FrameworkError, match="already here, with different content"):
            catalog.import_workbook(second)
        files = list((tmp_path / "casework-frameworks").glob("*.json"))
        assert [f.name for f in files] == ["through-the-gate--5.json"]
        assert "First title" in files[0].read_text(encoding="utf-8")
    finally:
        services.close()


def test_a_version_that_reads_as_one_already_here_is_refused(tmp_path):
    db, workbook = exported(tmp_path, "through-the-gate", version="2017.01")
    twin = aspire("frameworks", "import", str(workbook), db=db)
    assert twin.returncode == 1
    assert "reads as the same number as version 2017.1" in twin.stderr
    assert not (tmp_path / "casework-frameworks").exists()
