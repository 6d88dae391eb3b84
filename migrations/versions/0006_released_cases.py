"""cases released from this laptop (reassigned away, or their inspection closed), and the
removal of their history once the central store holds all of it (laptops only)

The history tables stay append-only for every other purpose: a row may be removed only
while its case is marked as being purged, which the purge does inside its own transaction.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "released_cases"
#: the append-only tables whose rows belong to one case
CASE_HISTORY = ("case_events", "query_messages", "audit_entries", "second_marks")


def _laptop() -> bool:
    """The table and triggers belong to a laptop's own database, never the central store's."""
    return op.get_bind().dialect.name == "sqlite"


def _no_delete(table: str, when: str = "") -> None:
    op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
    op.execute(f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} {when}"
               f"BEGIN SELECT RAISE(ABORT, '{table} are never changed or removed'); END")


def upgrade() -> None:
    if not _laptop():
        return
    op.create_table(
        TABLE,
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("inspection_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("assignee", sa.String(length=120), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_released_cases")),
    )
    for table in CASE_HISTORY:
        _no_delete(table, f"WHEN NOT EXISTS (SELECT 1 FROM {TABLE} WHERE case_id = "
                          "OLD.case_id AND state = 'purging') ")


def downgrade() -> None:
    if not _laptop():
        return
    for table in CASE_HISTORY:
        _no_delete(table)
    op.drop_table(TABLE)
