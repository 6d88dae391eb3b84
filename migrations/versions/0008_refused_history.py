"""a history row made on this laptop that the central store refused may be removed from the
laptop, once the refusal (which keeps the row) is recorded (laptops only)

The history tables stay append-only for every other purpose: besides a refused row, a row
may be removed only while its case is being purged (0006).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: the append-only tables whose rows belong to one case
CASE_HISTORY = ("case_events", "query_messages", "audit_entries", "second_marks")
_PURGING = ("NOT EXISTS (SELECT 1 FROM released_cases WHERE case_id = OLD.case_id "
            "AND state = 'purging')")
#: (a JSON column holds None as the JSON text null)
_REFUSED = ("NOT EXISTS (SELECT 1 FROM conflicts WHERE entity_id = OLD.id "
            "AND kind = 'refused' AND coalesce(yours, 'null') != 'null' "
            "AND coalesce(theirs, 'null') = 'null')")


def _no_delete(table: str, when: str) -> None:
    op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
    op.execute(f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} WHEN {when} "
               f"BEGIN SELECT RAISE(ABORT, '{table} are never changed or removed'); END")


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in CASE_HISTORY:
        _no_delete(table, f"{_PURGING} AND {_REFUSED}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in CASE_HISTORY:
        _no_delete(table, _PURGING)
