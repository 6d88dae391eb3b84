"""What a laptop's sync asks of the central store, however it reaches it.

The central service answers these over HTTPS (``app.sync.client``); on the service itself,
``app.sync.store.PersonAtStore`` answers them for the person signed in.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Protocol

from sqlalchemy import Table

from app.sync.apply import TABLES, row_from_payload
from app.sync.central import CentralError
from app.sync.protocol import CASES_AT_ONCE, Change, Outcome


class PushedTooSoon(CentralError):
    """A push sent while the one it follows was on its way reached the store first: it was
    not applied, and is sent again once that one has been answered."""


class Link(Protocol):
    def push(self, changes: list[Change], after: uuid.UUID | None = None) -> list[Outcome]:
        """The outcome of each change, in order. ``after``: a change of the push this one
        follows, if that one has not been answered yet (``PushedTooSoon`` if the store has
        not applied it)."""

    def changes_after(self, cursor: int, limit: int) -> list[dict]:
        """The next changes after ``cursor``, at most ``limit`` (``seq``, ``entity``,
        ``entity_id``, ``rev``, ``changed_by``, ``at``, ``payload``: None for those sent
        from this device)."""

    def payloads(self, seqs: list[int]) -> dict[int, object]:
        """The payloads of these changes."""

    def inspection(self, inspection_id: uuid.UUID) -> dict[str, list[dict]]:
        """The inspection's own rows (its framework, team, cases and samples, not what is
        recorded of each case: ``cases`` gives that), by table, each as a payload."""

    def cases(self, case_ids: list[uuid.UUID]) -> dict[str, list[dict]]:
        """The rows of these cases (at most ``MOST_CASES``), by table, each as a payload."""


def typed_rows(tables: dict[str, list[dict]]) -> dict[Table, list[dict]]:
    """Rows sent as payloads, as column values (the kinds of record known here only)."""
    return {TABLES[name]: [row_from_payload(TABLES[name], row) for row in rows]
            for name, rows in tables.items() if name in TABLES}


def rows_of_cases(link: Link, case_ids: Sequence[uuid.UUID],
                  progress: Callable[[int, int], None] | None = None
                  ) -> dict[Table, list[dict]]:
    """The rows of these cases, as column values by table, asked for ``CASES_AT_ONCE`` cases
    at a time so that each answer stays small; ``progress(done, total)`` after each page."""
    parts = []
    for start in range(0, len(case_ids), CASES_AT_ONCE):
        parts.append(typed_rows(link.cases(list(case_ids[start:start + CASES_AT_ONCE]))))
        if progress is not None:
            progress(min(start + CASES_AT_ONCE, len(case_ids)), len(case_ids))
    return merged(*parts)


def merged(*parts: dict[Table, list[dict]]) -> dict[Table, list[dict]]:
    """The rows of all the parts by table, a row met in more than one (an event between two
    cases, a case given with its inspection and again with its rows) kept once."""
    by_id: dict[Table, dict[object, dict]] = {}
    for part in parts:
        for table, rows in part.items():
            kept = by_id.setdefault(table, {})
            for row in rows:
                kept.setdefault(row["id"], row)
    return {table: list(rows.values()) for table, rows in by_id.items()}
