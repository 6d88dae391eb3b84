"""the ratings an inspection's lead inspector records: a standard judged on the evidence, and
an override of the arithmetic with its reason (laptops and the central store alike)

Inspections already kept have none recorded.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("inspections", sa.Column("rating_decisions", sa.JSON(), nullable=False,
                                           server_default="{}"))


def downgrade() -> None:
    op.drop_column("inspections", "rating_decisions")
