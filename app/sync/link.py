"""What a laptop's sync asks of the central store, however it reaches it.

The central service answers these over HTTPS (``app.sync.client``); on the service itself,
``app.sync.store.PersonAtStore`` answers them for the person signed in.
"""

from __future__ import annotations

import uuid
from typing import Protocol

from sqlalchemy import Table

from app.sync.apply import TABLES, row_from_payload
from app.sync.protocol import Change, Outcome


class Link(Protocol):
    def push(self, changes: list[Change]) -> list[Outcome]:
        """The outcome of each change, in order."""

    def changes_after(self, cursor: int, limit: int) -> list[dict]:
        """The next changes after ``cursor``, at most ``limit`` (``seq``, ``entity``,
        ``entity_id``, ``rev``, ``changed_by``, ``at``, ``payload``: None for those sent
        from this device)."""

    def payloads(self, seqs: list[int]) -> dict[int, object]:
        """The payloads of these changes."""

    def inspection(self, inspection_id: uuid.UUID) -> dict[str, list[dict]]:
        """Every row of the inspection, by table, each as a payload."""

    def cases(self, case_ids: list[uuid.UUID]) -> dict[str, list[dict]]:
        """The rows of these cases, by table, each as a payload."""


def typed_rows(tables: dict[str, list[dict]]) -> dict[Table, list[dict]]:
    """Rows sent as payloads, as column values (the kinds of record known here only)."""
    return {TABLES[name]: [row_from_payload(TABLES[name], row) for row in rows]
            for name, rows in tables.items() if name in TABLES}
