"""Pushing large inspections quickly.

- Row-level security on answers, practice examples and sample rows checks the one parent
  row each belongs to, instead of listing every case or sample the person may see (the
  earlier rules, ``case_id IN (SELECT id FROM cases WHERE ...)``, built that list for every
  row written, so a push slowed down as the inspection grew). Who may see and write what is
  unchanged.
- A change applied is recognised when re-sent by its entry in the change log (now indexed
  by change id), so ``applied_changes`` keeps only the other outcomes: conflicts, refusals
  and a framework version that was already here.
- The change log's index by record is on the record's id alone (smaller, cheaper to keep).

Revision ID: c002
Revises: c001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

from alembic import op

revision: str = "c002"
down_revision: str | None = "c001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MEMBER = "aspire_member_inspections(current_user)"
ADMIN = "pg_has_role(current_user, 'aspire_admin', 'member')"
#: child table -> (parent table, the child's column naming its parent)
CHILDREN = {"answers": ("cases", "case_id"), "practice_examples": ("cases", "case_id"),
            "sample_members": ("samples", "sample_id"),
            "sample_events": ("samples", "sample_id")}


def _by_parent_row(table: str, parent: str, column: str) -> str:
    return (f"EXISTS (SELECT 1 FROM {parent} p WHERE p.id = {table}.{column} "
            f"AND p.inspection_id IN (SELECT {MEMBER}))")


def _by_parent_list(table: str, parent: str, column: str) -> str:
    return f"{column} IN (SELECT id FROM {parent} WHERE inspection_id IN (SELECT {MEMBER}))"


def _replace(rule_of) -> None:
    for table, (parent, column) in CHILDREN.items():
        rule = f"({rule_of(table, parent, column)}) OR {ADMIN}"
        for suffix in ("read", "change", "add"):
            op.execute(f"DROP POLICY {table}_{suffix} ON {table}")
        op.execute(f"CREATE POLICY {table}_read ON {table} FOR SELECT USING ({rule})")
        op.execute(f"CREATE POLICY {table}_change ON {table} FOR UPDATE USING ({rule}) "
                   f"WITH CHECK ({rule})")
        op.execute(f"CREATE POLICY {table}_add ON {table} FOR INSERT WITH CHECK ({rule})")


def upgrade() -> None:
    _replace(_by_parent_row)
    op.create_index("ix_central_changes_change_id", "central_changes", ["change_id"],
                    unique=True)
    # the change log is looked up by record (for a conflict's base version) far less often
    # than it is written: the record's id alone is index enough
    op.drop_index("ix_central_changes_entity", table_name="central_changes")
    op.create_index("ix_central_changes_entity_id", "central_changes", ["entity_id"])


def downgrade() -> None:
    # the earlier schema finds every applied change in applied_changes
    op.execute("INSERT INTO applied_changes (change_id, entity, entity_id, outcome, rev, "
               "applied_by, applied_at) SELECT c.change_id, c.entity, c.entity_id, "
               "'applied', c.rev, c.changed_by, c.at FROM central_changes c WHERE NOT EXISTS "
               "(SELECT 1 FROM applied_changes a WHERE a.change_id = c.change_id)")
    op.drop_index("ix_central_changes_change_id", table_name="central_changes")
    op.drop_index("ix_central_changes_entity_id", table_name="central_changes")
    op.create_index("ix_central_changes_entity", "central_changes",
                    ["entity", "entity_id", "rev"])
    _replace(_by_parent_list)
