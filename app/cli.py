"""The ``aspire`` command line: subcommands for automation and administrators.

Each subcommand prints readable text by default and JSON with ``--json`` (stable field
names). Errors go to standard error with a message that says what to do, and a non-zero exit.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import getpass
import json
import os
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from app import __version__
from app.config import (
    ENV_CENTRAL,
    ENV_DB,
    ENV_DB_PASSPHRASE,
    ENV_NEW_PASSWORD,
    ENV_PASSPHRASE,
    ENV_PASSWORD,
    resolve_settings,
)
from app.core.devices import ENROLMENT_DAYS, MAX_ENROLMENT_DAYS
from app.core.dto import CaseSummary, InspectionSummary, NewInspection
from app.core.export_log import EXPORT_KIND, LEAVES_THE_STORE
from app.core.profile import PROGRAMMES, Programme
from app.core.sampling import DEFAULT_CONFIDENCE, DEFAULT_MARGIN
from app.core.workflow import CASE_STATUS, SAMPLE_STATUS, TEAM_ROLE
from app.errors import DatabaseError, KeyNeededError, UserFacingError, ValidationError

if TYPE_CHECKING:
    from app.services.registry import Services

ADMIN_URL_HELP = ("the central store as its administrator, e.g. "
                  "postgresql+psycopg://admin@host/aspire (TLS settings such as "
                  "?sslmode=verify-full pass through; a password left out is asked)")


EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


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

    demo = sub.add_parser("demo", parents=[common], help="create a demonstration inspection")
    demo.add_argument("--cases", type=int, default=30, help="number of cases (default 30)")
    demo.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    demo.add_argument("--programme", choices=[p.value for p in Programme
                                              if p != Programme.THEMATIC],
                      default=Programme.ADULT_PROBATION.value)

    insp = sub.add_parser("inspections", parents=[common], help="create or list inspections")
    insp_sub = insp.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = insp_sub.add_parser("create", parents=[common], help="create an inspection")
    create.add_argument("--name", required=True)
    create.add_argument("--programme", required=True, choices=PROGRAMMES.codes())
    create.add_argument("--organisation", required=True)
    create.add_argument("--area", default="")
    create.add_argument("--start", type=_date, help="start date (dd/mm/yyyy)")
    create.add_argument("--end", type=_date, help="end date (dd/mm/yyyy)")
    create.add_argument("--framework", help="framework id (default: the programme's own)")
    create.add_argument("--framework-version", help="framework version (default: newest)")
    insp_sub.add_parser("list", parents=[common], help="list inspections")
    for name, text in (("close", "close an inspection: once synced, its cases leave the "
                                 "team's laptops"),
                       ("reopen", "reopen a closed inspection: its cases come back")):
        closing = insp_sub.add_parser(name, parents=[common], help=text)
        closing.add_argument("--inspection", required=True, type=_uuid, metavar="ID")

    cases = sub.add_parser("cases", parents=[common], help="list or assign an inspection's cases")
    cases_sub = cases.add_subparsers(dest="action", metavar="ACTION", required=True)
    cases_list = cases_sub.add_parser("list", parents=[common], help="list cases")
    cases_list.add_argument("--inspection", required=True, type=_uuid, metavar="ID")
    cases_list.add_argument("--assignee", help="only this inspector's cases")
    cases_list.add_argument("--status", choices=CASE_STATUS.codes(), help="only this status")
    cases_list.add_argument("--sample", choices=SAMPLE_STATUS.codes(),
                            help="only cases in this place in the sample")
    assign = cases_sub.add_parser("assign", parents=[common],
                                  help="give cases (by reference) to an inspector")
    assign.add_argument("--inspection", required=True, type=_uuid, metavar="ID")
    assign.add_argument("--to", required=True, metavar="PERSON",
                        help="an inspector on the team, or 'nobody'")
    assign.add_argument("references", nargs="+", metavar="REFERENCE")

    imp = sub.add_parser("import-cases", parents=[common],
                         help="import a case list (.xlsx or .csv) into an inspection")
    imp.add_argument("file", type=Path, metavar="FILE")
    imp.add_argument("--inspection", required=True, type=_uuid, metavar="ID")
    imp.add_argument("--dry-run", action="store_true",
                     help="check the file and report, storing nothing")

    pdf = sub.add_parser("export-pdf", parents=[common],
                         help="write one case form as a PDF for reading and filing")
    pdf.add_argument("--case", required=True, type=_uuid, metavar="ID",
                     help="the case's id (see 'aspire cases list --json')")
    pdf.add_argument("-o", "--output", required=True, type=Path, metavar="FILE")
    pdf.add_argument("--pseudonymise", action="store_true",
                     help="show the case's pseudonym and age band, not its reference and "
                          "date of birth")

    ratings = sub.add_parser("ratings", parents=[common],
                             help="the inspection's key questions, standards and ratings")
    ratings.add_argument("--inspection", required=True, type=_uuid, metavar="ID")
    ratings.add_argument("--status", nargs="+", choices=CASE_STATUS.codes(), metavar="S",
                         help="count cases with these statuses (default: approved)")
    ratings.add_argument("--all-cases", action="store_true",
                         help="every case, not only those in the current sample")
    ratings.add_argument("--publication", action="store_true",
                         help="suppress small cells, as for anything to be published")

    export = sub.add_parser("export", parents=[common],
                            help="write the inspection's workbook for analysts (.xlsx)")
    export.add_argument("--inspection", required=True, type=_uuid, metavar="ID")
    export.add_argument("-o", "--output", required=True, type=Path, metavar="FILE")
    export.add_argument("--status", nargs="+", choices=CASE_STATUS.codes(), metavar="S",
                        help="only cases with these statuses")
    export.add_argument("--all-cases", action="store_true",
                        help="every case, not only those in the current sample")
    export.add_argument("--pseudonymise", action="store_true",
                        help="replace case references by pseudonyms and dates of birth by age "
                             "bands, for sharing beyond the inspection team")

    export_log = sub.add_parser("export-log", parents=[common],
                                help="the files exported (workbooks, PDFs, transfer files), "
                                     "newest first")
    export_log.add_argument("--inspection", type=_uuid, metavar="ID",
                            help="only this inspection's exports")

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
    add_user.add_argument("--role", required=True, choices=["inspector", "supervisor", "admin"],
                          help="what they may do")
    add_user.add_argument("--inspection", action="append", type=_uuid, default=[],
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
    withdraw.add_argument("--device", required=True, type=_uuid, metavar="ID",
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
    apply = central_sub.add_parser("import-package", parents=[common],
                                   help="apply a laptop's transfer file to the central store")
    apply.add_argument("file", type=Path, metavar="FILE", help="the transfer file")
    apply.add_argument("--url", required=True, metavar="URL", help=ADMIN_URL_HELP)

    template = sub.add_parser("template", parents=[common], help="write a blank template")
    template_sub = template.add_subparsers(dest="action", metavar="KIND", required=True)
    template_cases = template_sub.add_parser("cases", parents=[common],
                                             help="the case list workbook, with drop-downs")
    template_cases.add_argument("-o", "--output", required=True, type=Path, metavar="FILE")

    sample = sub.add_parser("sample", parents=[common], help="size, draw and keep the sample")
    sample_sub = sample.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, text in (("plan", "the size and allocation a draw would give"),
                       ("draw", "draw the sample and store it with its seed")):
        sp = sample_sub.add_parser(name, parents=[common], help=text)
        sp.add_argument("--inspection", required=True, type=_uuid, metavar="ID")
        sp.add_argument("--confidence", type=_percent, default=DEFAULT_CONFIDENCE,
                        help="confidence level, e.g. 80 or 0.8 (default 80%%)")
        sp.add_argument("--margin", type=_points, default=DEFAULT_MARGIN,
                        help="margin of error in percentage points, e.g. 5 (default 5)")
        if name == "draw":
            sp.add_argument("--seed", type=int, help="seed for a reproducible draw "
                                                     "(default: a new random seed, recorded)")
    show = sample_sub.add_parser("show", parents=[common], help="the current sample")
    show.add_argument("--inspection", required=True, type=_uuid, metavar="ID")
    withdraw = sample_sub.add_parser("withdraw", parents=[common],
                                     help="withdraw a case and replace it from the reserve")
    withdraw.add_argument("--inspection", required=True, type=_uuid, metavar="ID")
    withdraw.add_argument("--case", required=True, metavar="REFERENCE")
    withdraw.add_argument("--reason", required=True)

    team = sub.add_parser("team", parents=[common], help="an inspection's team")
    team_sub = team.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, text in (("list", "list the team"), ("add", "add a person or change their role"),
                       ("remove", "remove a person with no cases")):
        tp = team_sub.add_parser(name, parents=[common], help=text)
        tp.add_argument("--inspection", required=True, type=_uuid, metavar="ID")
        if name != "list":
            tp.add_argument("--person", required=True)
        if name == "add":
            tp.add_argument("--role", required=True, choices=TEAM_ROLE.codes())

    fws = sub.add_parser("frameworks", parents=[common], help="question frameworks")
    fws_sub = fws.add_subparsers(dest="action", metavar="ACTION", required=True)
    fws_sub.add_parser("list", parents=[common], help="list the frameworks available")

    dbp = sub.add_parser("db", parents=[common], help="database health")
    db_sub = dbp.add_subparsers(dest="action", metavar="ACTION", required=True)
    db_sub.add_parser("check", parents=[common], help="check the database's integrity")
    backup = db_sub.add_parser("backup", parents=[common], help="online backup to a file")
    backup.add_argument("path", type=Path, metavar="PATH")
    backup.add_argument("--force", action="store_true", help="replace PATH if it exists")
    return parser


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
        print(json.dumps(result, default=_json_default, indent=2, ensure_ascii=False))
    else:
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
        passphrase = _ask("Passphrase for the database: ", twice=exc.new, env=ENV_DB_PASSPHRASE)
        return open_services(settings, passphrase)


def _fail(exc: UserFacingError, as_json: bool) -> int:
    if as_json:
        print(json.dumps(exc.as_dict(), indent=2, ensure_ascii=False), file=sys.stderr)
    else:
        print(f"error: {exc.problem}", file=sys.stderr)
        for line in exc.details:
            print(f"  - {line}", file=sys.stderr)
        if exc.advice:
            print(exc.advice, file=sys.stderr)
    return EXIT_ERROR


# -- handlers: each returns (JSON-ready result, text for people) ----------------------------

def _demo(s: Services, args) -> tuple[object, str]:
    if not 1 <= args.cases <= 5000:
        raise ValidationError(f"--cases {args.cases} is out of range.",
                              "Ask for between 1 and 5000 cases.")
    summary = s.demo.create(cases=args.cases, seed=args.seed, programme=args.programme)
    return _inspection_json(summary), (
        f"Created '{summary.name}' with {summary.case_count} cases (id {summary.id}).\n"
        "Run 'aspire' to open it.")


def _inspections_create(s: Services, args) -> tuple[object, str]:
    framework = args.framework or _default_framework(args.programme)
    summary = s.inspections.create(NewInspection(
        name=args.name, programme=args.programme, organisation=args.organisation,
        area=args.area, start_date=args.start, end_date=args.end, framework_key=framework,
        framework_version=args.framework_version))
    return _inspection_json(summary), f"Created inspection {summary.id}: {summary.name}"


def _inspections_list(s: Services, _args) -> tuple[object, str]:
    items = s.inspections.list()
    lines = [f"{i.id}  {i.name}  ({i.organisation}; {i.framework_key} {i.framework_version}; "
             f"{i.case_count} cases)" for i in items]
    return [_inspection_json(i) for i in items], "\n".join(lines) or "No inspections yet."


def _inspections_status(s: Services, args) -> tuple[object, str]:
    if args.action == "close":
        summary = s.inspections.close(args.inspection)
        return _inspection_json(summary), (
            f"Closed inspection {summary.id}: {summary.name}. Its {summary.case_count} "
            "case(s) are removed from each laptop once everything on it is synced.")
    summary = s.inspections.reopen(args.inspection)
    return _inspection_json(summary), (
        f"Reopened inspection {summary.id}: {summary.name}. Its cases come back to the "
        "team's laptops at their next sync.")


def _cases_list(s: Services, args) -> tuple[object, str]:
    items = s.cases.list(args.inspection, assignee=args.assignee, status=args.status,
                         sample=args.sample)
    lines = [f"{c.reference:<12} {CASE_STATUS.label(c.status):<18} {c.percent:>3}%  {c.id}"
             for c in items]
    return [_case_json(c) for c in items], "\n".join(lines) or "No cases in this inspection."


def _cases_assign(s: Services, args) -> tuple[object, str]:
    by_reference = {c.reference.lower(): c for c in s.cases.list(args.inspection)}
    unknown = [r for r in args.references if r.lower() not in by_reference]
    if unknown:
        raise ValidationError(f"No case with reference {', '.join(unknown)} in this inspection.",
                              "Run 'aspire cases list --inspection ID' to see the references.")
    assignee = None if args.to.lower() == "nobody" else args.to
    changed = s.cases.assign(case_ids=[by_reference[r.lower()].id for r in args.references],
                             assignee=assignee)
    return ({"assigned": changed, "assignee": assignee},
            f"{changed} case{'s' if changed != 1 else ''} assigned to {assignee or 'nobody'}.")


def _import_cases(s: Services, args) -> tuple[object, str]:
    preview, report = s.imports.import_file(inspection_id=args.inspection, path=args.file,
                                           dry_run=args.dry_run)
    result = {"file": str(args.file), "sheet": preview.sheet, "header_row": preview.header_row,
              "rows_read": preview.rows_read, "blank_rows": preview.blank_rows,
              "new_cases": len(preview.new_cases), "imported": report.imported,
              "already_present": report.already_present, "dry_run": report.dry_run,
              "columns": [{"header": c.header, "field": c.field} for c in preview.columns]}
    understood = "\n".join(f"  {c.header!r} -> {c.label if c.field else '(ignored)'}"
                           for c in preview.columns)
    verb = "would import" if report.dry_run else "imported"
    return result, (f"{args.file.name}: {preview.rows_read} rows read; {verb} "
                    f"{len(preview.new_cases) if report.dry_run else report.imported} cases; "
                    f"{report.already_present} already in the inspection.\n"
                    f"Columns understood:\n{understood}")


def _export(s: Services, args) -> tuple[object, str]:
    result = s.exports.export(inspection_id=args.inspection, path=args.output,
                              statuses=args.status, all_cases=args.all_cases,
                              pseudonymise=args.pseudonymise)
    _left_the_store()
    return ({"path": result.path, "cases": result.cases, "answers": result.answers,
             "bytes": result.bytes, "sha256": result.sha256,
             "pseudonymised": result.pseudonymised, "log_entry": result.log_entry},
            f"Wrote {result.cases} cases and {result.answers} answers to {result.path}"
            + (", pseudonymised." if result.pseudonymised else "."))


def _export_log(s: Services, args) -> tuple[object, str]:
    entries = s.exports.log(args.inspection)
    result = [{"id": e.id, "kind": e.kind, "file_name": e.file_name, "sha256": e.sha256,
               "cases": e.case_count, "case_ids": list(e.case_ids),
               "inspection_id": e.inspection_id, "pseudonymised": e.pseudonymised,
               "exported_by": e.exported_by, "exported_at": e.exported_at,
               "device_id": e.device_id} for e in entries]
    lines = [f"{e.exported_at.astimezone():%d/%m/%Y %H:%M}  {e.exported_by:<16} "
             f"{EXPORT_KIND.label(e.kind)}{' (pseudonymised)' if e.pseudonymised else ''}: "
             f"{e.file_name}, {e.case_count} case(s), SHA-256 {e.sha256}" for e in entries]
    return result, "\n".join(lines) or "Nothing has been exported."


def _left_the_store() -> None:
    """Said on standard error, so JSON on standard output stays clean."""
    print(LEAVES_THE_STORE, file=sys.stderr)


def _ratings(s: Services, args) -> tuple[object, str]:
    rated = s.ratings.rate(args.inspection, statuses=args.status or ("approved",),
                           all_cases=args.all_cases, for_publication=args.publication)
    rules = rated.rules

    def figure(q) -> dict:
        low, high = q.interval or (None, None)
        return {"key": q.key, "question": q.text, "yes": q.tally.yes,
                "applicable": q.tally.total, "percent": q.tally.percent,
                "interval_95": [low, high] if q.interval else None, "band": q.band,
                "more_no_to_fall": q.to_fall, "more_yes_to_rise": q.to_rise}

    result = {
        "cases": rated.cases, "rules_confirmed": rules.confirmed, "rules_note": rules.note,
        "standards": [{"key": st.key, "title": st.title, "band": st.band,
                       "decided_by": st.deciding, "questions": [figure(q) for q in st.questions]}
                      for st in rated.standards],
        "breakdowns": [{"by": b.attribute, "question": b.question_key, "cells": [
            {"group": c.group, "yes": None if c.suppressed else c.tally.yes,
             "applicable": None if c.suppressed else c.tally.total,
             "percent": c.shown_percent, "small": c.small, "suppressed": c.suppressed}
            for c in b.cells]} for b in rated.breakdowns],
    }
    lines = [f"{rated.cases} case(s) counted."]
    if not rated.cases:
        lines.append("No case form counts yet: by default only approved ones do (use "
                     "--status to count others).")
    if not rules.confirmed:
        lines.append("The rating rules are defaults not yet confirmed by the inspectorate.")
    for st in rated.standards:
        lines.append(f"\n{st.title}: {st.band or 'not rated (no applicable cases)'}")
        for q in st.questions:
            shown = (f"{q.tally.percent:5.1f}% ({q.tally.yes}/{q.tally.total})"
                     if q.tally.total else "   —  (no applicable cases)")
            fragile = (f", {q.to_fall} more No to fall a band" if q.to_fall is not None
                       else "")
            lines.append(f"  {'*' if q.key == st.deciding else ' '} {shown}  {q.key}"
                         f"{fragile}")
    return result, "\n".join(lines)


def _export_pdf(s: Services, args) -> tuple[object, str]:
    pages = s.review.export_pdf(args.case, args.output, pseudonymise=args.pseudonymise)
    _left_the_store()
    return ({"path": str(args.output), "pages": pages, "pseudonymised": args.pseudonymise},
            f"Wrote the case form ({pages} pages) to {args.output}"
            + (", pseudonymised." if args.pseudonymise else "."))


def _service_address(s: Services, args) -> str:
    address = getattr(args, "central", None) or os.environ.get(ENV_CENTRAL, "")
    if not address:
        raise ValidationError("No central service is set.",
                              f"Give it with --central or the {ENV_CENTRAL} variable.")
    return s.sync.check_address(address)


def _sync(s: Services, args) -> tuple[object, str]:
    address = _service_address(s, args)
    password = os.environ.get(ENV_PASSWORD) or _ask("Your password for the central store: ")
    result = s.sync.sync(address, password)
    status = s.sync.status()
    outcome = {"pushed": result.pushed, "applied": result.applied,
               "conflicts": result.conflicts + result.pulled_conflicts,
               "refused": result.refused, "pulled": result.pulled,
               "pending": status.pending_changes, "open_conflicts": status.open_conflicts,
               "cases_removed": result.cases_removed, "cases_restored": result.cases_restored,
               "cases_joined": result.cases_joined, "set_aside": result.set_aside,
               "joined_not_yet_fetched": result.catch_up_pending,
               "finished_at": result.finished_at}
    aside = (f" {result.set_aside} change(s) received could not be applied here and were "
             "set aside (see the conflicts)." if result.set_aside else "")
    if result.catch_up_pending:
        aside += (f" {result.catch_up_pending} inspection(s) you have joined could not be "
                  "fetched whole yet; the next sync tries again.")
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
    passphrase = os.environ.get(ENV_PASSPHRASE) or _ask(
        "Passphrase for the transfer file (give it to the office separately): ", twice=True)
    manifest = s.sync.export_package(args.output, passphrase,
                                     enrolment_code=args.enrolment_code)
    _left_the_store()
    return ({"path": str(args.output), **manifest},
            f"Sealed {manifest['changes']} change(s) into {args.output}.")


def _import_package(_s: Services, args) -> tuple[object, str]:
    from app.services.sync import SyncService

    passphrase = os.environ.get(ENV_PASSPHRASE) or _ask("Passphrase of the transfer file: ")
    report = SyncService.apply_package_at(with_password(args.url), args.file, passphrase)
    return _package_applied(report)


def _bring_package(s: Services, args) -> tuple[object, str]:
    address = _service_address(s, args)
    passphrase = os.environ.get(ENV_PASSPHRASE) or _ask("Passphrase of the transfer file: ")
    password = os.environ.get(ENV_PASSWORD) or _ask("Your password for the central store: ")
    return _package_applied(s.sync.apply_package(address, password, args.file, passphrase))


def _package_applied(report) -> tuple[object, str]:
    refusals = "".join(f"\n  refused: {why}" for why in report.refusals)
    return (dataclasses.asdict(report),
            f"Applied {report.applied} of {report.changes} change(s) from {report.person}; "
            f"{report.conflicts} conflict(s), {report.refused} refused."
            + (" The laptop was enrolled by the code in the file." if report.enrolled
               else "") + refusals)


def _central_init(_s: Services, args) -> tuple[object, str]:
    from app.sync.central import init_central

    heads = init_central(with_password(args.url))
    return {"schema": heads}, f"The central store is at schema {', '.join(heads)}."


def _central_add_user(_s: Services, args) -> tuple[object, str]:
    from app.sync.central import add_user

    password = os.environ.get(ENV_NEW_PASSWORD) or _ask(
        f"Password for the new login {args.login}: ", twice=True)
    add_user(with_password(args.url), login=args.login, name=args.name, role=args.role,
             password=password, inspections=args.inspection)
    return ({"login": args.login, "role": args.role, "inspections": args.inspection},
            f"{args.login} can now sign in as {args.role}.")


def _central_reset_password(_s: Services, args) -> tuple[object, str]:
    from app.sync.central import reset_password

    password = os.environ.get(ENV_NEW_PASSWORD) or _ask(
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


def _sync_change_password(s: Services, args) -> tuple[object, str]:
    address = _service_address(s, args)
    current = os.environ.get(ENV_PASSWORD) or _ask("Your current password: ")
    new = os.environ.get(ENV_NEW_PASSWORD) or _ask("Your new password: ", twice=True)
    s.sync.change_password(address, current, new)
    return {"changed": True}, "Your password is changed; sign in with it from now on."


def with_password(url: str) -> str:
    """The central store's address with its password, which is never stored: it comes from
    the environment (for automation) or is asked for."""
    if not url:
        raise ValidationError("No central store is set.",
                              f"Give it with --central or the {ENV_CENTRAL} variable.")
    from app.sync.central import needs_password, set_password

    if not needs_password(url):
        return url
    password = os.environ.get(ENV_PASSWORD) or _ask("Password for the central store: ")
    return set_password(url, password)


def _ask(prompt: str, twice: bool = False, env: str = "") -> str:
    if not sys.stdin.isatty():
        raise ValidationError(
            "A password or passphrase is needed and there is no one to ask.",
            f"Set {env}." if env else
            f"Set {ENV_PASSWORD} (or {ENV_NEW_PASSWORD} for a new login).")
    first = getpass.getpass(prompt)
    if twice and getpass.getpass("Again: ") != first:
        raise ValidationError("The two entries differ.", "Type the same one twice.")
    return first


def _template_cases(_s: Services, args) -> tuple[object, str]:
    from app.io.case_template import write_case_template  # no database is needed for it

    path = write_case_template(args.output)
    return {"path": str(path)}, f"Wrote the case list template to {path}"


def _sample_plan(s: Services, args) -> tuple[object, str]:
    plan = s.samples.plan(inspection_id=args.inspection, confidence=args.confidence,
                          margin=args.margin)
    result = {"population": plan.population, "confidence": plan.confidence,
              "margin": plan.margin, "size": plan.size, "total": plan.total,
              "strata_fields": list(plan.strata_fields),
              "strata": [{"stratum": list(r.stratum), "label": r.label, "caseload": r.caseload,
                          "allocated": r.allocated} for r in plan.strata]}
    return result, _plan_text(plan.population, plan.size, plan.total, plan.confidence,
                              plan.margin, plan.strata)


def _sample_draw(s: Services, args) -> tuple[object, str]:
    return _sample_result(s.samples.draw(inspection_id=args.inspection,
                                         confidence=args.confidence, margin=args.margin,
                                         seed=args.seed))


def _sample_show(s: Services, args) -> tuple[object, str]:
    summary = s.samples.current(args.inspection)
    if summary is None:
        raise ValidationError("No sample has been drawn for this inspection.",
                              "Draw one with 'aspire sample draw --inspection ID'.")
    return _sample_result(summary)


def _sample_withdraw(s: Services, args) -> tuple[object, str]:
    case = next((c for c in s.cases.list(args.inspection)
                 if c.reference.lower() == args.case.lower()), None)
    if case is None:
        raise ValidationError(f"No case with reference {args.case} in this inspection.",
                              "Run 'aspire cases list --inspection ID' to see the references.")
    return _sample_result(s.samples.withdraw(case_id=case.id, reason=args.reason))


def _sample_result(summary) -> tuple[object, str]:
    result = {
        "id": summary.id, "seed": summary.seed, "confidence": summary.confidence,
        "margin": summary.margin, "population": summary.population,
        "size": summary.size_requested, "total": summary.size_total,
        "strata": [{"stratum": list(r.stratum), "label": r.label, "caseload": r.caseload,
                    "allocated": r.allocated, "in_sample": r.in_sample,
                    "reserve_left": r.reserve_left} for r in summary.strata],
        "cases": [{"id": mb.case_id, "reference": mb.reference, "status": mb.status,
                   "role": mb.role, "stratum": mb.stratum_label,
                   "withdrawn_reason": mb.withdrawn_reason} for mb in summary.members],
        "proportions": [{"attribute": p.attribute, "value": p.value,
                         "caseload_count": p.caseload_count,
                         "caseload_percent": p.caseload_percent,
                         "sample_count": p.sample_count, "sample_percent": p.sample_percent}
                        for p in summary.proportions],
        "history": [{"at": e.at, "by": e.by, "kind": e.kind, "reference": e.reference,
                     "other_reference": e.other_reference, "reason": e.reason}
                    for e in summary.history],
    }
    text = _plan_text(summary.population, summary.size_requested, summary.size_total,
                      summary.confidence, summary.margin, summary.strata)
    chosen = ", ".join(mb.reference for mb in summary.in_sample)
    return result, f"{text}\nSeed {summary.seed}. In the sample: {chosen}"


def _plan_text(population, size, total, confidence, margin, strata) -> str:
    lines = [f"Caseload {population}; sample {size} at {confidence:.0%} confidence, "
             f"±{margin * 100:g} points"
             + (f" (raised to {total} so every group is represented)" if total > size else "")]
    lines += [f"  {r.label:<60} {r.caseload:>5} -> {r.allocated}" for r in strata]
    return "\n".join(lines)


def _team(s: Services, args) -> tuple[object, str]:
    if args.action == "add":
        team = s.inspections.add_member(inspection_id=args.inspection, person=args.person,
                                        role=args.role)
    elif args.action == "remove":
        team = s.inspections.remove_member(inspection_id=args.inspection, person=args.person)
    else:
        team = s.inspections.team(args.inspection)
    return ([{"person": t.person, "role": t.role} for t in team],
            "\n".join(f"{t.person} ({TEAM_ROLE.label(t.role)})" for t in team))


def _frameworks_list(s: Services, _args) -> tuple[object, str]:
    items = s.frameworks.available()
    result = [{"id": f.key, "version": f.version, "title": f.title, "programme": f.programme,
               "questions": f.question_count, "reconstructed": f.reconstructed_count,
               "source": f.source} for f in items]
    lines = [f"{f.key} {f.version}: {f.title} ({f.question_count} questions)" for f in items]
    return result, "\n".join(lines)


def _db_check(s: Services, _args) -> tuple[object, str]:
    report = s.database.check()
    result = {**dataclasses.asdict(report), "ok": report.ok}
    if not report.ok:
        found = (f"integrity: {report.integrity}; foreign key problems: "
                 f"{report.foreign_key_problems}")
        raise DatabaseError(f"The database {report.path} has problems ({found}).",
                            "Restore the newest backup, or ask your administrator for help.")
    counts = ", ".join(f"{n} {k}" for k, n in report.counts.items())
    return result, (f"{report.path}: integrity ok, schema {report.schema_revision}.\n{counts}; "
                    f"{report.pending_changes} changes waiting to sync.")


def _db_backup(s: Services, args) -> tuple[object, str]:
    target = s.database.backup(args.path, overwrite=args.force)
    return {"path": str(target), "bytes": target.stat().st_size}, f"Backed up to {target}"


#: Commands that need no database (none is opened or created for them).
_NO_DATABASE = {("template", "cases"), ("central", "init"), ("central", "add-user"),
                ("central", "import-package"), ("central", "serve"),
                ("central", "reset-password"), ("central", "enrol-device"),
                ("central", "withdraw-device")}

_HANDLERS: dict[tuple[str, str | None], Callable] = {
    ("demo", None): _demo,
    ("inspections", "create"): _inspections_create,
    ("inspections", "list"): _inspections_list,
    ("inspections", "close"): _inspections_status,
    ("inspections", "reopen"): _inspections_status,
    ("cases", "list"): _cases_list,
    ("cases", "assign"): _cases_assign,
    ("import-cases", None): _import_cases,
    ("template", "cases"): _template_cases,
    ("export", None): _export,
    ("export-pdf", None): _export_pdf,
    ("export-log", None): _export_log,
    ("ratings", None): _ratings,
    ("sync", None): _sync,
    ("sync", "export-package"): _export_package,
    ("sync", "import-package"): _bring_package,
    ("sync", "change-password"): _sync_change_password,
    ("central", "import-package"): _import_package,
    ("central", "init"): _central_init,
    ("central", "add-user"): _central_add_user,
    ("central", "serve"): _central_serve,
    ("central", "reset-password"): _central_reset_password,
    ("central", "enrol-device"): _central_enrol_device,
    ("central", "withdraw-device"): _central_withdraw_device,
    ("sample", "plan"): _sample_plan,
    ("sample", "draw"): _sample_draw,
    ("sample", "show"): _sample_show,
    ("sample", "withdraw"): _sample_withdraw,
    ("team", "list"): _team,
    ("team", "add"): _team,
    ("team", "remove"): _team,
    ("frameworks", "list"): _frameworks_list,
    ("db", "check"): _db_check,
    ("db", "backup"): _db_backup,
}


def _default_framework(programme: str) -> str:
    from app.services.demo import FRAMEWORK_FOR

    try:
        return FRAMEWORK_FOR[Programme(programme)]
    except KeyError:
        raise ValidationError(f"There is no default framework for {programme} inspections.",
                              "Name one with --framework.") from None


def _inspection_json(i: InspectionSummary) -> dict:
    return {"id": i.id, "name": i.name, "programme": i.programme,
            "organisation": i.organisation, "area": i.area, "start_date": i.start_date,
            "end_date": i.end_date, "framework": i.framework_key,
            "framework_version": i.framework_version, "status": i.status,
            "case_count": i.case_count}


def _case_json(c: CaseSummary) -> dict:
    return {"id": c.id, "inspection_id": c.inspection_id, "reference": c.reference,
            "status": c.status, "sample": c.sample_status, "percent": c.percent,
            "answered": c.answered,
            "applicable": c.applicable, "problems": c.problems, **c.profile.as_dict()}


def _json_default(value: object) -> object:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _date(text: str) -> dt.date:
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    raise argparse.ArgumentTypeError(f"'{text}' is not a date; use dd/mm/yyyy")


def _percent(text: str) -> float:
    """80, 80% or 0.8 all mean 80 per cent."""
    try:
        value = float(text.strip().rstrip("%"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a percentage, e.g. 80") from None
    return value / 100 if value > 1 else value


def _points(text: str) -> float:
    """A margin in percentage points: 5 means ±5 points (0.05)."""
    try:
        value = float(text.strip().rstrip("%"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of points, e.g. 5") from None
    return value / 100 if value >= 1 else value


def _uuid(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not an id; run 'aspire inspections list' or 'aspire cases list "
            "--json' to see them"
        ) from None
