"""What leaves the store: the analysts' workbook, a case form as PDF, ratings, and the
export log."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from app.core.export_log import EXPORT_KIND
from app.core.rating_decisions import OVERALL, RATING_SCALE
from app.core.workflow import CASE_STATUS

if TYPE_CHECKING:
    from app.services.registry import Services
from app.cli.common import (
    Progress,
    file_name,
    left_the_store,
    said,
    sent_to_standard_output,
    to_standard_output,
    uuid_arg,
)
from app.errors import ValidationError


def add_commands(sub, common) -> None:
    """Add this group's commands to ``sub``, each taking the ``common`` options."""
    pdf = sub.add_parser("export-pdf", parents=[common],
                         help="write case forms as PDFs for reading and filing")
    which = pdf.add_mutually_exclusive_group(required=True)
    which.add_argument("--case", nargs="+", metavar="REFERENCE",
                       help="the case's reference (or id); with several, one PDF each is "
                            "written into the folder -o names")
    which.add_argument("--all", action="store_true",
                       help="every case of the inspection (--inspection), one PDF each, "
                            "into the folder -o names")
    pdf.add_argument("--inspection", type=uuid_arg, metavar="ID",
                     help="the inspection (needed with --all, and where a reference is a "
                          "case in several inspections)")
    pdf.add_argument("-o", "--output", required=True, type=Path, metavar="PATH",
                     help="the PDF to write ('-' for standard output), or the folder for "
                          "several")
    pdf.add_argument("--pseudonymise", action="store_true",
                     help="show the case's pseudonym and age band, not its reference and "
                          "date of birth, and pseudonyms for the people it names")

    ratings = sub.add_parser("ratings", parents=[common],
                             help="the inspection's key questions, standards and ratings")
    ratings.add_argument("--inspection", type=uuid_arg, metavar="ID",
                         help="the inspection (required)")
    ratings.add_argument("--status", nargs="+", choices=CASE_STATUS.codes(), metavar="S",
                         help="count cases with these statuses (default: approved)")
    ratings.add_argument("--all-cases", action="store_true",
                         help="every case, not only those in the current sample")
    ratings.add_argument("--publication", action="store_true",
                         help="suppress small cells, as for anything to be published")
    decisions = ratings.add_subparsers(dest="action", metavar="ACTION", required=False)
    record = decisions.add_parser(
        "record", parents=[common],
        help="the lead inspector records a rating: of a standard judged on the evidence, or "
             "in place of the arithmetic's for a standard or the service overall, with the "
             "reason")
    withdraw = decisions.add_parser(
        "withdraw", parents=[common],
        help="withdraw a rating recorded, so the arithmetic's stands again")
    for parser in (record, withdraw):
        parser.add_argument("--inspection", required=True, type=uuid_arg, metavar="ID")
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--standard", metavar="KEY",
                            help="the standard's key (as 'aspire ratings --json' gives it)")
        target.add_argument("--overall", action="store_true", help="the service overall")
    record.add_argument("--rating", required=True, choices=RATING_SCALE, metavar="RATING",
                        help=f"one of: {', '.join(RATING_SCALE)}")
    record.add_argument("--reason", required=True,
                        help="why: the evidence, or why the judgement departs from the "
                             "arithmetic")

    export = sub.add_parser("export", parents=[common],
                            help="write the inspection's workbook for analysts (.xlsx), or its "
                                 "tidy tables (Parquet or CSV) for R, Stata or Python")
    export.add_argument("--inspection", required=True, type=uuid_arg, metavar="ID")
    export.add_argument("-o", "--output", required=True, type=Path, metavar="FILE",
                        help="the workbook to write ('-' for standard output), or with "
                             "--format parquet or csv the folder the tables go in")
    export.add_argument("--format", default="xlsx", choices=["xlsx", "parquet", "csv"],
                        metavar="FORMAT",
                        help="a workbook (the default), or cases, answers, interviews, "
                             "practice examples, the questions and a data dictionary as "
                             "tables, a file each")
    export.add_argument("--status", nargs="+", choices=CASE_STATUS.codes(), metavar="S",
                        help="only cases with these statuses")
    export.add_argument("--all-cases", action="store_true",
                        help="every case, not only those in the current sample")
    export.add_argument("--pseudonymise", action="store_true",
                        help="replace case references and people's names by pseudonyms and "
                             "dates of birth by age bands, for sharing beyond the inspection "
                             "team")
    export.add_argument("--provisional-ratings", action="store_true",
                        help="rate every case form in the workbook as answered so far, not "
                             "only the approved ones (the Ratings sheet then says so)")

    export_log = sub.add_parser("export-log", parents=[common],
                                help="the files exported (workbooks, PDFs, transfer files), "
                                     "newest first")
    export_log.add_argument("--inspection", type=uuid_arg, metavar="ID",
                            help="only this inspection's exports")


