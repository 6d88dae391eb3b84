"""The ``aspire`` command line for the tests: run in the test's own process, or as a child.

``aspire`` runs a command through the entry point's own ``main`` in this process, as a child
would run it: the environment given is laid over the test's, there is no keyring and no one
at the keyboard, and what it prints is kept apart from the test's own output. Only the logging
set-up that ``main`` adds is left out, as it is the test run's to keep (the tests of the log
start real processes). ``aspire_process`` starts a real ``python -m app``, for what only a
process can show: that it starts at all, its exit code, a lost privilege, a kill.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from unittest import mock

import keyring
from keyring.backends import fail

ROOT = Path(__file__).resolve().parents[1]


def aspire(*args: str, db: Path | None = None,
           env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run ``aspire [--db DB] ARGS`` in this process; its exit code and output."""
    from app import main as entry

    argv = [*(["--db", str(db)] if db is not None else []), *args]
    stdout, stderr = io.StringIO(), io.StringIO()
    with _environment(env or {}), _no_keyring(), \
            mock.patch.object(entry, "configure_logging"), \
            mock.patch.object(sys, "stdin", io.StringIO()), \
            contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        try:
            code = entry.main(argv)
        except SystemExit as stopped:  # argparse: usage errors, --version, --help
            code = _exit_code(stopped.code)
    return subprocess.CompletedProcess(["aspire", *argv], code, stdout.getvalue(),
                                       stderr.getvalue())


def aspire_process(*args: str, db: Path | None = None, env: Mapping[str, str] | None = None,
                   prefix: list[str] | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m app [--db DB] ARGS`` as a child process (``prefix`` before it)."""
    command = [*(prefix or []), sys.executable, "-m", "app"]
    if db is not None:
        command += ["--db", str(db)]
    return subprocess.run([*command, *args], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL,
                          timeout=120)


def as_json(result: subprocess.CompletedProcess):
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _exit_code(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    sys.stderr.write(f"{code}\n")  # as the interpreter does with sys.exit("message")
    return 1


@contextlib.contextmanager
def _environment(overrides: Mapping[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in overrides}
    os.environ.update(overrides)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextlib.contextmanager
def _no_keyring() -> Iterator[None]:
    """As for a child of the tests (``PYTHON_KEYRING_BACKEND`` names the failing keyring)."""
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        yield
    finally:
        keyring.set_keyring(previous)
