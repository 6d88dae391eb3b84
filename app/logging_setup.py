"""Logging, configured once by the entry point, into the user log folder.

- ``aspire.log`` (rotated): what the app did, and every failure as its exception types and
  stack frames. It never holds case data: see ``CaseSafeFormatter``.
- ``crash.log``: the stacks of every thread, written by the interpreter itself when the
  process dies of a fatal error that no Python code sees (a crash inside Qt or a driver).

Exceptions raised in other threads, and those Python can only report (raised in ``__del__``
or a callback), are logged to ``aspire.log`` too.
"""

from __future__ import annotations

import contextlib
import faulthandler
import logging
import logging.handlers
import os
import sys
import threading
import traceback
import types
from datetime import datetime
from pathlib import Path
from typing import TextIO

from app import __version__

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LOG_FILE = "aspire.log"
CRASH_FILE = "crash.log"
#: crash.log is never rotated (it is written by the interpreter as the process dies), so it is
#: started afresh at a start that finds it larger than this.
CRASH_FILE_LIMIT = 1_000_000

log = logging.getLogger(__name__)

_handler: logging.Handler | None = None
#: Open for the life of the process: the interpreter writes to its descriptor as it dies.
_crash_file: TextIO | None = None


def configure_logging(log_dir: Path, *, level: int = logging.INFO) -> Path | None:
    """Log to ``log_dir/aspire.log`` (rotated), keep ``log_dir/crash.log`` ready for a fatal
    error, and log exceptions from other threads and unraisable ones. Returns the log file, or
    None if the folder is unwritable (a fatal error is then written to stderr, if there is one).

    Called again, it moves the log to the new folder rather than writing to both.
    """
    global _handler
    root = logging.getLogger()
    root.setLevel(level)
    logging.getLogger("sqlalchemy").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    threading.excepthook = _log_thread_exception
    sys.unraisablehook = _log_unraisable
    _keep_crash_trace(log_dir)
    if _handler is not None:
        root.removeHandler(_handler)
        _handler.close()
        _handler = None
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        path = log_dir / LOG_FILE
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=2_000_000, backupCount=3, encoding="utf-8")
    except OSError:
        return None
    handler.setFormatter(CaseSafeFormatter(FORMAT))
    root.addHandler(handler)
    _handler = handler
    return path


class CaseSafeFormatter(logging.Formatter):
    """Writes a record's message as given, and its exception only as the exception's type
    and stack frames.

    The message and arguments of an exception are never written, neither for the exception
    logged nor for those chained to it (its cause or context, the members of a group), nor
    its notes: they can carry the values being handled, such as SQL parameters, a value that
    would not convert ("invalid literal for int() with base 10: 'J. Smith'") or a
    ``UserFacingError`` text naming a case reference. Each frame's file, line, function and
    line of source are code, not data, and are written in full. The message a logging call
    passes must itself hold no case data; that is for the call to ensure.
    """

    def format(self, record: logging.LogRecord) -> str:
        # Unlike logging.Formatter, the exception text is neither read from nor cached on the
        # record: another handler's formatter would write ours, or we would write its, with
        # the messages in it.
        record.message = record.getMessage()
        if self.usesTime():
            record.asctime = self.formatTime(record, self.datefmt)
        text = self.formatMessage(record)
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        if record.stack_info:
            text += "\n" + self.formatStack(record.stack_info)
        return text

    def formatException(self, ei) -> str:
        exc_type, exc, tb = ei
        return "".join(_outline(exc_type, exc, tb, set())).rstrip("\n")


def _outline(exc_type: type[BaseException] | None, exc: BaseException | None,
             tb: types.TracebackType | None, seen: set[int]) -> list[str]:
    """Lines describing an exception as a traceback does (causes first, then the exception),
    with each exception's type and frames but none of its message, arguments or notes.
    ``seen`` holds the exceptions already described, so a cycle ends."""
    chain: list[tuple[type | None, BaseException | None, types.TracebackType | None, str]] = []
    link = ""
    while True:
        chain.append((exc_type, exc, tb, link))
        if exc is None:
            break
        seen.add(id(exc))
        if exc.__cause__ is not None:
            following, link = exc.__cause__, _CAUSE
        elif exc.__context__ is not None and not exc.__suppress_context__:
            following, link = exc.__context__, _CONTEXT
        else:
            break
        if id(following) in seen:
            break
        exc_type, exc, tb = type(following), following, following.__traceback__
    lines: list[str] = []
    for exc_type, exc, tb, link in reversed(chain):
        lines += _one_exception(exc_type, exc, tb, seen)
        lines += [link] if link else []
    return lines


