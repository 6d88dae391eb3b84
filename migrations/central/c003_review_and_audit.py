"""The central store's rules for case review history, queries, the audit trail and second
marking.

Members of an inspection read them; inspectors and supervisors add to them; nobody, the
owner included, changes or removes a row (no UPDATE or DELETE is granted, and row-level
security is forced).

Revision ID: c003
Revises: c002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

from alembic import op

revision: str = "c003"
down_revision: str | None = "c002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "0004"

TABLES = ("case_events", "query_messages", "audit_entries", "second_marks")
GROUPS = ("aspire_inspector", "aspire_supervisor", "aspire_admin")
MEMBER = "aspire_member_inspections(current_user)"
ADMIN = "pg_has_role(current_user, 'aspire_admin', 'member')"


def upgrade() -> None:
    for table in TABLES:
        rule = (f"(EXISTS (SELECT 1 FROM cases p WHERE p.id = {table}.case_id "
                f"AND p.inspection_id IN (SELECT {MEMBER}))) OR {ADMIN}")
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY {table}_read ON {table} FOR SELECT USING ({rule})")
        op.execute(f"CREATE POLICY {table}_add ON {table} FOR INSERT WITH CHECK ({rule})")
        for group in GROUPS:
            op.execute(f"GRANT SELECT, INSERT ON {table} TO {group}")


def downgrade() -> None:
    for table in TABLES:
        for group in GROUPS:
            op.execute(f"REVOKE ALL ON {table} FROM {group}")
        for suffix in ("read", "add"):
            op.execute(f"DROP POLICY IF EXISTS {table}_{suffix} ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
