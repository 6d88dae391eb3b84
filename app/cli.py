"""The ``aspire`` command line: subcommands for automation and administrators.

Each subcommand prints readable text by default and JSON with ``--json`` (stable field
names). Errors go to standard error with a message that says what to do, and a non-zero exit.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from app import __version__
from app.config import ENV_DB, resolve_settings
from app.core.dto import CaseSummary, InspectionSummary, NewInspection
from app.core.profile import PROGRAMMES, Programme
from app.core.workflow import CASE_STATUS
from app.errors import DatabaseError, UserFacingError, ValidationError

if TYPE_CHECKING:
    from app.services.registry import Services

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

    cases = sub.add_parser("cases", parents=[common], help="list the cases of an inspection")
    cases_sub = cases.add_subparsers(dest="action", metavar="ACTION", required=True)
    cases_list = cases_sub.add_parser("list", parents=[common], help="list cases")
    cases_list.add_argument("--inspection", required=True, type=_uuid, metavar="ID")

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
    handler = _HANDLERS[(args.command, getattr(args, "action", None))]
    from app.bootstrap import open_services  # storage is loaded only when a command runs

    try:
        services = open_services(settings)
    except UserFacingError as exc:
        return _fail(exc, as_json)
    try:
        result, text = handler(services, args)
    except UserFacingError as exc:
        return _fail(exc, as_json)
    finally:
        services.close()
    if as_json:
        print(json.dumps(result, default=_json_default, indent=2, ensure_ascii=False))
    else:
        print(text)
    return EXIT_OK


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


def _cases_list(s: Services, args) -> tuple[object, str]:
    items = s.cases.list(args.inspection)
    lines = [f"{c.reference:<12} {CASE_STATUS.label(c.status):<18} {c.percent:>3}%  {c.id}"
             for c in items]
    return [_case_json(c) for c in items], "\n".join(lines) or "No cases in this inspection."


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


_HANDLERS: dict[tuple[str, str | None], Callable] = {
    ("demo", None): _demo,
    ("inspections", "create"): _inspections_create,
    ("inspections", "list"): _inspections_list,
    ("cases", "list"): _cases_list,
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
            "status": c.status, "percent": c.percent, "answered": c.answered,
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


def _uuid(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not an inspection id; run 'aspire inspections list' to see them"
        ) from None
