"""The central store's own tables, roles and row-level security (PostgreSQL only).

Laptops never run this branch. Every person connects as their own login role, a member of
one group role; row-level security, forced on the owner too, shows each person only the
inspections they belong to, and grants decide who may write what (a supervisor never
writes answers).

Revision ID: c001
Revises: (none; depends on the shared schema 0003)
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("central",)
depends_on: str | Sequence[str] | None = "0003"

GROUPS = ("aspire_inspector", "aspire_supervisor", "aspire_admin")
SHARED = ("frameworks", "inspections", "inspection_members", "cases", "answers",
          "practice_examples", "samples", "sample_members", "sample_events")
CENTRAL = ("central_changes", "applied_changes", "central_conflicts", "people",
           "sync_counter")
MEMBER = "aspire_member_inspections(current_user)"
MEMBER_FUNCTION = "aspire_member_inspections(text)"
ADMIN = "pg_has_role(current_user, 'aspire_admin', 'member')"
CASE_OF = f"SELECT id FROM cases WHERE inspection_id IN (SELECT {MEMBER})"
SAMPLE_OF = f"SELECT id FROM samples WHERE inspection_id IN (SELECT {MEMBER})"
#: who sees which rows of each shared table (an administrator sees everything)
VISIBLE = {
    "frameworks": "true",
    "inspections": f"id IN (SELECT {MEMBER})",
    "inspection_members": f"inspection_id IN (SELECT {MEMBER})",
    "cases": f"inspection_id IN (SELECT {MEMBER})",
    "answers": f"case_id IN ({CASE_OF})",
    "practice_examples": f"case_id IN ({CASE_OF})",
    "samples": f"inspection_id IN (SELECT {MEMBER})",
    "sample_members": f"sample_id IN ({SAMPLE_OF})",
    "sample_events": f"sample_id IN ({SAMPLE_OF})",
    "central_changes": f"inspection_id IS NULL OR inspection_id IN (SELECT {MEMBER})",
    "central_conflicts": f"inspection_id IN (SELECT {MEMBER})",
    "applied_changes": "applied_by = current_user",
    "people": "login = current_user",
    "sync_counter": "true",
}
#: rows a person may add beyond those they can see: a new inspection, and themselves on it
NEW_ROWS = {"inspections": "true", "inspection_members": "person = current_user"}
#: what each group may change (all may read what row-level security lets them see)
WRITES = {
    "aspire_inspector": {
        "INSERT, UPDATE": ("frameworks", "inspections", "inspection_members", "cases",
                           "answers", "practice_examples", "samples", "sample_members",
                           "sample_events"),
    },
    "aspire_supervisor": {"INSERT, UPDATE": ("inspection_members", "cases", "sample_events")},
    "aspire_admin": {"INSERT, UPDATE, DELETE": (*SHARED, "people")},
}
SYNC_WRITES = "INSERT ON central_changes, applied_changes, central_conflicts"


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        raise RuntimeError("the central store runs on PostgreSQL only")
    op.create_table(
        "sync_counter",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("value", sa.BigInteger(), nullable=False),
    )
    op.execute("INSERT INTO sync_counter (id, value) VALUES (1, 0)")
    op.create_table(
        "central_changes",
        sa.Column("seq", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("change_id", sa.Uuid(), nullable=False),
        sa.Column("entity", sa.String(60), nullable=False),
        sa.Column("entity_id", sa.Uuid(), nullable=False),
        sa.Column("inspection_id", sa.Uuid(), nullable=True),
        sa.Column("op", sa.String(10), nullable=False),
        sa.Column("rev", sa.Integer(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("changed_by", sa.String(120), nullable=False),
        sa.Column("device_id", sa.Uuid(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.text("now()")),
    )
    op.create_index("ix_central_changes_entity", "central_changes", ["entity", "entity_id",
                                                                     "rev"])
    op.create_table(
        "applied_changes",
        sa.Column("change_id", sa.Uuid(), primary_key=True),
        sa.Column("entity", sa.String(60), nullable=False),
        sa.Column("entity_id", sa.Uuid(), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("rev", sa.Integer(), nullable=True),
        sa.Column("conflict_id", sa.Uuid(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False, server_default=""),
        sa.Column("applied_by", sa.String(120), nullable=False,
                  server_default=sa.text("current_user")),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.text("now()")),
    )
    op.create_table(
        "central_conflicts",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("change_id", sa.Uuid(), nullable=False),
        sa.Column("entity", sa.String(60), nullable=False),
        sa.Column("entity_id", sa.Uuid(), nullable=False),
        sa.Column("inspection_id", sa.Uuid(), nullable=True),
        sa.Column("base", sa.JSON(), nullable=True),
        sa.Column("yours", sa.JSON(), nullable=True),
        sa.Column("theirs", sa.JSON(), nullable=True),
        sa.Column("raised_by", sa.String(120), nullable=False,
                  server_default=sa.text("current_user")),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.text("now()")),
    )
    op.create_table(
        "people",
        sa.Column("login", sa.String(120), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
    )
    for group in GROUPS:
        op.execute(f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = "
                   f"'{group}') THEN CREATE ROLE {group} NOLOGIN; END IF; END $$")
    # the inspections a person belongs to; answered only for the person in effect (their own
    # login, or the person whose transfer file an administrator is applying)
    op.execute(f"""
        CREATE FUNCTION {MEMBER_FUNCTION} RETURNS SETOF uuid
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
            SELECT inspection_id FROM inspection_members
            WHERE person = $1 AND pg_has_role(session_user, $1, 'MEMBER')
        $$""")
    op.execute(f"REVOKE ALL ON FUNCTION {MEMBER_FUNCTION} FROM PUBLIC")
    for group in GROUPS:
        op.execute(f"GRANT EXECUTE ON FUNCTION {MEMBER_FUNCTION} TO {group}")
        op.execute(f"GRANT USAGE ON SCHEMA public TO {group}")
        op.execute(f"GRANT SELECT ON {', '.join((*SHARED, *CENTRAL))} TO {group}")
        op.execute(f"GRANT {SYNC_WRITES} TO {group}")
        op.execute(f"GRANT UPDATE ON sync_counter, applied_changes TO {group}")
        for privileges, tables in WRITES[group].items():
            op.execute(f"GRANT {privileges} ON {', '.join(tables)} TO {group}")
    for table, visible in VISIBLE.items():
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        rule = f"({visible}) OR {ADMIN}"
        op.execute(f"CREATE POLICY {table}_read ON {table} FOR SELECT USING ({rule})")
        op.execute(f"CREATE POLICY {table}_change ON {table} FOR UPDATE USING ({rule}) "
                   f"WITH CHECK ({rule})")
        op.execute(f"CREATE POLICY {table}_remove ON {table} FOR DELETE USING ({ADMIN})")
        new = NEW_ROWS.get(table, visible)
        if table in ("central_changes", "applied_changes", "central_conflicts"):
            new = "true"  # written by the apply step, which has already checked the row
        op.execute(f"CREATE POLICY {table}_add ON {table} FOR INSERT "
                   f"WITH CHECK (({new}) OR {ADMIN})")


def downgrade() -> None:
    for table in VISIBLE:
        for suffix in ("read", "change", "remove", "add"):
            op.execute(f"DROP POLICY IF EXISTS {table}_{suffix} ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    op.execute(f"DROP FUNCTION IF EXISTS {MEMBER_FUNCTION}")
    for table in ("people", "central_conflicts", "applied_changes", "central_changes",
                  "sync_counter"):
        op.drop_table(table)
