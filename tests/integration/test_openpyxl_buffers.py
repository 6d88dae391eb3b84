"""openpyxl's buffers of each sheet's rows (plain text holding case data) are made beside the
workbook being written, as its partial files, and never in the system's temporary folder.

This leans on a private openpyxl function (see ``app.io.openpyxl_buffers``); these tests fail
if an openpyxl release makes its buffers any other way, so that an upgrade cannot quietly put
case data back in the temporary folder.
"""

from __future__ import annotations

import contextlib
import tempfile
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet import _writer as openpyxl_sheet_writer

from app.core.atomic_files import is_partial_name
from app.io import excel_workbook
from app.io.case_template import write_case_template
from app.io.excel_workbook import Column, Sheet, write_workbook
from app.io.openpyxl_buffers import buffers_beside

COLUMNS = (Column("case_reference"), Column("evidence", wrap=True))


def rows(count: int):
    for n in range(count):
        yield (f"X{100000 + n}", "Supervision record read in full. " * 4)


def sheets(count: int) -> list[Sheet]:
    return [Sheet("Cases", COLUMNS, rows(count)), Sheet("Answers", COLUMNS, rows(count))]


@pytest.fixture
def temporary_folder(tmp_path, monkeypatch) -> Path:
    """The system's temporary folder, for this test alone."""
    folder = tmp_path / "system-temp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def test_openpyxl_makes_every_sheet_buffer_through_the_function_replaced():
    made_by = openpyxl_sheet_writer.WorksheetWriter.__init__.__code__.co_names
    assert "create_temporary_file" in made_by, (
        "openpyxl no longer makes its sheet buffers with create_temporary_file: sheet "
        "buffers would go to the temporary folder in the clear; see app/io/openpyxl_buffers.py")
    assert isinstance(openpyxl_sheet_writer.ALL_TEMP_FILES, list)
    assert openpyxl_sheet_writer.create_temporary_file.__module__ == "app.io.openpyxl_buffers"


def test_while_rows_are_written_the_buffers_are_partial_files_beside_the_workbook(
        tmp_path, temporary_folder):
    out = tmp_path / "out"
    out.mkdir()
    seen: list[list[str]] = []

    def progress(_rows: int) -> None:
        seen.append(sorted(p.name for p in out.iterdir()))
        assert list(temporary_folder.iterdir()) == []

    write_workbook(out / "sample.xlsx", sheets(1200), progress=progress)
    mid_write = seen[0]
    assert len(mid_write) == 2 and all(is_partial_name(n) for n in mid_write), mid_write
    assert all(".~sample.xlsx." in n for n in mid_write)
    assert len(seen[-1]) == 3  # the workbook's partial file and one buffer per sheet
    assert sorted(p.name for p in out.iterdir()) == ["sample.xlsx"]
    assert list(temporary_folder.iterdir()) == []
    assert not [n for n in openpyxl_sheet_writer.ALL_TEMP_FILES if Path(n).parent == out]


def test_the_case_list_template_keeps_no_buffer_in_the_temporary_folder(
        tmp_path, temporary_folder, monkeypatch):
    made: list[str] = []
    replaced = openpyxl_sheet_writer.create_temporary_file

    def recording(suffix=""):
        made.append(replaced(suffix))
        return made[-1]

    monkeypatch.setattr(openpyxl_sheet_writer, "create_temporary_file", recording)
    write_case_template(tmp_path / "case-list.xlsx")
    assert made and all(Path(n).parent == tmp_path and is_partial_name(Path(n).name)
                        for n in made)
    assert list(temporary_folder.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case-list.xlsx", "system-temp"]


def test_outside_a_workbook_being_written_openpyxl_keeps_its_own_way(temporary_folder):
    name = Path(openpyxl_sheet_writer.create_temporary_file())
    try:
        assert name.parent == temporary_folder and name.name.startswith("openpyxl.")
    finally:
        name.unlink()
        openpyxl_sheet_writer.ALL_TEMP_FILES.remove(str(name))


def test_buffers_left_by_an_abandoned_workbook_are_removed(tmp_path):
    with buffers_beside(tmp_path / "sample.xlsx"):
        name = Path(openpyxl_sheet_writer.create_temporary_file())
        name.write_text("<row><c><is><t>X100001</t></is></c></row>")
    assert not name.exists() and str(name) not in openpyxl_sheet_writer.ALL_TEMP_FILES


def test_the_workbook_is_the_same_wherever_its_buffers_are_kept(tmp_path, temporary_folder,
                                                                 monkeypatch):
    beside = write_workbook(tmp_path / "beside.xlsx", sheets(300)).path
    monkeypatch.setattr(excel_workbook, "buffers_beside", lambda _target: contextlib.nullcontext())
    in_temp = write_workbook(tmp_path / "in-temp.xlsx", sheets(300)).path
    with zipfile.ZipFile(beside) as one, zipfile.ZipFile(in_temp) as other:
        assert one.namelist() == other.namelist()
        for member in one.namelist():
            if member != "docProps/core.xml":  # the time it was made
                assert one.read(member) == other.read(member), member
    assert load_workbook(beside)["Answers"].max_row == 301
