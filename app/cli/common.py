"""What the command groups share: asking for secrets, the central address, JSON and the
values options take."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import getpass
import os
import re
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
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
            "case_count": i.case_count, "year": i.details.year,
            "organisation_type": i.details.organisation_type, "region": i.details.region,
            "sample_design": i.details.sample_design,
            "reinspects": i.details.reinspects_id}


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


#: what a file name may not hold on Windows, nor anywhere
_NOT_IN_FILE_NAMES = re.compile(r'[<>:"/\\|?*\x00-\x1f]')


def file_name(text: str) -> str:
    """``text`` made fit to name a file on any laptop."""
    return _NOT_IN_FILE_NAMES.sub("-", text).strip(" .") or "case"


class Progress:
    """How far a long command has got, on standard error while it is a terminal (never in
    what a script reads)."""

    def __init__(self, doing: str, total: int):
        self.doing, self.total, self.done_so_far = doing, total, 0
        self._shown = sys.stderr.isatty()
        self._last = -1.0

    def step(self, count: int = 1) -> None:
        self.show(self.done_so_far + count)

    def show(self, done: int, total: int | None = None, doing: str | None = None) -> None:
        self.done_so_far = done
        self.total = total if total is not None else self.total
        self.doing = doing or self.doing
        if not self._shown:
            return
        now = time.monotonic()
        if now - self._last >= 0.2 or (self.total and done >= self.total):
            self._last = now
            of = f" of {self.total:,}" if self.total else ""
            sys.stderr.write(f"\r\x1b[K{self.doing}… {done:,}{of}")
            sys.stderr.flush()

    def done(self) -> None:
        if self._shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


#: ``-o -``: standard output
STANDARD_OUTPUT = Path("-")


def to_standard_output(args) -> bool:
    """Whether ``-o -`` asks for the file on standard output; refused where that would
    garble a terminal or mix the file with ``--json``."""
    if args.output != STANDARD_OUTPUT:
        return False
    if getattr(args, "json", False):
        raise ValidationError("--json cannot go with -o -: standard output carries the file.",
                              "Leave out --json, or write the file with -o FILE.")
    if sys.stdout.isatty():
        raise ValidationError("-o - writes the file to standard output, which is a terminal "
                              "here: it would show as garbage.",
                              "Send it to a file or another program: -o - > FILE, or "
                              "-o - | PROGRAM.")
    return True


@contextlib.contextmanager
def sent_to_standard_output(name: str) -> Iterator[Path]:
    """Where to write a file that goes to standard output: a folder of its own, readable by
    this account alone, whose file is copied out and removed with the folder, whatever
    happens."""
    with tempfile.TemporaryDirectory(prefix="aspire-") as folder:
        path = Path(folder) / name
        yield path
        with path.open("rb") as written:
            shutil.copyfileobj(written, sys.stdout.buffer)
        sys.stdout.buffer.flush()


def said(text: str) -> None:
    """A command's message when standard output carries its file."""
    sys.stderr.write(text + "\n")
