"""Administering the central store where its database is reachable, and running its service."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from app.config import (
    ENV_NEW_PASSWORD,
    ENV_PASSPHRASE,
    ENV_PASSWORD,
)
from app.core.devices import ENROLMENT_DAYS, MAX_ENROLMENT_DAYS
from app.errors import ValidationError

if TYPE_CHECKING:
    from app.services.registry import Services
from app.cli.common import ADMIN_URL_HELP, ask, package_applied, uuid_arg, with_password


def add_commands(sub, common) -> None:
    """Add this group's commands to ``sub``, each taking the ``common`` options."""
    central = sub.add_parser("central", parents=[common], help="administer the central store")
    central_sub = central.add_subparsers(dest="action", metavar="ACTION", required=True)
    init = central_sub.add_parser("init", parents=[common],
                                  help="create or upgrade the central store's schema")
    init.add_argument("--url", required=True, metavar="URL", help=ADMIN_URL_HELP)
    add_user = central_sub.add_parser("add-user", parents=[common],
                                      help="give a person a login, a role and inspections")
    add_user.add_argument("--url", required=True, metavar="URL", help=ADMIN_URL_HELP)
    add_user.add_argument("--login", required=True,
                          help="their login: lower-case letters, digits, '.' and '_'")
    add_user.add_argument("--name", required=True, help="their name as colleagues know it")
    add_user.add_argument("--role", required=True,
                          choices=["inspector", "supervisor", "admin", "analyst"],
                          help="what they may do (an analyst reads pooled findings across "
                               "every inspection and belongs to no team)")
    add_user.add_argument("--inspection", action="append", type=uuid_arg, default=[],
                          metavar="ID", help="an inspection they belong to (repeatable)")
    reset = central_sub.add_parser(
        "reset-password", parents=[common],
        help="give a person a new password for the central service, to change at sign-in")
    reset.add_argument("--url", required=True, metavar="URL", help=ADMIN_URL_HELP)
    reset.add_argument("--login", required=True, help="whose password")
    enrol = central_sub.add_parser(
        "enrol-device", parents=[common],
        help="issue a one-time code that enrols a laptop for a person (for a laptop that "
             "never reaches the network)")
    enrol.add_argument("--url", required=True, metavar="URL", help=ADMIN_URL_HELP)
    enrol.add_argument("--login", required=True, help="whose laptop")
    enrol.add_argument("--days", type=int, default=ENROLMENT_DAYS, metavar="N",
                       help=f"how long the code is valid (default {ENROLMENT_DAYS} days, "
                            f"at most {MAX_ENROLMENT_DAYS})")
    withdraw = central_sub.add_parser(
        "withdraw-device", parents=[common],
        help="stop a laptop (lost, stolen, passed on) signing in; its sessions end at once")
    withdraw.add_argument("--url", required=True, metavar="URL", help=ADMIN_URL_HELP)
    withdraw.add_argument("--device", required=True, type=uuid_arg, metavar="ID",
                          help="the laptop's device id")
    serve = central_sub.add_parser(
        "serve", parents=[common],
        help="run the central service that laptops sync with (HTTPS; plain HTTP on loopback)")
    serve.add_argument("--url", required=True, metavar="URL",
                       help="the central database as the service's own login, e.g. "
                            "postgresql://aspire_service@db.example/aspire (the password from "
                            f"${ENV_PASSWORD} or asked)")
    serve.add_argument("--listen", default="127.0.0.1:8443", metavar="HOST:PORT",
                       help="where to listen (default 127.0.0.1:8443; any address other "
                            "than a loopback one needs --tls-cert and --tls-key)")
    serve.add_argument("--tls-cert", type=Path, metavar="FILE",
                       help="the service's certificate chain (PEM)")
    serve.add_argument("--tls-key", type=Path, metavar="FILE",
                       help="the certificate's private key (PEM)")
    publish = central_sub.add_parser(
        "publish-framework", parents=[common],
        help="publish a question framework (its workbook or file) at the central store: "
             "laptops fetch it at their next sync")
    publish.add_argument("file", type=Path, metavar="FILE",
                         help="the framework workbook (.xlsx) or framework file (.json)")
    publish.add_argument("--url", required=True, metavar="URL", help=ADMIN_URL_HELP)
    apply = central_sub.add_parser("import-package", parents=[common],
                                   help="apply a laptop's transfer file to the central store")
    apply.add_argument("file", type=Path, metavar="FILE", help="the transfer file")
    apply.add_argument("--url", required=True, metavar="URL", help=ADMIN_URL_HELP)


