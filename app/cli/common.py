"""What the command groups share: asking for secrets, the central address, JSON and the
values options take."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import getpass
import os
import sys
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING

from app.config import (
    ENV_CENTRAL,
    ENV_NEW_PASSWORD,
    ENV_PASSWORD,
)
from app.core.dto import CaseSummary, InspectionSummary
from app.core.export_log import LEAVES_THE_STORE
from app.errors import ValidationError

if TYPE_CHECKING:
    from app.services.registry import Services


ADMIN_URL_HELP = ("the central store as its administrator, e.g. "
                  "postgresql+psycopg://admin@host/aspire (TLS settings such as "
                  "?sslmode=verify-full pass through; a password left out is asked)")


def with_password(url: str) -> str:
    """The central store's address with its password, which is never stored: it comes from
    the environment (for automation) or is asked for."""
    if not url:
        raise ValidationError("No central store is set.",
                              f"Give it with --central or the {ENV_CENTRAL} variable.")
    from app.sync.central import needs_password, set_password

    if not needs_password(url):
        return url
    password = os.environ.get(ENV_PASSWORD) or ask("Password for the central store: ")
    return set_password(url, password)


def ask(prompt: str, twice: bool = False, env: str = "") -> str:
    if not sys.stdin.isatty():
        raise ValidationError(
            "A password or passphrase is needed and there is no one to ask.",
            f"Set {env}." if env else
            f"Set {ENV_PASSWORD} (or {ENV_NEW_PASSWORD} for a new login).")
    first = getpass.getpass(prompt)
    if twice and getpass.getpass("Again: ") != first:
        raise ValidationError("The two entries differ.", "Type the same one twice.")
    return first


def left_the_store() -> None:
    """Said on standard error, so JSON on standard output stays clean."""
    print(LEAVES_THE_STORE, file=sys.stderr)


def service_address(s: Services, args) -> str:
    address = getattr(args, "central", None) or os.environ.get(ENV_CENTRAL, "")
    if not address:
        raise ValidationError("No central service is set.",
                              f"Give it with --central or the {ENV_CENTRAL} variable.")
    return s.sync.check_address(address)


def inspection_json(i: InspectionSummary) -> dict:
    return {"id": i.id, "name": i.name, "programme": i.programme,
            "organisation": i.organisation, "area": i.area, "start_date": i.start_date,
            "end_date": i.end_date, "framework": i.framework_key,
            "framework_version": i.framework_version, "status": i.status,
            "case_count": i.case_count}


def case_json(c: CaseSummary) -> dict:
    return {"id": c.id, "inspection_id": c.inspection_id, "reference": c.reference,
            "status": c.status, "sample": c.sample_status, "percent": c.percent,
            "answered": c.answered,
            "applicable": c.applicable, "problems": c.problems, **c.profile.as_dict()}


def cases_by_reference(s: Services, inspection_id: uuid.UUID,
                       references: Sequence[str]) -> list[CaseSummary]:
    """The inspection's cases with these references (in any case of letters), in order; a
    ValidationError naming every reference not found."""
    by_reference = {c.reference.lower(): c for c in s.cases.list(inspection_id)}
    unknown = [r for r in references if r.lower() not in by_reference]
    if unknown:
        raise ValidationError(f"No case with reference {', '.join(unknown)} in this inspection.",
                              "Run 'aspire cases list --inspection ID' to see the references.")
    return [by_reference[r.lower()] for r in references]


def json_default(value: object) -> object:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def date_arg(text: str) -> dt.date:
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    raise argparse.ArgumentTypeError(f"'{text}' is not a date; use dd/mm/yyyy")


def percent_arg(text: str) -> float:
    """80, 80% or 0.8 all mean 80 per cent."""
    try:
        value = float(text.strip().rstrip("%"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a percentage, e.g. 80") from None
    return value / 100 if value > 1 else value


def points_arg(text: str) -> float:
    """A margin in percentage points: 5 means ±5 points (0.05)."""
    try:
        value = float(text.strip().rstrip("%"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of points, e.g. 5") from None
    return value / 100 if value >= 1 else value


def uuid_arg(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not an id; run 'aspire inspections list' or 'aspire cases list "
            "--json' to see them"
        ) from None

def package_applied(report) -> tuple[object, str]:
    refusals = "".join(f"\n  refused: {why}" for why in report.refusals)
    return (dataclasses.asdict(report),
            report.told + (" The laptop was enrolled by the code in the file." if report.enrolled
               else "") + refusals)
