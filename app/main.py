"""The ``aspire`` entry point: the window with no command, a subcommand otherwise."""

from __future__ import annotations

import multiprocessing
import os
import sys

from app.cli import build_parser, run
from app.config import resolve_settings, user_log_dir
from app.logging_setup import configure_logging

#: the exit codes a shell gives a program stopped by Ctrl+C, and by a reader gone away
EXIT_INTERRUPTED, EXIT_PIPE_CLOSED = 130, 141


def main(argv: list[str] | None = None) -> int:
    # in an installed bundle, a worker process (the case list reader) starts here too
    multiprocessing.freeze_support()
    utf8_streams()
    try:
        args = build_parser().parse_args(argv)
        configure_logging(user_log_dir())
        if args.command is None:
            from app.ui.app import run_window

            return run_window(resolve_settings(getattr(args, "db", None)), _open_services,
                              passphrase_checks())
        code = run(args)
        sys.stdout.flush()
        return code
    except KeyboardInterrupt:
        # whatever was being written is whole or not there at all (files are written beside
        # their target and moved into place; the database rolls back what was not committed)
        sys.stderr.write("\nStopped: nothing was half-written.\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # the reader (head, less, a closed terminal) went away: nothing more to say to it
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_PIPE_CLOSED


def utf8_streams() -> None:
    """Output in UTF-8 whatever the console's code page, so a name with ŵ or ŷ prints
    when the output is piped or redirected on Windows as on a terminal."""
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("_", "-")
        if encoding not in ("utf-8", "utf8") and hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8")


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
