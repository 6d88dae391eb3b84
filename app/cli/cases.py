"""Cases: listing and giving them out, importing case lists, the blank case list and the sample."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from app.core.sampling import DEFAULT_CONFIDENCE, DEFAULT_MARGIN
from app.core.workflow import CASE_STATUS, SAMPLE_STATUS
from app.errors import ValidationError

if TYPE_CHECKING:
    from app.services.registry import Services
from app.cli.common import (
    case_json,
    cases_by_reference,
    percent_arg,
    points_arg,
    said,
    sent_to_standard_output,
    to_standard_output,
    uuid_arg,
)


def add_commands(sub, common) -> None:
    """Add this group's commands to ``sub``, each taking the ``common`` options."""
    cases = sub.add_parser("cases", parents=[common], help="list or assign an inspection's cases")
    cases_sub = cases.add_subparsers(dest="action", metavar="ACTION", required=True)
    cases_list = cases_sub.add_parser("list", parents=[common], help="list cases")
    cases_list.add_argument("--inspection", required=True, type=uuid_arg, metavar="ID")
    cases_list.add_argument("--assignee", help="only this inspector's cases")
    cases_list.add_argument("--status", choices=CASE_STATUS.codes(), help="only this status")
    cases_list.add_argument("--sample", choices=SAMPLE_STATUS.codes(),
                            help="only cases in this place in the sample")
    assign = cases_sub.add_parser("assign", parents=[common],
                                  help="give cases (by reference) to an inspector")
    assign.add_argument("--inspection", required=True, type=uuid_arg, metavar="ID")
    assign.add_argument("--to", required=True, metavar="PERSON",
                        help="an inspector on the team, or 'nobody'")
    assign.add_argument("references", nargs="+", metavar="REFERENCE")

    imp = sub.add_parser("import-cases", parents=[common],
                         help="import a case list (.xlsx or .csv) into an inspection")
    imp.add_argument("file", type=Path, metavar="FILE")
    imp.add_argument("--inspection", required=True, type=uuid_arg, metavar="ID")
    imp.add_argument("--dry-run", action="store_true",
                     help="check the file and report, storing nothing")

    template = sub.add_parser("template", parents=[common], help="write a blank template")
    template_sub = template.add_subparsers(dest="action", metavar="KIND", required=True)
    template_cases = template_sub.add_parser("cases", parents=[common],
                                             help="the case list workbook, with drop-downs")
    template_cases.add_argument("-o", "--output", required=True, type=Path, metavar="FILE",
                                help="the workbook to write ('-' for standard output)")

    sample = sub.add_parser("sample", parents=[common], help="size, draw and keep the sample")
    sample_sub = sample.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, text in (("plan", "the size and allocation a draw would give"),
                       ("draw", "draw the sample and store it with its seed")):
        sp = sample_sub.add_parser(name, parents=[common], help=text)
        sp.add_argument("--inspection", required=True, type=uuid_arg, metavar="ID")
        sp.add_argument("--confidence", type=percent_arg, default=DEFAULT_CONFIDENCE,
                        help="confidence level, e.g. 80 or 0.8 (default 80%%)")
        sp.add_argument("--margin", type=points_arg, default=DEFAULT_MARGIN,
                        help="margin of error in percentage points, e.g. 5 (default 5)")
        if name == "draw":
            sp.add_argument("--seed", type=int, help="seed for a reproducible draw "
                                                     "(default: a new random seed, recorded)")
    show = sample_sub.add_parser("show", parents=[common], help="the current sample")
    show.add_argument("--inspection", required=True, type=uuid_arg, metavar="ID")
    withdraw = sample_sub.add_parser("withdraw", parents=[common],
                                     help="withdraw a case and replace it from the reserve")
    withdraw.add_argument("--inspection", required=True, type=uuid_arg, metavar="ID")
    withdraw.add_argument("--case", required=True, metavar="REFERENCE")
    withdraw.add_argument("--reason", required=True)


def _cases_list(s: Services, args) -> tuple[object, str]:
    items = s.cases.list(args.inspection, assignee=args.assignee, status=args.status,
                         sample=args.sample)
    lines = [f"{c.reference:<12} {CASE_STATUS.label(c.status):<18} {c.percent:>3}%  {c.id}"
             for c in items]
    return [case_json(c) for c in items], "\n".join(lines) or "No cases in this inspection."


def _cases_assign(s: Services, args) -> tuple[object, str]:
    found = cases_by_reference(s, args.inspection, args.references)
    assignee = None if args.to.lower() == "nobody" else args.to
    changed = s.cases.assign(case_ids=[c.id for c in found], assignee=assignee)
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


def _template_cases(_s: Services, args) -> tuple[object, str]:
    from app.io.case_template import write_case_template  # no database is needed for it

    if to_standard_output(args):
        with sent_to_standard_output("case-list-template.xlsx") as path:
            write_case_template(path)
        said("Wrote the case list template to standard output.")
        return None, None
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


#: What each command does, by (command, action).
HANDLERS: dict[tuple[str, str | None], Callable] = {
    ("cases", "list"): _cases_list,
    ("cases", "assign"): _cases_assign,
    ("import-cases", None): _import_cases,
    ("template", "cases"): _template_cases,
    ("sample", "plan"): _sample_plan,
    ("sample", "draw"): _sample_draw,
    ("sample", "show"): _sample_show,
    ("sample", "withdraw"): _sample_withdraw,
}
#: Commands that open no database.
NO_DATABASE = frozenset({("template", "cases")})
