"""The analysts' pooled view across inspections, from the central service."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from app.config import ENV_CENTRAL, ENV_NEW_PASSWORD, ENV_PASSWORD
from app.core.inspection_details import SAMPLE_DESIGN
from app.core.pooling import DIMENSIONS, SUPPRESS_BELOW, PooledFindings, PoolingChoice
from app.core.profile import PROGRAMMES
from app.errors import ValidationError

if TYPE_CHECKING:
    from app.services.registry import Services
from app.cli.common import STANDARD_OUTPUT, ask

#: who signs in for the figures, when --login is not given
ENV_LOGIN = "ASPIRE_CENTRAL_LOGIN"


def add_commands(sub, common) -> None:
    """Add this group's commands to ``sub``, each taking the ``common`` options."""
    dimensions = [code for code, _ in DIMENSIONS]
    analysis = sub.add_parser(
        "analysis", parents=[common],
        help="key questions pooled across inspections by the central service, for analysts: "
             "shares with their intervals, by year, programme, organisation and sub-group")
    analysis.add_argument("--central", metavar="URL", default=argparse.SUPPRESS,
                          help=f"the central service, https://HOST[:PORT] (default: "
                               f"${ENV_CENTRAL})")
    analysis.add_argument("--login", default=argparse.SUPPRESS,
                          help=f"your analyst's login (default: ${ENV_LOGIN}); the password "
                               f"is asked, or taken from ${ENV_PASSWORD}")
    analysis.add_argument("--framework", metavar="FAMILY",
                          help="the framework family (a framework id) to pool; needed when "
                               "the inspections chosen use more than one")
    analysis.add_argument("--year", type=int, action="append", default=[], metavar="YYYY",
                          help="an inspection year to take (repeatable; default: all)")
    analysis.add_argument("--programme", action="append", default=[], metavar="PROGRAMME",
                          choices=PROGRAMMES.codes(),
                          help="a programme to take (repeatable; default: all)")
    analysis.add_argument("--by", action="append", default=[], metavar="DIMENSION",
                          choices=dimensions,
                          help="what to split the figures by (repeatable; default: all)")
    analysis.add_argument("--sample", choices=SAMPLE_DESIGN.codes(), default="random",
                          metavar="DESIGN",
                          help="the sample design to pool (default random: targeted samples "
                               "are never pooled with random ones)")
    analysis.add_argument("--all-inspections", action="store_true",
                          help="count inspections re-inspected later too (the published "
                               "rule counts only the latest of a unit)")
    analysis.add_argument("--suppress-below", type=int, default=SUPPRESS_BELOW, metavar="N",
                          help=f"suppress cells of fewer than N judged cases (default "
                               f"{SUPPRESS_BELOW}; 0 for none, not for publication)")
    analysis.add_argument("--provisional", action="store_true",
                          help="count every case form as answered so far, not only "
                               "approved ones")
    analysis.add_argument("--change-password", action="store_true",
                          help=f"change your password at the central service instead (asked, "
                               f"or ${ENV_PASSWORD} and ${ENV_NEW_PASSWORD})")
    analysis.add_argument("-o", "--output", type=Path, metavar="FILE",
                          help="write the findings as FILE.xlsx, FILE.parquet or FILE.json "
                               "('-' is not taken: the findings are a file's worth)")


def _analysis(_s: Services, args) -> tuple[object, str]:
    from app.core.pooling import findings_to_wire
    from app.services.analysis import fetch_pooled, save_pooled

    address = getattr(args, "central", None) or os.environ.get(ENV_CENTRAL, "")
    if not address:
        raise ValidationError("No central service is set.",
                              f"Give it with --central or the {ENV_CENTRAL} variable.")
    login = getattr(args, "login", None) or os.environ.get(ENV_LOGIN, "")
    if not login:
        raise ValidationError("No login is given for the central service.",
                              f"Give your analyst's login with --login or {ENV_LOGIN}.")
    if args.change_password:
        from app.services.analysis import change_password

        current = os.environ.get(ENV_PASSWORD) or ask("Your current password: ")
        new = os.environ.get(ENV_NEW_PASSWORD) or ask("Your new password: ", twice=True)
        change_password(address, login, current, new)
        return {"changed": True}, "Your password is changed; sign in with it from now on."
    if args.output == STANDARD_OUTPUT:
        raise ValidationError("Pooled findings are written to a file, not standard output.",
                              "Give a file name ending .xlsx, .parquet or .json, or use "
                              "--json.")
    choice = PoolingChoice(
        family=args.framework, years=tuple(args.year), programmes=tuple(args.programme),
        sample_design=args.sample, latest_only=not args.all_inspections,
        by=tuple(dict.fromkeys(args.by)) or PoolingChoice().by,
        suppress_below=args.suppress_below, provisional=args.provisional)
    problems = choice.problems()
    if problems:
        raise ValidationError("The analysis cannot be made: " + "; ".join(problems) + ".",
                              "Change what was asked for and try again.", details=problems)
    if args.output is not None and args.output.suffix.lower() not in (".xlsx", ".parquet",
                                                                       ".json"):
        raise ValidationError(f"'{args.output.name}' is not a kind of file pooled findings "
                              "are written as.", "End its name with .xlsx, .parquet or .json.")
    password = os.environ.get(ENV_PASSWORD) or ask("Your password for the central store: ")
    findings = fetch_pooled(address, login, password, choice)
    if args.output is not None:
        written = save_pooled(findings, args.output)
        return ({"written": str(written), "inspections": findings.inspections,
                 "cases": findings.cases, "figures": len(findings.figures)},
                f"Wrote {written}: {len(findings.figures)} figure(s) from "
                f"{findings.inspections} inspection(s) and {findings.cases} case form(s).")
    return findings_to_wire(findings), summary_text(findings)


def summary_text(findings: PooledFindings) -> str:
    """The key questions over all cases, and the choices made, for a terminal."""
    lines = [f"{findings.choice.family}: {findings.inspections} inspection(s), "
             f"{findings.cases} case form(s).", ""]
    for figure in findings.figures:
        if figure.dimension is not None:
            continue
        if figure.suppressed:
            shown = "suppressed (too few cases)"
        else:
            shown = (f"{figure.share:.1%} (95% interval {figure.low:.1%} to {figure.high:.1%})"
                     f", {figure.sufficient} of {figure.judged}"
                     + (" - too few to say much" if figure.too_few else ""))
        lines.append(f"  {figure.question}: {shown}")
    lines += ["", *(f"- {s}" for s in findings.statements)]
    lines += [f"- Left out: {o.inspection}, {o.why}." for o in findings.left_out]
    lines.append("Write every split and difference with -o FILE.xlsx (or .parquet, .json).")
    return "\n".join(lines)


HANDLERS: dict[tuple[str, str | None], Callable] = {("analysis", None): _analysis}
NO_DATABASE = frozenset(HANDLERS)
