"""Inspections, their teams, the question frameworks and a demonstration inspection."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from app.core.dto import NewInspection, PoolingDetails
from app.core.inspection_details import (
    ORGANISATION_TYPE,
    REGION,
    SAMPLE_DESIGN,
    pooling_words,
)
from app.core.profile import PROGRAMMES, Programme
from app.core.workflow import TEAM_ROLE
from app.errors import FrameworkError, ValidationError

if TYPE_CHECKING:
    from app.services.registry import Services
from app.cli.common import Progress, date_arg, inspection_json, uuid_arg


def add_commands(sub, common) -> None:
    """Add this group's commands to ``sub``, each taking the ``common`` options."""
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
    create.add_argument("--start", type=date_arg, help="start date (dd/mm/yyyy)")
    create.add_argument("--end", type=date_arg, help="end date (dd/mm/yyyy)")
    create.add_argument("--framework", help="framework id (default: the programme's own)")
    create.add_argument("--framework-version", help="framework version (default: newest)")
    _pooling_options(create)
    details = insp_sub.add_parser(
        "set-details", parents=[common],
        help="change what an inspection says for pooling across inspections (the lead "
             "inspector's to change); what is not given stays as it is")
    details.add_argument("--inspection", required=True, type=uuid_arg, metavar="ID")
    _pooling_options(details)
    insp_sub.add_parser("list", parents=[common], help="list inspections")
    for name, text in (("close", "close an inspection: once synced, its cases leave the "
                                 "team's laptops"),
                       ("reopen", "reopen a closed inspection: its cases come back")):
        closing = insp_sub.add_parser(name, parents=[common], help=text)
        closing.add_argument("--inspection", required=True, type=uuid_arg, metavar="ID")

    team = sub.add_parser("team", parents=[common], help="an inspection's team")
    team_sub = team.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, text in (("list", "list the team"), ("add", "add a person or change their role"),
                       ("remove", "remove a person with no cases")):
        tp = team_sub.add_parser(name, parents=[common], help=text)
        tp.add_argument("--inspection", required=True, type=uuid_arg, metavar="ID")
        if name != "list":
            tp.add_argument("--person", required=True)
        if name == "add":
            tp.add_argument("--role", required=True, choices=TEAM_ROLE.codes())

    fws = sub.add_parser("frameworks", parents=[common], help="question frameworks")
    fws_sub = fws.add_subparsers(dest="action", metavar="ACTION", required=True)
    fws_sub.add_parser("list", parents=[common], help="list the frameworks available")
    imported = fws_sub.add_parser(
        "import", parents=[common],
        help="check a framework authored in a workbook and install it as a new version")
    imported.add_argument("file", type=Path, metavar="FILE.xlsx",
                          help="the framework workbook (see 'aspire frameworks template')")
    imported.add_argument("--dry-run", action="store_true",
                          help="check it and name every problem, installing nothing")
    exported = fws_sub.add_parser(
        "export", parents=[common],
        help="write a framework version as a workbook, in the layout it is imported from")
    exported.add_argument("--framework", required=True, metavar="ID",
                          help="the framework's id (see 'aspire frameworks list')")
    exported.add_argument("--version", dest="framework_version", metavar="V",
                          help="the version (default: the newest)")
    exported.add_argument("-o", "--output", required=True, type=Path, metavar="FILE.xlsx")
    template = fws_sub.add_parser(
        "template", parents=[common],
        help="write the empty framework workbook an author starts from, with its guidance")
    template.add_argument("-o", "--output", required=True, type=Path, metavar="FILE.xlsx")


def _pooling_options(parser) -> None:
    parser.add_argument("--year", type=int, metavar="YYYY",
                        help="the year it is reported in (default: its start date's)")
    parser.add_argument("--organisation-type", choices=ORGANISATION_TYPE.codes(),
                        metavar="TYPE", help="the kind of organisation inspected")
    parser.add_argument("--region", choices=REGION.codes(), metavar="REGION",
                        help="the Probation Service region it is in")
    parser.add_argument("--sample", choices=SAMPLE_DESIGN.codes(), metavar="DESIGN",
                        help="how its cases were chosen (default random; a full joint "
                             "inspection's targeted sample is never pooled with random ones)")
    parser.add_argument("--reinspects", type=_earlier_arg, metavar="ID",
                        help="the id of the earlier inspection of the same unit that this "
                             "one re-inspects ('none' for none)")


def _earlier_arg(text: str) -> uuid.UUID | str:
    return "none" if text.strip().lower() == "none" else uuid_arg(text)


def _pooling_details(args, current: PoolingDetails | None = None) -> PoolingDetails:
    """The details the options give, the rest as they are."""
    current = current or PoolingDetails()
    earlier = current.reinspects_id if args.reinspects is None else (
        None if args.reinspects == "none" else args.reinspects)
    return PoolingDetails(
        year=current.year if args.year is None else args.year,
        organisation_type=(current.organisation_type if args.organisation_type is None
                           else args.organisation_type),
        region=current.region if args.region is None else args.region,
        sample_design=current.sample_design if args.sample is None else args.sample,
        reinspects_id=earlier)