_CAUSE = "\nThe above exception was the direct cause of the following exception:\n\n"
_CONTEXT = "\nDuring handling of the above exception, another exception occurred:\n\n"


def _one_exception(exc_type, exc, tb, seen: set[int]) -> list[str]:
    lines = []
    if tb is not None:
        lines.append("Traceback (most recent call last):\n")
        lines += traceback.extract_tb(tb).format()
    lines.append(f"{_type_name(exc_type)}\n")
    if isinstance(exc, BaseExceptionGroup):
        members = exc.exceptions
        for number, member in enumerate(members, 1):
            if id(member) in seen:
                continue
            lines.append(f"  +-- member {number} of {len(members)} of the group:\n")
            inner = _outline(type(member), member, member.__traceback__, seen)
            lines += ["  | " + line for text in inner for line in text.splitlines(True)]
    return lines


def _type_name(exc_type: type | None) -> str:
    if exc_type is None:
        return "(no exception)"
    module = getattr(exc_type, "__module__", None)
    name = getattr(exc_type, "__qualname__", None) or getattr(exc_type, "__name__", "?")
    return name if module in (None, "builtins", "__main__") else f"{module}.{name}"


def _log_thread_exception(args: threading.ExceptHookArgs) -> None:
    """What an exception that ended a thread leaves in the log (as ``threading``'s own hook,
    a thread ending by ``SystemExit`` is not an error)."""
    if issubclass(args.exc_type, SystemExit):
        return
    name = args.thread.name if args.thread is not None else "unknown"
    log.critical("unhandled exception in thread %s", name,
                 exc_info=(args.exc_type, args.exc_value, args.exc_traceback))


def _log_unraisable(args: sys.UnraisableHookArgs) -> None:
    """What an exception Python could not raise (in ``__del__``, a callback, a finaliser)
    leaves in the log."""
    # The object itself is named by its code (function or type) alone: its repr, and the
    # interpreter's message that may quote that repr, can show the data it holds.
    obj = args.object
    where = (obj.__qualname__ if isinstance(obj, _NAMED_BY_CODE)
             else type(obj).__qualname__ if obj is not None else "unknown code")
    log.error("exception ignored in %s", where,
              exc_info=(args.exc_type, args.exc_value, args.exc_traceback))


_NAMED_BY_CODE = (types.FunctionType, types.MethodType, types.BuiltinFunctionType, type)


def _keep_crash_trace(log_dir: Path) -> None:
    """Have the interpreter write the stacks to ``log_dir/crash.log`` (appended) if the
    process dies of a fatal error; to stderr if the folder is unwritable, and nowhere if there
    is no stderr (a windowed start)."""
    global _crash_file
    path = log_dir / CRASH_FILE
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        fresh = path.exists() and path.stat().st_size > CRASH_FILE_LIMIT
        crash_file = open(path, "w" if fresh else "a", encoding="utf-8")  # noqa: SIM115
    except OSError:
        _crash_trace_to_stderr()
        return
    try:
        # dates the stacks below it: the interpreter writes no time of its own
        crash_file.write(f"{datetime.now().astimezone().isoformat(timespec='seconds')} "
                         f"ASPIRE Casework {__version__} started, process {os.getpid()}\n")
        crash_file.flush()
        faulthandler.enable(crash_file)
    except (OSError, ValueError, RuntimeError):
        crash_file.close()
        _crash_trace_to_stderr()
        return
    previous, _crash_file = _crash_file, crash_file
    if previous is not None:
        previous.close()


def _crash_trace_to_stderr() -> None:
    # with no stderr to write to (a windowed start) the app runs on without a crash trace
    with contextlib.suppress(OSError, ValueError, RuntimeError, AttributeError):
        faulthandler.enable()
