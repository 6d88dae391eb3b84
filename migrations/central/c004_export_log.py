"""The central store's rules for the export log.

An entry about one inspection is read by that inspection's members; an entry about no single
inspection (a transfer file, say) only by the person who made it; administrators read every
entry. A person adds entries only as themselves. Nobody, the owner included, changes or
removes an entry (no UPDATE or DELETE is granted, and row-level security is forced).

The change log otherwise shows everyone the changes that belong to no inspection (framework
versions); an export log entry of that kind is shown, there too, only to its author.

Revision ID: c004
Revises: c003
Create Date: 2026-11-24
"""

from collections.abc import Sequence

from alembic import op

revision: str = "c004"
down_revision: str | None = "c003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "0005"

TABLE = "export_log"
GROUPS = ("aspire_inspector", "aspire_supervisor", "aspire_admin")
MEMBER = "aspire_member_inspections(current_user)"
ADMIN = "pg_has_role(current_user, 'aspire_admin', 'member')"
READ = (f"(inspection_id IN (SELECT {MEMBER})) "
        f"OR (inspection_id IS NULL AND updated_by = current_user) OR {ADMIN}")
ADD = (f"updated_by = current_user AND (inspection_id IS NULL "
       f"OR inspection_id IN (SELECT {MEMBER}) OR {ADMIN})")
#: the change log's read rule, before and after
CHANGES_BEFORE = f"(inspection_id IS NULL OR inspection_id IN (SELECT {MEMBER})) OR {ADMIN}"
CHANGES_AFTER = (f"(inspection_id IS NULL AND (entity <> '{TABLE}' OR changed_by = current_user)) "
                 f"OR inspection_id IN (SELECT {MEMBER}) OR {ADMIN}")


def _changes_rule(rule: str) -> None:
    op.execute("DROP POLICY central_changes_read ON central_changes")
    op.execute(f"CREATE POLICY central_changes_read ON central_changes FOR SELECT "
               f"USING ({rule})")


def upgrade() -> None:
    op.execute(f"ALTER TABLE {TABLE} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {TABLE} FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY {TABLE}_read ON {TABLE} FOR SELECT USING ({READ})")
    op.execute(f"CREATE POLICY {TABLE}_add ON {TABLE} FOR INSERT WITH CHECK ({ADD})")
    for group in GROUPS:
        op.execute(f"GRANT SELECT, INSERT ON {TABLE} TO {group}")
    _changes_rule(CHANGES_AFTER)


def downgrade() -> None:
    _changes_rule(CHANGES_BEFORE)
    for group in GROUPS:
        op.execute(f"REVOKE ALL ON {TABLE} FROM {group}")
    for suffix in ("read", "add"):
        op.execute(f"DROP POLICY IF EXISTS {TABLE}_{suffix} ON {TABLE}")
    op.execute(f"ALTER TABLE {TABLE} NO FORCE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {TABLE} DISABLE ROW LEVEL SECURITY")