def _export(s: Services, args) -> tuple[object, str]:
    if args.format != "xlsx":
        return _export_tables(s, args)
    progress = Progress("Writing the workbook's rows", 0)

    def export(path: Path):
        return s.exports.export(inspection_id=args.inspection, path=path,
                                statuses=args.status, all_cases=args.all_cases,
                                pseudonymise=args.pseudonymise, progress=progress.show,
                                provisional_ratings=args.provisional_ratings)

    if to_standard_output(args):
        with sent_to_standard_output("standard-output.xlsx") as path:
            result = export(path)
            progress.done()
        said(f"Wrote {result.cases} cases and {result.answers} answers to standard output"
             + (", pseudonymised." if result.pseudonymised else "."))
        left_the_store()
        return None, None
    result = export(args.output)
    progress.done()
    left_the_store()
    return ({"path": result.path, "cases": result.cases, "answers": result.answers,
             "bytes": result.bytes, "sha256": result.sha256,
             "pseudonymised": result.pseudonymised, "log_entry": result.log_entry},
            f"Wrote {result.cases} cases and {result.answers} answers to {result.path}"
            + (", pseudonymised." if result.pseudonymised else "."))


def _export_tables(s: Services, args) -> tuple[object, str]:
    if to_standard_output(args):
        raise ValidationError("Tables are written as files in a folder, not to standard "
                              "output.", "Give the folder with -o.")
    if args.provisional_ratings:
        raise ValidationError("Tables hold no ratings.",
                              "Leave out --provisional-ratings, or export a workbook.")
    result = s.exports.export_tables(inspection_id=args.inspection, folder=args.output,
                                     file_format=args.format, statuses=args.status,
                                     all_cases=args.all_cases, pseudonymise=args.pseudonymise)
    left_the_store()
    return ({"folder": str(result.folder), "files": [str(f) for f in result.files],
             "cases": result.cases, "answers": result.answers,
             "pseudonymised": args.pseudonymise},
            f"Wrote {result.cases} cases and {result.answers} answers as {len(result.files)} "
            f"{args.format} tables in {result.folder}"
            + (", pseudonymised." if args.pseudonymise else "."))


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