def _central_init(_s: Services, args) -> tuple[object, str]:
    from app.sync.central import init_central

    heads = init_central(with_password(args.url))
    return {"schema": heads}, f"The central store is at schema {', '.join(heads)}."


def _central_add_user(_s: Services, args) -> tuple[object, str]:
    from app.sync.central import add_user

    password = os.environ.get(ENV_NEW_PASSWORD) or ask(
        f"Password for the new login {args.login}: ", twice=True)
    add_user(with_password(args.url), login=args.login, name=args.name, role=args.role,
             password=password, inspections=args.inspection)
    return ({"login": args.login, "role": args.role, "inspections": args.inspection},
            f"{args.login} can now sign in as {args.role}.")


def _central_reset_password(_s: Services, args) -> tuple[object, str]:
    from app.sync.central import reset_password

    password = os.environ.get(ENV_NEW_PASSWORD) or ask(
        f"New password for {args.login}: ", twice=True)
    reset_password(with_password(args.url), login=args.login, password=password)
    return ({"login": args.login, "must_change": True},
            f"{args.login} can sign in with the new password, and must then change it.")


def _central_enrol_device(_s: Services, args) -> tuple[object, str]:
    from app.core.devices import enrolment_days_problem
    from app.sync.central import issue_enrolment_code

    problem = enrolment_days_problem(args.days)  # before any password is asked
    if problem is not None:
        raise ValidationError(problem, f"Give --days from 1 to {MAX_ENROLMENT_DAYS}.")
    issued = issue_enrolment_code(with_password(args.url), login=args.login, days=args.days)
    expires = issued.expires_at.astimezone(dt.UTC)
    return ({"login": issued.login, "code": issued.code, "expires_at": expires},
            f"Enrolment code for {issued.login}'s laptop: {issued.code}\n"
            f"It enrols one laptop once, until {expires:%d/%m/%Y %H:%M} UTC. Give it to "
            f"{issued.login} by a different route from the laptop itself; it is not shown "
            "again.")


def _central_withdraw_device(_s: Services, args) -> tuple[object, str]:
    from app.sync.central import withdraw_device

    device = withdraw_device(with_password(args.url), device_id=args.device)
    return ({"device": device.device_id, "login": device.login,
             "withdrawn_at": device.revoked_at},
            f"The laptop {device.device_id} of {device.login} can no longer sign in.")


def _central_serve(_s: Services, args) -> tuple[object, str]:
    from app.server.serve import listen_on, serve

    listen = listen_on(args.listen, args.tls_cert, args.tls_key)  # refused before any prompt
    serve(with_password(args.url), listen)
    return {"stopped": True}, "The central service has stopped."


def _publish_framework(_s: Services, args) -> tuple[object, str]:
    from app.core.framework_loader import load_framework_file
    from app.io.framework_workbook import load_framework_workbook
    from app.sync.central import publish_framework

    # the framework is read and checked whole before any password is asked
    framework = (load_framework_file(args.file) if args.file.suffix.lower() == ".json"
                 else load_framework_workbook(args.file))
    done = publish_framework(with_password(args.url), framework)
    what = f"'{done.framework_key}' version {done.version}: {done.title}"
    return ({"id": done.framework_key, "version": done.version, "sha256": done.content_sha256,
             "already_published": done.already},
            f"{what} was already published, exactly so; nothing changed." if done.already
            else f"Published {what}. Laptops offer it after their next sync.")


def _import_package(_s: Services, args) -> tuple[object, str]:
    from app.services.sync import SyncService

    passphrase = os.environ.get(ENV_PASSPHRASE) or ask("Passphrase of the transfer file: ")
    report = SyncService.apply_package_at(with_password(args.url), args.file, passphrase)
    return package_applied(report)


#: What each command does, by (command, action).
HANDLERS: dict[tuple[str, str | None], Callable] = {
    ("central", "import-package"): _import_package,
    ("central", "init"): _central_init,
    ("central", "add-user"): _central_add_user,
    ("central", "serve"): _central_serve,
    ("central", "reset-password"): _central_reset_password,
    ("central", "enrol-device"): _central_enrol_device,
    ("central", "withdraw-device"): _central_withdraw_device,
    ("central", "publish-framework"): _publish_framework,
}
#: Commands that open no database.
NO_DATABASE = frozenset({("central", "init"), ("central", "add-user"),
                         ("central", "import-package"), ("central", "serve"),
                         ("central", "reset-password"), ("central", "enrol-device"),
                         ("central", "withdraw-device"), ("central", "publish-framework")})