def _demo(s: Services, args) -> tuple[object, str]:
    if not 1 <= args.cases <= 5000:
        raise ValidationError(f"--cases {args.cases} is out of range.",
                              "Ask for between 1 and 5000 cases.")
    progress = Progress("Making the demonstration cases", args.cases)
    summary = s.demo.create(cases=args.cases, seed=args.seed, programme=args.programme,
                            progress=progress.show)
    progress.done()
    return inspection_json(summary), (
        f"Created '{summary.name}' with {summary.case_count} cases (id {summary.id}).\n"
        "Run 'aspire' to open it.")


def _inspections_create(s: Services, args) -> tuple[object, str]:
    framework = args.framework or s.frameworks.default_for(args.programme)
    summary = s.inspections.create(NewInspection(
        name=args.name, programme=args.programme, organisation=args.organisation,
        area=args.area, start_date=args.start, end_date=args.end, framework_key=framework,
        framework_version=args.framework_version, details=_pooling_details(args)))
    return inspection_json(summary), f"Created inspection {summary.id}: {summary.name}"


def _inspections_set_details(s: Services, args) -> tuple[object, str]:
    current = s.inspections.get(args.inspection)
    summary = s.inspections.set_details(args.inspection,
                                        _pooling_details(args, current.details))
    return inspection_json(summary), (f"{summary.name}: {pooling_words(summary.details)}.")


def _inspections_list(s: Services, _args) -> tuple[object, str]:
    items = s.inspections.list()
    lines = [f"{i.id}  {i.name}  ({i.organisation}; {i.framework_key} {i.framework_version}; "
             f"{i.case_count} cases)" for i in items]
    return [inspection_json(i) for i in items], "\n".join(lines) or "No inspections yet."


def _inspections_status(s: Services, args) -> tuple[object, str]:
    if args.action == "close":
        summary = s.inspections.close(args.inspection)
        return inspection_json(summary), (
            f"Closed inspection {summary.id}: {summary.name}. Its {summary.case_count} "
            "case(s) are removed from each laptop once everything on it is synced.")
    summary = s.inspections.reopen(args.inspection)
    return inspection_json(summary), (
        f"Reopened inspection {summary.id}: {summary.name}. Its cases come back to the "
        "team's laptops at their next sync.")


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


def _frameworks_import(s: Services, args) -> tuple[object, str]:
    found = s.frameworks.import_workbook(args.file, dry_run=args.dry_run)
    if not found.ok:
        count = len(found.problems)
        error = FrameworkError(
            f"{found.file_name} has {count} problem{'s' if count != 1 else ''}; nothing was "
            "installed.",
            "Correct each problem listed (sheet, row and column are named) and import it "
            "again; --dry-run checks it without installing.",
            details=[str(p) for p in found.problems])
        error.problems = list(found.problems)
        raise error
    info = found.framework
    assert info is not None
    result = {"id": info.key, "version": info.version, "title": info.title,
              "programme": info.programme, "questions": info.question_count,
              "reconstructed": info.reconstructed_count, "installed": found.installed,
              "already_here": found.already_here, "dry_run": found.dry_run}
    count = info.question_count
    what = (f"'{info.key}' version {info.version}: {info.title} ({count} "
            f"question{'s' if count != 1 else ''})")
    if found.already_here:
        text = f"{what} is already here, exactly as in {found.file_name}; nothing changed."
    elif found.dry_run:
        text = f"{found.file_name} has no problems: {what}. Nothing was installed (--dry-run)."
    else:
        text = f"Installed {what}. New inspections can use it now."
    return result, text


def _frameworks_export(s: Services, args) -> tuple[object, str]:
    path = s.frameworks.export_workbook(args.framework, args.framework_version, args.output)
    return {"file": str(path)}, f"Wrote {path}"


def _frameworks_template(_s: Services | None, args) -> tuple[object, str]:
    from app.services.frameworks import FrameworkCatalog

    path = FrameworkCatalog.write_template(args.output)
    return {"file": str(path)}, (f"Wrote {path}. Fill in its sheets (its guidance sheet says "
                                 "how), then check it with 'aspire frameworks import "
                                 f"{path.name} --dry-run'.")


#: What each command does, by (command, action).
HANDLERS: dict[tuple[str, str | None], Callable] = {
    ("demo", None): _demo,
    ("inspections", "create"): _inspections_create,
    ("inspections", "list"): _inspections_list,
    ("inspections", "set-details"): _inspections_set_details,
    ("inspections", "close"): _inspections_status,
    ("inspections", "reopen"): _inspections_status,
    ("team", "list"): _team,
    ("team", "add"): _team,
    ("team", "remove"): _team,
    ("frameworks", "list"): _frameworks_list,
    ("frameworks", "import"): _frameworks_import,
    ("frameworks", "export"): _frameworks_export,
    ("frameworks", "template"): _frameworks_template,
}
#: Commands that open no database.
NO_DATABASE = frozenset({("frameworks", "template")})
