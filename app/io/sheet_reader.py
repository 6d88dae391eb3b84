"""A workbook's sheets read by calamine in a process of its own.

calamine reads a workbook an order of magnitude faster than openpyxl, but it is Rust: a
crafted or damaged file can make it ask for more memory than there is, or panic, and Rust
then ends the whole process, not just the read. So it runs in a worker process, which the
app starts for each read and ends afterwards: whatever a file does to the reader, the app
goes on and says the file could not be read. On Linux and macOS the worker may use at most
``WORKER_MEMORY`` bytes, so that a file made to eat memory stops it at once.

The worker answers requests over a pipe: the workbook's sheets; the first rows of a sheet
(to find its header); and then a sheet's rows from a given row on, sent in batches while the
app checks the ones before. Each row comes with its number as Excel shows it, its cells in
the columns Excel shows them in, and an empty cell as an empty string.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
import threading
import types
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

#: The most memory the worker may take (Linux and macOS): a 200,000-row list takes a few
#: hundred megabytes.
WORKER_MEMORY = 2 * 1024**3
#: Seconds the app waits for the worker to answer before it gives up on the file.
ANSWER_TIMEOUT_S = 120
#: Rows sent at a time.
BATCH = 2000


class ReaderFailed(Exception):
    """The worker could not read the file: ``why`` completes "it ..." for the person."""

    def __init__(self, why: str):
        super().__init__(why)
        self.why = why


@dataclass(frozen=True)
class SheetAbout:
    name: str
    visible: bool
    worksheet: bool  # not a chart, dialog or macro sheet


class SheetReader:
    """A worker reading one workbook; use as a context manager (the worker is ended when
    the block is left, however it is left)."""

    def __init__(self, path: Path, memory: int = WORKER_MEMORY):
        context = multiprocessing.get_context("spawn")
        self._conn, theirs = context.Pipe()
        self._process = context.Process(target=_serve, args=(str(path), theirs, memory),
                                        name="case list reader", daemon=True)
        _start_bare(self._process)
        theirs.close()

    def __enter__(self) -> SheetReader:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def close(self) -> None:
        if self._process.is_alive():
            self._process.kill()
        self._process.join(timeout=10)
        self._conn.close()

    def sheets(self) -> list[SheetAbout]:
        return [SheetAbout(*about) for about in self._ask(("sheets",))]

    def head(self, name: str, rows: int) -> list[tuple[int, list]]:
        """The sheet's first ``rows`` rows (fewer if it has fewer)."""
        return self._ask(("head", name, rows))

    def rows(self, name: str, first: int) -> Iterator[tuple[int, list]]:
        """The sheet's rows from row ``first`` on."""
        self._conn.send(("rows", name, first))
        while True:
            batch = self._answer()
            if batch is None:
                return
            yield from batch

    def _ask(self, request: tuple):
        self._conn.send(request)
        return self._answer()

    def _answer(self):
        if not self._conn.poll(ANSWER_TIMEOUT_S):
            self.close()
            raise ReaderFailed(f"took longer than {ANSWER_TIMEOUT_S} seconds to read")
        try:
            kind, value = self._conn.recv()
        except (EOFError, OSError):
            self._process.join(timeout=10)
            raise ReaderFailed("stopped the reader (exit code "
                               f"{self._process.exitcode})") from None
        if kind == "error":
            raise ReaderFailed(f"could not be read ({value})")
        return value


#: one worker started at a time (``_start_bare`` stands in for the main module meanwhile)
_STARTING = threading.Lock()


def _start_bare(process) -> None:
    """Start ``process`` without it importing the app's main module first, as a worker
    started afresh does (the window's takes half a second to import; the reader needs none
    of it): only this module and the reader are imported."""
    with _STARTING:
        main = sys.modules["__main__"]
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            process.start()
        finally:
            sys.modules["__main__"] = main


def _serve(path: str, conn, memory: int) -> None:
    """The worker: answer requests about the workbook at ``path`` until the pipe closes,
    in at most ``memory`` bytes where the system allows a limit. What the reader would
    print when it fails (a panic's message, which may quote the file) is not printed."""
    _limit_memory(memory)
    _quiet()
    from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

    loaded: dict[str, object] = {}
    workbook = failure = None
    try:
        workbook = CalamineWorkbook.from_path(path)
    except BaseException as exc:  # a Rust panic is not an Exception; told when asked
        failure = exc

    def sheet(name: str):
        if name not in loaded:
            loaded.clear()  # one sheet held at a time
            loaded[name] = workbook.get_sheet_by_name(name)
        return loaded[name]

    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        if workbook is None:
            _send_error(conn, failure)
            continue
        try:
            if request[0] == "sheets":
                conn.send(("ok", [(about.name, about.visible == SheetVisibleEnum.Visible,
                                   about.typ == SheetTypeEnum.WorkSheet)
                                  for about in workbook.sheets_metadata]))
            elif request[0] == "head":
                _, name, count = request
                conn.send(("ok", list(_numbered(sheet(name), 1, count))))
            elif request[0] == "rows":
                _, name, first = request
                batch = []
                for row in _numbered(sheet(name), first, None):
                    batch.append(row)
                    if len(batch) == BATCH:
                        conn.send(("ok", batch))
                        batch = []
                if batch:
                    conn.send(("ok", batch))
                conn.send(("ok", None))
        except BaseException as exc:  # a Rust panic is not an Exception
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                raise
            _send_error(conn, exc)


def _numbered(sheet, first: int, last: int | None) -> Iterator[tuple[int, list]]:
    """Rows ``first`` to ``last`` (or the end), numbered as Excel numbers them, each cell
    in the column Excel shows it in."""
    start = sheet.start
    if start is None:  # an empty sheet
        return
    lead = [""] * start[1]  # calamine starts each row at the first column holding a value
    for number, cells in enumerate(sheet.iter_rows(), start=1):
        if last is not None and number > last:
            return
        if number >= first:
            yield number, lead + cells if lead else cells


def _send_error(conn, exc: BaseException) -> None:
    with contextlib.suppress(OSError, ValueError):
        conn.send(("error", f"{type(exc).__name__}: {exc}"[:500]))


def _quiet() -> None:
    with contextlib.suppress(OSError, ValueError):
        nothing = os.open(os.devnull, os.O_WRONLY)
        os.dup2(nothing, 2)
        os.close(nothing)


def _limit_memory(memory: int) -> None:
    try:
        import resource
    except ImportError:  # Windows: no limit the process can set itself
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    most = memory if hard == resource.RLIM_INFINITY else min(memory, hard)
    if soft == resource.RLIM_INFINITY or soft > most:
        resource.setrlimit(resource.RLIMIT_AS, (most, hard))
