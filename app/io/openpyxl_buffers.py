"""Where openpyxl keeps a sheet's rows while a workbook is being written: beside the workbook.

openpyxl writes each worksheet's XML to a buffer file before it zips the workbook, and makes
that file in the system's temporary folder: plain text holding case data, which stays there
if the app is killed, where nothing removes it. While a workbook is written inside
``buffers_beside(target)``, openpyxl's buffers for it are made beside ``target`` instead, as
partial files of it (``app.core.atomic_files``), held like it, and removed with it; a killed
export leaves only files that ``remove_leftovers`` removes.

openpyxl has no setting for this. It makes every buffer through one private function,
``openpyxl.worksheet._writer.create_temporary_file``, which is replaced here (for the
thread inside ``buffers_beside`` only; elsewhere openpyxl's own runs).
tests/integration/test_openpyxl_buffers.py fails if an openpyxl release makes its buffers
any other way.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path

from openpyxl.worksheet import _writer as _sheet_writer

from app.core.atomic_files import ON_WINDOWS, Partial, atomic_write, reserve_partial
from app.errors import UserFacingError

_OPENPYXL_CREATE = _sheet_writer.create_temporary_file
_here = threading.local()


def _create_buffer(suffix: str = "") -> str:
    """Stands in for openpyxl's ``create_temporary_file``: the buffer's file name."""
    target: Path | None = getattr(_here, "target", None)
    if target is None:
        return _OPENPYXL_CREATE(suffix)
    partial = reserve_partial(target)
    if ON_WINDOWS:
        # openpyxl removes the buffer itself once it is zipped, which Windows refuses while
        # the file is open here; openpyxl's own open file holds it while rows are written.
        partial.release()
    _here.buffers.append(partial)
    name = str(partial.path)
    _sheet_writer.ALL_TEMP_FILES.append(name)  # openpyxl takes it off this list itself
    return name


_sheet_writer.create_temporary_file = _create_buffer


@contextlib.contextmanager
def buffers_beside(target: Path) -> Iterator[None]:
    """openpyxl's sheet buffers made in this thread are partial files of ``target`` until
    the block ends; then whichever openpyxl has not removed are removed."""
    if getattr(_here, "target", None) is not None:
        raise RuntimeError("A workbook is already being written in this thread.")
    buffers: list[Partial] = []
    _here.target, _here.buffers = Path(target), buffers
    try:
        yield
    finally:
        _here.target = _here.buffers = None
        for partial in buffers:
            partial.discard()
            with contextlib.suppress(ValueError):
                _sheet_writer.ALL_TEMP_FILES.remove(str(partial.path))


def save_whole(workbook, path: Path, error: type[UserFacingError], what: str) -> None:
    """Save an openpyxl ``workbook`` as ``path``: whole or not at all, with its buffers
    beside it. An operating system's refusal is raised as ``error``, naming ``what`` was
    being saved ("The case list template")."""
    try:
        with atomic_write(path) as partial, buffers_beside(path):
            workbook.save(partial.path)
    except OSError as exc:
        raise error(
            f"{what} cannot be saved as {path} ({exc.strerror or exc}).",
            "If a file of that name is open in Excel, close it; otherwise choose a folder "
            "you can save to, and try again.") from exc
