"""case review history, queries on answers, the audit trail and second marking
(all append-only)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY = ("case_events", "query_messages", "audit_entries", "second_marks")


def _synced_columns() -> list[sa.Column]:
    return [
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("rev", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.Column("device_id", sa.Uuid(), nullable=False),
    ]


def _case_key(table: str) -> list:
    return [sa.ForeignKeyConstraint(["case_id"], ["cases.id"],
                                    name=op.f(f"fk_{table}_case_id_cases")),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}"))]


def upgrade() -> None:
    op.create_table(
        "case_events",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=False),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        *_synced_columns(), *_case_key("case_events"),
    )
    op.create_table(
        "query_messages",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("query_id", sa.Uuid(), nullable=False),
        sa.Column("question_key", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        *_synced_columns(), *_case_key("query_messages"),
    )
    op.create_table(
        "audit_entries",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.Uuid(), nullable=False),
        sa.Column("question_key", sa.String(length=120), nullable=True),
        sa.Column("changes", sa.JSON(), nullable=False),
        *_synced_columns(), *_case_key("audit_entries"),
    )
    op.create_table(
        "second_marks",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("question_key", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("value", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        *_synced_columns(), *_case_key("second_marks"),
    )
    for table in APPEND_ONLY:
        op.create_index(op.f(f"ix_{table}_case_id"), table, ["case_id"])
    op.create_index(op.f("ix_query_messages_query_id"), "query_messages", ["query_id"])
    if op.get_bind().dialect.name == "sqlite":
        # the history is never rewritten, whatever program opens the file
        for table in APPEND_ONLY:
            for event in ("UPDATE", "DELETE"):
                op.execute(f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON "
                           f"{table} BEGIN SELECT RAISE(ABORT, '{table} are never changed "
                           f"or removed'); END")


def downgrade() -> None:
    for table in reversed(APPEND_ONLY):
        if op.get_bind().dialect.name == "sqlite":
            for event in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{event}")
        op.drop_table(table)
