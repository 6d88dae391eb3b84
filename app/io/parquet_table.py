"""Tables for analysts who work in R, Stata or Python: written as Parquet or CSV, whole or
not at all.

Parquet keeps each column's type (text, whole numbers, fractions, true or false, dates,
moments) and key-value notes about the table, which carry what the table is and how it was
made; its writer is pyarrow's, installed with the ``analysis`` extra. CSV is UTF-8 with a
header row, an empty field where there is no value; a text that a spreadsheet would take
for a formula (it starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is
written after an apostrophe, so that opening the file in Excel runs nothing. Either file is written
beside the target and moved into place when complete (``app.core.atomic_files``); rows are
read once, in batches, so a table of any size takes little memory.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Mapping, Sequence
from itertools import islice
from pathlib import Path

from app.core.atomic_files import atomic_write
from app.core.faults import written_fault
from app.errors import UserFacingError

#: the kinds a column may be
KINDS = ("text", "whole", "fraction", "flag", "date", "moment")
#: rows written at a time
BATCH = 50_000
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class ParquetError(UserFacingError):
    """The file could not be written; the message names the file and what to do."""


def write_parquet(path: Path, columns: Sequence[tuple[str, str]], rows: Iterable[Sequence],
                  notes: Mapping[str, str]) -> Path:
    """Write ``rows`` (each in the order of ``columns``: (name, kind)) to ``path``, with
    ``notes`` kept in the file's metadata. None is a missing value in any column; a value
    of another kind than its column's is written as the column's kind reads it (text as
    text, a number as a number)."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise ParquetError("Writing Parquet needs the pyarrow library, which is not "
                           "installed here.",
                           "Install ASPIRE Casework with its analysis extra "
                           "(pip install 'aspire-casework[analysis]'), or write a workbook "
                           "(.xlsx) or CSV instead.") from None
    types = {"text": pa.string(), "whole": pa.int64(), "fraction": pa.float64(),
             "flag": pa.bool_(), "date": pa.date32(), "moment": pa.timestamp("us", "UTC")}
    _check_kinds(columns)
    schema = pa.schema([pa.field(name, types[kind]) for name, kind in columns],
                       metadata={k.encode(): v.encode() for k, v in notes.items()})
    shapers = [_SHAPE[kind] for _, kind in columns]
    path = Path(path)
    try:
        with atomic_write(path) as partial:
            with pq.ParquetWriter(partial.file, schema) as writer:
                for batch in _batches(rows):
                    writer.write_table(pa.Table.from_arrays(
                        [pa.array([shape(row[n]) for row in batch], type=types[kind])
                         for n, ((_, kind), shape) in enumerate(zip(columns, shapers,
                                                                   strict=True))],
                        schema=schema))
            partial.file.flush()
    except OSError as exc:
        raise ParquetError(*written_fault("The Parquet file", path, exc, "write it again")) \
            from exc
    return path


def write_csv(path: Path, columns: Sequence[tuple[str, str]], rows: Iterable[Sequence]) -> Path:
    """Write ``rows`` to ``path`` as CSV (UTF-8, a header row, dates as yyyy-mm-dd, moments
    in UTC as ISO 8601, flags as true and false, nothing for a missing value)."""
    _check_kinds(columns)
    shapers = [_CSV_SHAPE[kind] for _, kind in columns]
    path = Path(path)
    try:
        with atomic_write(path) as partial:
            text = io.TextIOWrapper(partial.file, encoding="utf-8", newline="")
            writer = csv.writer(text)
            writer.writerow([name for name, _ in columns])
            for batch in _batches(rows):
                writer.writerows([shape(value) for shape, value in zip(shapers, row,
                                                                      strict=True)]
                                 for row in batch)
            text.flush()
            text.detach()
            partial.file.flush()
    except OSError as exc:
        raise ParquetError(*written_fault("The CSV file", path, exc, "write it again")) \
            from exc
    return path


def _check_kinds(columns: Sequence[tuple[str, str]]) -> None:
    unknown = [kind for _, kind in columns if kind not in KINDS]
    if unknown:
        raise ValueError(f"unknown column kinds: {unknown}")


def _batches(rows: Iterable[Sequence]):
    rows = iter(rows)
    while batch := list(islice(rows, BATCH)):
        yield batch


def _text(value: object) -> str | None:
    """A value as text; nothing (not an empty text) where there is none."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return str(value)


def _moment(value: object) -> dt.datetime | None:
    if not isinstance(value, dt.datetime):
        return None
    return value if value.tzinfo else value.astimezone()


_SHAPE = {
    "text": _text,
    "whole": lambda v: v if isinstance(v, int) and not isinstance(v, bool) else None,
    "fraction": lambda v: float(v) if isinstance(v, int | float) and not isinstance(v, bool)
    else None,
    "flag": lambda v: v if isinstance(v, bool) else None,
    "date": lambda v: v.date() if isinstance(v, dt.datetime) else (
        v if isinstance(v, dt.date) else None),
    "moment": _moment,
}


def _csv_text(value: object) -> str:
    text = _text(value)
    if text is None:
        return ""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv_moment(value: object) -> str:
    moment = _moment(value)
    return "" if moment is None else moment.astimezone(dt.UTC).isoformat()


_CSV_SHAPE = {
    "text": _csv_text,
    "whole": lambda v: "" if _SHAPE["whole"](v) is None else str(v),
    "fraction": lambda v: "" if _SHAPE["fraction"](v) is None else repr(float(v)),
    "flag": lambda v: "" if not isinstance(v, bool) else ("true" if v else "false"),
    "date": lambda v: "" if _SHAPE["date"](v) is None else _SHAPE["date"](v).isoformat(),
    "moment": _csv_moment,
}
