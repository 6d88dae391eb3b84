"""Builders of real case list files (Excel workbooks, CSV, broken files) for the tests."""

from __future__ import annotations

import csv
import re
import struct
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


#: a workbook's first sheet, as Excel names the part that holds it
SHEET_PART = "xl/worksheets/sheet1.xml"


def doctored_xlsx(path: Path, *, zeros: int = 0, says: int | None = None) -> Path:
    """A small workbook made into a zip bomb: its sheet's part is ``zeros`` zero bytes (if
    any), compressed, and the archive's directory says the part unpacks to ``says`` bytes
    (if given), whatever it holds."""
    honest = simple_xlsx(path.with_name(f"honest-{path.name}"))
    with zipfile.ZipFile(honest) as source, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for part in source.infolist():
            if part.filename == SHEET_PART and zeros:
                with target.open(SHEET_PART, "w") as sheet:
                    piece = bytes(1024 * 1024)
                    for _ in range(zeros // len(piece)):
                        sheet.write(piece)
            else:
                target.writestr(part, source.read(part))
    honest.unlink()
    if says is not None:
        _say_size(path, SHEET_PART, says)
    return path


def _say_size(path: Path, name: str, size: int) -> None:
    """Make the archive's local header and central directory say ``name`` unpacks to
    ``size`` bytes."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        local = archive.getinfo(name).header_offset
    struct.pack_into("<L", data, local + 22, size)
    central = data.find(b"PK\x01\x02")
    while data[central + 46:central + 46 + len(name)] != name.encode():
        central = data.find(b"PK\x01\x02", central + 4)
    struct.pack_into("<L", data, central + 24, size)
    path.write_bytes(bytes(data))


def sheet_xml_workbook(path: Path, sheet_data: str, root_extra: str = "",
                       shared_strings: str | None = None) -> Path:
    """A small workbook whose first sheet's XML is written here, cell by cell, as no
    spreadsheet program would (``sheet_data``: what goes inside ``<sheetData>``), with the
    shared strings part ``shared_strings`` if given (what goes inside ``<sst>``, with its
    attributes: ``count="1" uniqueCount="1"><si><t>CRN</t></si>``)."""
    honest = simple_xlsx(path.with_name(f"honest-{path.name}"))
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    xml = (f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{main}"'
           f"{root_extra}><sheetData>{sheet_data}</sheetData></worksheet>")
    with zipfile.ZipFile(honest) as source, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for part in source.infolist():
            target.writestr(part, xml if part.filename == SHEET_PART else source.read(part))
        if shared_strings is not None:
            target.writestr("xl/sharedStrings.xml",
                            f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{main}" '
                            f"{shared_strings}</sst>")
    honest.unlink()
    return path


def patched_xlsx(path: Path, rows: list[list[object]], part: str, old: bytes,
                 new: bytes) -> Path:
    """A workbook of ``rows`` (in sheet 'Cases'), then ``old`` replaced by ``new`` in its
    part ``part``, as a damaged or crafted file has it."""
    honest = xlsx(path.with_name(f"honest-{path.name}"), ("Cases", rows, "visible"))
    with zipfile.ZipFile(honest) as source, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == part:
                assert old in data, (old, data[:400])
                data = data.replace(old, new)
            target.writestr(item, data)
    honest.unlink()
    return path
