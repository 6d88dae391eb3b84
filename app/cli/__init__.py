"""The ``aspire`` command line: subcommands for automation and administrators.

Each subcommand prints readable text by default and JSON with ``--json`` (stable field
names). Errors go to standard error with a message that says what to do, and a non-zero exit.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from app import __version__
from app.cli import (
    analysis,
    cases,
    central,
    database,
    exports,
    inspections,
    moderation,
    syncing,
)
from app.cli.common import ask, json_default
from app.config import ENV_DB, ENV_DB_PASSPHRASE, resolve_settings
from app.errors import KeyNeededError, UserFacingError

if TYPE_CHECKING:
    from app.services.registry import Services


EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2
#: The command groups, in the order `aspire --help` lists them.
GROUPS = (inspections, cases, moderation, exports, analysis, syncing, central, database)


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", metavar="PATH", default=argparse.SUPPRESS,
                        help=f"database file (default: ${ENV_DB} or the per-user data folder)")
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                        help="print machine-readable JSON")
    parser = argparse.ArgumentParser(
        prog="aspire", parents=[common],
        description="ASPIRE Casework: case assessment for probation and youth offending "
                    "inspections. With no command, opens the window.")
    parser.add_argument("--version", action="version", version=f"aspire {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    for group in GROUPS:
        group.add_commands(sub, common)
    _describe(parser)
    return parser


#: what the options many commands share are, where a command does not say
SHARED_HELP = {"inspection": "the inspection's id (see 'aspire inspections list')",
               "output": "the file to write"}


def _describe(parser: argparse.ArgumentParser) -> None:
    """Every command's own help opens with what it does (the line ``aspire --help`` shows
    for it), every option with a fixed set of values lists them, and the options commands
    share say what they are."""
    for action in parser._actions:
        if not action.help and action.dest in SHARED_HELP:
            action.help = SHARED_HELP[action.dest]
        if action.choices and not isinstance(action, argparse._SubParsersAction) \
                and action.help and "one of:" not in action.help and action.metavar:
            action.help += f" (one of: {', '.join(map(str, action.choices))})"
        elif action.choices and not action.help and action.metavar and \
                not isinstance(action, argparse._SubParsersAction):
            action.help = f"one of: {', '.join(map(str, action.choices))}"
        if isinstance(action, argparse._SubParsersAction):
            told = {choice.dest: choice.help for choice in action._choices_actions}
            for name, command in action.choices.items():
                if command.description is None and told.get(name):
                    command.description = told[name][:1].upper() + told[name][1:] + "."
                _describe(command)


def run(args: argparse.Namespace) -> int:
    """Run a parsed subcommand; returns the exit code."""
    as_json = getattr(args, "json", False)
    settings = resolve_settings(getattr(args, "db", None))
    key = (args.command, getattr(args, "action", None))
    handler = _HANDLERS[key]
    from app.bootstrap import open_services  # storage is loaded only when a command runs

    try:
        services = None if key in _NO_DATABASE else _open(open_services, settings)
    except UserFacingError as exc:
        return _fail(exc, as_json)
    try:
        result, text = handler(services, args)
    except UserFacingError as exc:
        return _fail(exc, as_json)
    finally:
        if services is not None:
            services.close()
    if as_json:
        print(json.dumps(result, default=json_default, indent=2, ensure_ascii=False))
    elif text is not None:  # None: the command's output was its file, its message said
        print(text)
    return EXIT_OK


def _open(open_services, settings) -> Services:
    """Open the database, asking for its passphrase when no keyring holds its key."""
    passphrase = os.environ.get(ENV_DB_PASSPHRASE)
    try:
        return open_services(settings, passphrase)
    except KeyNeededError as exc:
        if passphrase:
            raise
        print(exc.problem, file=sys.stderr)
        if exc.new:
            print(exc.advice, file=sys.stderr)
        passphrase = ask("Passphrase for the database: ", twice=exc.new, env=ENV_DB_PASSPHRASE)
        return open_services(settings, passphrase)


def _fail(exc: UserFacingError, as_json: bool) -> int:
    if as_json:
        print(json.dumps(exc.as_dict(), indent=2, ensure_ascii=False), file=sys.stderr)
    else:
        print(f"error: {exc.problem}", file=sys.stderr)
        for line in exc.more:
            print(f"  - {line}", file=sys.stderr)
        if exc.advice:
            print(exc.advice, file=sys.stderr)
    return EXIT_ERROR


_HANDLERS: dict[tuple[str, str | None], Callable] = {
    key: handler for group in GROUPS for key, handler in group.HANDLERS.items()}
_NO_DATABASE = frozenset().union(*(group.NO_DATABASE for group in GROUPS))
