"""How far a worksheet's cells reach, read from its XML while the workbook is looked over.

calamine, which reads case lists, holds a sheet as a grid from its first cell to its last:
one value typed far down and to the right (a stray note in row 200,000 of column ZZ) makes a
grid of 140 million cells, gigabytes the laptop does not have, and the app is stopped. So
the sheet's XML is scanned as it is unpacked (``zip_guard``), without being parsed or kept:
the furthest row past 99,999 and the furthest column past Z any cell names. A cell that
does not say where it stands (Excel always says) leaves the grid unknown, and is noted.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree

from openpyxl.utils import column_index_from_string

#: a cell that does not begin r="<a letter><up to five digits>": one in a column past Z or a
#: row past 99,999, or one that does not say where it stands first (or at all)
_UNUSUAL_CELL = re.compile(rb'<c(?:[>\t\r\n]| (?!r="[A-Z][0-9]{1,5}"))')
#: the same, looked at closely once one is seen
_FAR_COLUMN = re.compile(rb'<c r="([A-Z]{2,3})[0-9]')
_FAR_ROW = re.compile(rb'<c r="[A-Z]{1,3}([0-9]{6,9})"')
_UNPLACED = re.compile(rb'<c(?:[>\t\r\n]| (?!r="[A-Z]{1,3}[0-9]{1,9}"))')
#: the sheet's own namespace given a prefix, so that its cells may be written ``<x:c``, as
#: Excel never writes them; and such a cell (looked for only where ":c" is, which text in
#: a cell may also hold)
_PREFIX_BOUND = re.compile(
    rb'xmlns:[A-Za-z_][\w.-]*="(?:http://schemas\.openxmlformats\.org/spreadsheetml/2006/main'
    rb'|http://purl\.oclc\.org/ooxml/spreadsheetml/main)"')
_PREFIXED_CELL = re.compile(rb"<[A-Za-z_][\w.-]{0,15}:c[\s>/]")
#: bytes of one piece kept for the next, so that a mark cut between two is still found
_OVERLAP = 64
#: the most rows a sheet holds whose cells name rows of five digits at most
_FIVE_DIGITS = 99_999
_Z = 26


@dataclass
class SheetExtent:
    """How far one worksheet's cells may reach; ``feed`` it the sheet's XML in pieces.

    Most case lists have fewer than 100,000 rows and no column past Z: their cells all
    begin the same way, and one quick search of each piece finds none that does not. Once
    one does, every piece after it is looked at closely: the furthest column past Z, the
    furthest row past 99,999, and any cell that does not say where it stands."""

    rows: int = 0  # the last row a cell may be in
    columns: int = 0  # the last column a cell may be in
    unplaced: bool = False  # a cell does not say where it stands, or not as Excel writes it
    close: bool = False  # looked at closely (a cell past Z or 99,999 was seen)
    _carry: bytes = field(default=b"", repr=False)

    @property
    def cells(self) -> int:
        """The most cells the sheet's grid can hold, first to last."""
        return self.rows * self.columns

    def feed(self, data: bytes) -> None:
        piece = self._carry + data
        self._carry = piece[-_OVERLAP:]
        if not self.columns and b"<c " in piece:
            self.rows, self.columns = _FIVE_DIGITS, _Z
        if not self.close and (_found(_UNUSUAL_CELL, piece) or _found(_PREFIX_BOUND, piece)):
            self.close = True
            self.rows, self.columns = _FIVE_DIGITS, _Z
        if self.close:
            self._look_closely(piece)

    def _look_closely(self, piece: bytes) -> None:
        for letters in set(_FAR_COLUMN.findall(piece)):
            self.columns = max(self.columns, column_index_from_string(letters.decode()))
        rows = _FAR_ROW.findall(piece)
        if rows:
            self.rows = max(self.rows, max(map(int, rows)))
        if _found(_UNPLACED, piece) or _prefixed(piece):
            self.unplaced = True


def _found(pattern: re.Pattern, piece: bytes) -> bool:
    """Whether ``pattern`` is in ``piece`` short of its last bytes (a tag cut there is
    looked at whole in the next piece, which begins with them)."""
    found = pattern.search(piece)
    return found is not None and found.start() < len(piece) - _OVERLAP // 2


def _prefixed(piece: bytes) -> bool:
    return b":c" in piece and _found(_PREFIXED_CELL, piece)


def is_sheet_part(name: str) -> bool:
    return name.startswith("xl/worksheets/") and name.endswith(".xml")


def sheet_parts(path: Path) -> dict[str, str]:
    """The workbook's sheets' names by the part that holds each (``xl/worksheets/...``);
    empty if the workbook does not say."""
    try:
        with zipfile.ZipFile(path) as archive:
            book = _read_small(archive, "xl/workbook.xml")
            links = _read_small(archive, "xl/_rels/workbook.xml.rels")
        targets = {item.get("Id"): item.get("Target", "")
                   for item in ElementTree.fromstring(links) if _local(item.tag) ==
                   "Relationship"}
        named = {}
        for element in ElementTree.fromstring(book).iter():
            if _local(element.tag) != "sheet":
                continue
            link = next((value for key, value in element.attrib.items()
                         if _local(key) == "id"), None)
            target = targets.get(link)
            if target:
                part = target.lstrip("/") if target.startswith("/") else str(
                    PurePosixPath("xl") / target)
                named[part] = element.get("name", "")
        return named
    except (KeyError, ValueError, ElementTree.ParseError, zipfile.BadZipFile, OSError):
        return {}


#: workbook.xml and its links are a few kilobytes; more is not read
_SMALL = 4 * 1024 * 1024


def _read_small(archive: zipfile.ZipFile, name: str) -> bytes:
    with archive.open(name) as part:
        data = part.read(_SMALL + 1)
    if len(data) > _SMALL:
        raise ValueError(f"{name} is larger than a workbook's list of sheets")
    return data


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]
