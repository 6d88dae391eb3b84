"""Analysts, and what pooling across inspections reads.

- ``aspire_analyst``: the group of analysts, who read pooled figures across every
  inspection through the central service and never write. The group is granted nothing on
  the store's tables: an analyst's figures are worked out by the service in a read-only
  transaction of its own, and an analyst's role, if the service ever acted in it, could
  neither read a case nor change anything.
- The inspections' pooling details (``0009``) reach the central store, with an index on
  the inspection each re-inspects, which the rule "only the latest data where a unit was
  re-inspected" looks up.

Revision ID: c012
Revises: c011
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "c012"
down_revision: str | None = "c011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "0009"

ANALYST = "aspire_analyst"


def upgrade() -> None:
    op.execute(f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = "
               f"'{ANALYST}') THEN CREATE ROLE {ANALYST} NOLOGIN; END IF; END $$")
    op.execute("CREATE INDEX IF NOT EXISTS inspections_reinspects ON inspections "
               "(reinspects_id) WHERE reinspects_id IS NOT NULL")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS inspections_reinspects")
