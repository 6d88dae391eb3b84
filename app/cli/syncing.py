"""A laptop's sync with the central service, its transfer files and its person's password there."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from app.config import (
    ENV_CENTRAL,
    ENV_NEW_PASSWORD,
    ENV_PASSPHRASE,
    ENV_PASSWORD,
)
from app.errors import ValidationError

if TYPE_CHECKING:
    from app.services.registry import Services
from app.cli.common import (
    STANDARD_OUTPUT,
    Progress,
    ask,
    left_the_store,
    package_applied,
    service_address,
)


def add_commands(sub, common) -> None:
    """Add this group's commands to ``sub``, each taking the ``common`` options."""
    sync = sub.add_parser("sync", parents=[common],
                          help="send this laptop's changes and fetch everyone else's")
    sync.add_argument("--central", metavar="URL", default=argparse.SUPPRESS,
                      help="the central service, https://HOST[:PORT] (default: "
                           f"${ENV_CENTRAL}); the password is asked, or taken from "
                           f"${ENV_PASSWORD}")
    sync_sub = sync.add_subparsers(dest="action", metavar="ACTION", required=False)
    package = sync_sub.add_parser("export-package", parents=[common],
                                  help="seal everything not yet sent into a transfer file")
    package.add_argument("-o", "--output", required=True, type=Path, metavar="FILE",
                         help="where to write it (the passphrase is asked)")
    package.add_argument("--enrolment-code", metavar="CODE",
                         help="the code your administrator gave for this laptop, if it has "
                              "never synced (the central service enrols it from the file)")
    bring = sync_sub.add_parser(
        "import-package", parents=[common],
        help="at the office: bring a laptop's transfer file to the central service, which "
             "applies it as the person who made it (yours, or any as an administrator)")
    bring.add_argument("file", type=Path, metavar="FILE", help="the transfer file")

    sync_sub.add_parser("change-password", parents=[common],
                        help="change your password at the central service (asked, or "
                             f"${ENV_PASSWORD} and ${ENV_NEW_PASSWORD})")


def _sync(s: Services, args) -> tuple[object, str]:
    address = service_address(s, args)
    password = os.environ.get(ENV_PASSWORD) or ask("Your password for the central store: ")
    progress = Progress("Syncing", 0)
    result = s.sync.sync(address, password,
                         report=lambda stage, done, total: progress.show(
                             done, total, f"Syncing ({stage})"))
    progress.done()
    status = s.sync.status()
    outcome = {"pushed": result.pushed, "applied": result.applied,
               "conflicts": result.conflicts + result.pulled_conflicts,
               "refused": result.refused, "pulled": result.pulled,
               "pending": status.pending_changes, "open_conflicts": status.open_conflicts,
               "cases_removed": result.cases_removed, "cases_restored": result.cases_restored,
               "cases_joined": result.cases_joined, "set_aside": result.set_aside,
               "joined_not_yet_fetched": result.catch_up_pending,
               "frameworks_added": result.frameworks_added,
               "finished_at": result.finished_at}
    aside = (f" {result.set_aside} change(s) received could not be applied here and were "
             "set aside (see the conflicts)." if result.set_aside else "")
    if result.catch_up_pending:
        aside += (f" {result.catch_up_pending} inspection(s) you have joined could not be "
                  "fetched whole yet; the next sync tries again.")
    if result.frameworks_added:
        aside += (" Question frameworks published at the central store, now offered for new "
                  f"inspections: {', '.join(result.frameworks_added)}.")
    return outcome, (f"Sent {result.applied} change(s), received {result.pulled}.{aside} "
                     f"{outcome['conflicts']} new conflict(s), {result.refused} refused; "
                     f"{status.open_conflicts} conflict(s) to resolve."
                     + _cases_moved(result))


def _cases_moved(result) -> str:
    moved = []
    if result.cases_removed:
        moved.append(f"{result.cases_removed} case(s) removed from this laptop (reassigned "
                     "or their inspection closed)")
    if result.cases_restored:
        moved.append(f"{result.cases_restored} case(s) brought back to it")
    if result.cases_joined:
        moved.append(f"{result.cases_joined} case(s) of inspections you have joined brought "
                     "to it")
    return f"\n{'; '.join(moved)}." if moved else ""


def _export_package(s: Services, args) -> tuple[object, str]:
    if args.output == STANDARD_OUTPUT:
        raise ValidationError("A transfer file cannot be written to standard output: it is "
                              "carried to the office as a file.",
                              "Give the file to write with -o, for example on a USB stick.")
    passphrase = os.environ.get(ENV_PASSPHRASE) or ask(
        "Passphrase for the transfer file (give it to the office separately): ", twice=True)
    manifest = s.sync.export_package(args.output, passphrase,
                                     enrolment_code=args.enrolment_code)
    left_the_store()
    return ({"path": str(args.output), **manifest},
            f"Sealed {manifest['changes']} change(s) into {args.output}.")


def _bring_package(s: Services, args) -> tuple[object, str]:
    address = service_address(s, args)
    passphrase = os.environ.get(ENV_PASSPHRASE) or ask("Passphrase of the transfer file: ")
    password = os.environ.get(ENV_PASSWORD) or ask("Your password for the central store: ")
    return package_applied(s.sync.apply_package(address, password, args.file, passphrase))


def _sync_change_password(s: Services, args) -> tuple[object, str]:
    address = service_address(s, args)
    current = os.environ.get(ENV_PASSWORD) or ask("Your current password: ")
    new = os.environ.get(ENV_NEW_PASSWORD) or ask("Your new password: ", twice=True)
    s.sync.change_password(address, current, new)
    return {"changed": True}, "Your password is changed; sign in with it from now on."


#: What each command does, by (command, action).
HANDLERS: dict[tuple[str, str | None], Callable] = {
    ("sync", None): _sync,
    ("sync", "export-package"): _export_package,
    ("sync", "import-package"): _bring_package,
    ("sync", "change-password"): _sync_change_password,
}
#: Commands that open no database.
NO_DATABASE = frozenset()
