"""One table written as a Parquet file (for R, Stata and Python), whole or not at all.

Parquet keeps each column's type (text, whole numbers, fractions, true or false) and
key-value notes about the table, which carry what the table is and how it was made. The
writer is pyarrow's, installed with the ``analysis`` extra; the file is written beside the
target and moved into place when complete (``app.core.atomic_files``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from app.core.atomic_files import atomic_write
from app.core.faults import written_fault
from app.errors import UserFacingError

#: the kinds a column may be, as Parquet holds them
KINDS = ("text", "whole", "fraction", "flag")


class ParquetError(UserFacingError):
    """The Parquet file could not be written; the message names the file and what to do."""


def write_parquet(path: Path, columns: Sequence[tuple[str, str]], rows: Sequence[Sequence],
                  notes: Mapping[str, str]) -> Path:
    """Write ``rows`` (each in the order of ``columns``: (name, kind)) to ``path``, with
    ``notes`` kept in the file's metadata. None is a missing value in any column."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise ParquetError("Writing Parquet needs the pyarrow library, which is not "
                           "installed here.",
                           "Install ASPIRE Casework with its analysis extra "
                           "(pip install 'aspire-casework[analysis]'), or write a workbook "
                           "(.xlsx) or --json instead.") from None
    types = {"text": pa.string(), "whole": pa.int64(), "fraction": pa.float64(),
             "flag": pa.bool_()}
    unknown = [kind for _, kind in columns if kind not in types]
    if unknown:
        raise ValueError(f"unknown column kinds: {unknown}")
    schema = pa.schema([pa.field(name, types[kind]) for name, kind in columns],
                       metadata={k.encode(): v.encode() for k, v in notes.items()})
    table = pa.Table.from_arrays(
        [pa.array([row[n] for row in rows], type=types[kind])
         for n, (_, kind) in enumerate(columns)], schema=schema)
    path = Path(path)
    try:
        with atomic_write(path) as partial:
            pq.write_table(table, partial.file)
            partial.file.flush()
    except OSError as exc:
        raise ParquetError(*written_fault("The Parquet file", path, exc, "write it again")) \
            from exc
    return path