def _ratings(s: Services, args) -> tuple[object, str]:
    if args.inspection is None:
        raise ValidationError("Which inspection's ratings?",
                              "Give it with --inspection ID (see 'aspire inspections list').")
    rated = s.ratings.rate(args.inspection, statuses=args.status or ("approved",),
                           all_cases=args.all_cases, for_publication=args.publication)
    rules = rated.rules

    def figure(q) -> dict:
        low, high = q.interval or (None, None)
        return {"key": q.key, "question": q.text, "yes": q.tally.yes,
                "applicable": q.tally.total, "percent": q.tally.percent,
                "interval_95": [low, high] if q.interval else None, "band": q.band,
                "too_few_to_rate": q.too_few,
                "more_no_to_fall": q.to_fall, "more_yes_to_rise": q.to_rise}

    overall = rated.overall
    result = {
        "cases": rated.cases, "rules_confirmed": rules.confirmed, "rules_note": rules.note,
        "overall": {"rating": overall.label, "score": overall.score,
                    "out_of": overall.out_of, "not_rated_because": overall.why_not,
                    "calculated": overall.calculated if overall.decision else overall.label,
                    "recorded": _recorded(overall.decision)},
        "min_cases": rules.min_cases,
        "standards": [{"key": st.key, "title": st.title, "rating": st.rating,
                       "band": st.band, "rated_by": str(st.rated_by),
                       "recorded": _recorded(st.decision), "too_few_to_rate": st.too_few,
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
    lines.append(f"Overall: {overall.words}")
    for st in rated.standards:
        lines.append(f"\n{st.title}: {st.shown_band or st.unrated_words}"
                     + (f" ({st.decision_words})" if st.decision else ""))
        for q in st.questions:
            shown = (f"{q.tally.percent:5.1f}% ({q.tally.yes}/{q.tally.total})"
                     if q.tally.total else "   —  (no applicable cases)")
            fragile = (f", {q.to_fall} more No to fall a band" if q.to_fall is not None
                       else f", {q.shown_band.lower()} (fewer than {rules.min_cases} cases)"
                       if q.too_few else "")
            lines.append(f"  {'*' if q.key == st.deciding else ' '} {shown}  {q.key}"
                         f"{fragile}")
    return result, "\n".join(lines)


def _recorded(decision) -> dict | None:
    return None if decision is None else {
        "rating": decision.rating, "reason": decision.reason, "by": decision.by,
        "at": decision.at}


def _ratings_record(s: Services, args) -> tuple[object, str]:
    target = OVERALL if args.overall else args.standard
    decision = s.ratings.record(args.inspection, target, args.rating, args.reason)
    what = "the service overall" if args.overall else args.standard
    return (_recorded(decision) | {"target": target},
            f"Recorded {decision.rating} for {what}, in your name, with its reason.")


def _ratings_withdraw(s: Services, args) -> tuple[object, str]:
    target = OVERALL if args.overall else args.standard
    withdrawn = s.ratings.withdraw(args.inspection, target)
    what = "the service overall" if args.overall else args.standard
    return ({"target": target, "withdrawn": withdrawn},
            f"Withdrew the rating recorded for {what}: the arithmetic's stands again."
            if withdrawn else f"No rating was recorded for {what}.")


def _export_pdf(s: Services, args) -> tuple[object, str]:
    if args.all:
        if args.inspection is None:
            raise ValidationError("--all needs the inspection whose cases to write.",
                                  "Give it with --inspection ID (see 'aspire inspections "
                                  "list').")
        cases = s.cases.list(args.inspection)
    else:
        cases = [s.cases.find(reference, args.inspection) for reference in args.case]
    if to_standard_output(args):
        if len(cases) != 1 or args.all:
            raise ValidationError("-o - takes one case form; several go into a folder.",
                                  "Give a folder with -o, or one case.")
        with sent_to_standard_output("standard-output.pdf") as path:
            pages = s.review.export_pdf(cases[0].id, path, pseudonymise=args.pseudonymise)
        said(f"Wrote the case form ({pages} pages) to standard output"
             + (", pseudonymised." if args.pseudonymise else "."))
        left_the_store()
        return None, None
    if len(cases) == 1 and not args.all and not args.output.is_dir():
        pages = s.review.export_pdf(cases[0].id, args.output, pseudonymise=args.pseudonymise)
        left_the_store()
        return ({"path": str(args.output), "pages": pages,
                 "pseudonymised": args.pseudonymise},
                f"Wrote the case form ({pages} pages) to {args.output}"
                + (", pseudonymised." if args.pseudonymise else "."))
    folder = args.output
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValidationError(f"The folder {folder} for the PDFs cannot be made: "
                              f"{exc.strerror}.", "Choose another folder with -o.") from exc
    written = []
    progress = Progress("Writing case forms", len(cases))
    for case in cases:
        name = s.review.shown_reference(case.id, pseudonymise=args.pseudonymise)
        path = folder / f"{file_name(name)}.pdf"
        pages = s.review.export_pdf(case.id, path, pseudonymise=args.pseudonymise)
        written.append({"reference": name, "path": str(path), "pages": pages})
        progress.step()
    progress.done()
    if written:
        left_the_store()
    return ({"folder": str(folder), "files": written, "pseudonymised": args.pseudonymise},
            f"Wrote {len(written)} case form(s) to {folder}"
            + (", pseudonymised." if args.pseudonymise else "."))


#: What each command does, by (command, action).
HANDLERS: dict[tuple[str, str | None], Callable] = {
    ("export", None): _export,
    ("export-pdf", None): _export_pdf,
    ("export-log", None): _export_log,
    ("ratings", None): _ratings,
    ("ratings", "record"): _ratings_record,
    ("ratings", "withdraw"): _ratings_withdraw,
}
#: Commands that open no database.
NO_DATABASE = frozenset()
