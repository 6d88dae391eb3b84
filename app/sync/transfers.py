"""Transfer files at the central store: checked against the person and laptop they name, then
applied as that person, through the same judge as a network sync.

The content (``app.sync.package``) is read twice: once to check it whole (every line, the
counts, the hash and the signature), then to apply it a push at a time. Before anything is
applied, the laptop it names must be that person's, with the key that signed it, and not
withdrawn; a laptop the service does not know yet is enrolled here by the enrolment code
the file carries, or the file is refused. Only the person who made the file, or an
administrator, may bring it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

from sqlalchemy import Engine, text

from app.core.change_rules import ADMIN
from app.errors import UserFacingError
from app.sync import devices
from app.sync.apply import TABLES
from app.sync.central import central_engine
from app.sync.judge import PublishedFramework, shipped_frameworks
from app.sync.package import (
    PackageReport,
    TransferHead,
    check_content,
    content_changes,
    open_package,
)
from app.sync.protocol import Change
from app.sync.store import (
    MOST_CHANGES,
    Person,
    PersonAtStore,
)

#: At most this many refusals are told back, each with its record and why.
MOST_TOLD = 50


class TransferRefused(UserFacingError):
    """A transfer file the service will not apply, as a whole; nothing from it was applied."""


def apply_transfer(engine: Engine, content: Callable[[], Iterable[bytes]],
                   published: Mapping[str, PublishedFramework], *, brought_by: Person | None,
                   now: dt.datetime, name: str = "The transfer file") -> PackageReport:
    """Check the transfer file's content and apply it as the person who made it.
    ``brought_by``: who brings it to the service (None: an administrator at the database).
    Raises ``PackageError`` for a file that is not whole or not signed by the laptop it
    names, ``TransferRefused`` or ``devices.DeviceRefused`` for one the person or laptop
    cannot be taken for."""
    def may_bring(person: str) -> None:
        if brought_by is not None and brought_by.login != person and brought_by.role != ADMIN:
            raise TransferRefused("Only the person who made a transfer file, or an "
                                  "administrator, may apply it.",
                                  "Ask an administrator to apply it.")

    head = check_content(content, name, kinds=TABLES, on_head=may_bring)
    author, enrolled = _author(engine, head, now)
    # applied whole, in one transaction; the rules' refusals are not kept as the changes'
    # outcomes, so a file brought again once the person may make them is judged again
    before: set[uuid.UUID] = set()
    outcomes = PersonAtStore(engine, author, published).push_all(
        _batches(content_changes(content, head, name)), record_refusals=False,
        sent_before=before)
    count = Counter(o.status if o.change_id not in before else "before" for o in outcomes)
    told = tuple(f"{o.entity} {o.entity_id}: {o.detail}" for o in outcomes
                 if o.status == "refused")[:MOST_TOLD]
    return PackageReport(name, head.person, len(outcomes), count["applied"],
                         count["conflict"], count["refused"], enrolled, told,
                         applied_before=count["before"])


def _batches(changes: Iterable[Change]) -> Iterator[list[Change]]:
    batch: list[Change] = []
    for change in changes:
        batch.append(change)
        if len(batch) == MOST_CHANGES:
            yield batch
            batch = []
    if batch:
        yield batch


def apply_package_at(url: str, path: Path, passphrase: str) -> PackageReport:
    """An administrator where the central database is reachable: open a transfer file and
    apply it as the person who made it, with the same checks as the service (its content
    read once, as the service receives it)."""
    content = open_package(path, passphrase).content_bytes()
    engine = central_engine(url)
    try:
        report = apply_transfer(engine, lambda: iter((content,)), shipped_frameworks(),
                                brought_by=None, now=dt.datetime.now(dt.UTC),
                                name=Path(path).name)
    finally:
        engine.dispose()
    return dataclasses.replace(report, path=str(path))


def _author(engine: Engine, head: TransferHead, now: dt.datetime) -> tuple[Person, bool]:
    """The person who made the file, on the laptop that signed it, checked (and the laptop
    enrolled, when the file carries the code for it)."""
    with engine.begin() as conn:
        role = conn.scalar(text("SELECT role FROM people WHERE login = :l"),
                           {"l": head.person})
        if role is None:
            raise TransferRefused(f"The transfer file names {head.person}, who has no "
                                  "account at the central store.",
                                  "Check who made it; an administrator adds people with "
                                  "'aspire central add-user'.")
        device = devices.known_device(conn, head.device_id)
        enrolled = False
        if device is None:
            if head.enrolment_code is None:
                raise TransferRefused(
                    "The transfer file comes from a laptop the central service does not "
                    "know: it has never synced, and the file carries no enrolment code.",
                    "Ask your administrator for an enrolment code ('aspire central "
                    "enrol-device'), then export the transfer file again, giving the code.")
            device = devices.enrol_with_code(conn, head.person, head.enrolment_code,
                                             head.device_id, head.public_key, now)
            enrolled = True
        if device.login != head.person:
            raise TransferRefused(
                f"The transfer file names {head.person}, but the laptop that signed it is "
                f"enrolled to {device.login}.", "Each person exports their own work from "
                "their own laptop.")
        if device.revoked_at is not None:
            raise TransferRefused("The laptop that signed the transfer file has been "
                                  "withdrawn.", "Ask your administrator to enrol it again.")
        if device.public_key != head.public_key:
            raise TransferRefused(
                "The transfer file is signed with another key than the one the central "
                "service holds for that laptop.", "The laptop's database may have been "
                "replaced or copied: ask your administrator.")
    return Person(head.person, str(role), head.device_id), enrolled
