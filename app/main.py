"""The ``aspire`` entry point: the window with no command, a subcommand otherwise."""

from __future__ import annotations

import sys

from app.cli import build_parser, run
from app.config import resolve_settings, user_log_dir
from app.logging_setup import configure_logging


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(user_log_dir())
    if args.command is None:
        from app.ui.app import run_window

        return run_window(resolve_settings(getattr(args, "db", None)), _open_services,
                          passphrase_checks())
    return run(args)


def passphrase_checks():
    """What the window asks before opening the database (the key's module alone is loaded,
    not the storage layer)."""
    from app.db.keys import passphrase_needed, passphrase_problem_for
    from app.ui.app import PassphraseChecks

    return PassphraseChecks(
        needed=passphrase_needed,
        problem=lambda path, passphrase, new: passphrase_problem_for(path, passphrase, new=new))


def _open_services(settings, passphrase=None):
    """Loads the storage layer only when it is needed (after the window is shown)."""
    from app.bootstrap import open_services

    return open_services(settings, passphrase)


if __name__ == "__main__":
    sys.exit(main())
