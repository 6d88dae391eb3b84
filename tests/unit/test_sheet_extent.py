"""How far a sheet's cells reach, measured from its XML however it is cut into pieces."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.utils import get_column_letter

from app.io.sheet_extent import SheetExtent


def sheet(*cells: str, rows: int = 0) -> bytes:
    """A sheet's XML: ``rows`` ordinary rows of cells A to P, then the given cells."""
    body = "".join(
        f'<row r="{n}">' + "".join(f'<c r="{get_column_letter(c)}{n}" t="n"><v>{c}</v></c>'
                                   for c in range(1, 17)) + "</row>"
        for n in range(1, rows + 1))
    body += "".join(f'<row><c r="{cell}" t="inlineStr"><is><t>x</t></is></c></row>'
                    for cell in cells)
    return (b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            b"<sheetData>" + body.encode() + b"</sheetData></worksheet>")


def measured(data: bytes, cuts: list[int]) -> SheetExtent:
    extent = SheetExtent()
    start = 0
    for cut in [*sorted({c % (len(data) + 1) for c in cuts}), len(data)]:
        extent.feed(data[start:cut])
        start = cut
    return extent


@pytest.mark.parametrize(("cells", "rows", "columns", "close"), [
    ((), 99_999, 26, False),  # an ordinary list: within row 99,999 and column Z
    (("ZZ200000",), 200_000, 702, True),
    (("XFD3",), 99_999, 16_384, True),
    (("A1048576",), 1_048_576, 26, True),
])
def test_the_furthest_cell_bounds_the_grid(cells, rows, columns, close):
    extent = measured(sheet(*cells, rows=30), [])
    assert (extent.rows, extent.columns, extent.close, extent.unplaced) == (
        rows, columns, close, False)


@settings(max_examples=60, deadline=None)
@given(cuts=st.lists(st.integers(min_value=0, max_value=10**6), max_size=40),
       far=st.sampled_from(["", "BA17", "A123456", "AB654321"]))
def test_however_the_xml_is_cut_the_extent_is_the_same(cuts, far):
    data = sheet(*([far] if far else []), rows=40)
    whole = measured(data, [])
    cut = measured(data, cuts)
    assert (cut.rows, cut.columns, cut.unplaced) == (whole.rows, whole.columns,
                                                     whole.unplaced)


@pytest.mark.parametrize("cell", [
    '<c t="n"><v>1</v></c>', '<c s="1" r="A1"><v>1</v></c>', "<c><v>1</v></c>",
    '<c\nr="A1"><v>1</v></c>'])
def test_a_cell_that_does_not_say_first_where_it_stands_is_noted(cell):
    data = sheet(rows=3).replace(b"</sheetData>", f"<row>{cell}</row></sheetData>".encode())
    assert measured(data, []).unplaced
