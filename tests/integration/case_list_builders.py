"""Builders of real case list files (Excel workbooks, CSV, broken files) for the tests."""

from __future__ import annotations

import csv
import re
import zipfile
from pathlib import Path

from openpyxl import Workbook

HEADERS = ["CRN", "Sex", "DOB", "RoSH", "Notes"]
ROWS = [["X1", "M", "31/01/1990", "H", "first"], ["X2", "F", "02/03/1985", "low", None]]




def xlsx(path: Path, *sheets: tuple[str, list[list[object]], str]) -> Path:
    """A workbook with the given sheets, each (title, rows, state)."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows, state in sheets:
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
        sheet.sheet_state = state
    workbook.save(path)
    return path


def simple_xlsx(path: Path, rows=None) -> Path:
    return xlsx(path, ("Cases", [HEADERS, *(rows or ROWS)], "visible"))


def csv_file(path: Path, rows: list[list[object]], encoding: str = "utf-8",
             delimiter: str = ",") -> Path:
    with path.open("w", newline="", encoding=encoding) as f:
        csv.writer(f, delimiter=delimiter).writerows(rows)
    return path


def not_a_zip(path: Path) -> Path:
    path.write_text("CRN,Sex\nX1,M\n")
    return path


def binary_file(path: Path) -> Path:
    path.write_bytes(bytes(range(256)) * 64)
    return path


def with_cached_values(path: Path, cached: dict[str, tuple[str, str]]) -> Path:
    """Give formula cells the values Excel would have saved with them.

    openpyxl writes formulas without a calculated value, so each formula cell's ``<v/>`` in
    the sheet XML is replaced by ``cached[cell] = (type, value)``, as Excel writes them.
    """
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    for ref, (kind, value) in cached.items():
        sheet, found = re.subn(
            rf'(<c r="{ref}"[^>]*)><f>(.*?)</f><v ?/>',
            lambda m, kind=kind, value=value: f'{m[1]} t="{kind}"><f>{m[2]}</f><v>{value}</v>',
            sheet)
        assert found == 1, ref
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)
    return path
