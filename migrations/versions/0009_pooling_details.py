"""what an inspection says about itself for pooling across inspections: its year, the kind of
organisation inspected, its region, whether its sample was random or targeted, and the earlier
inspection it re-inspects (laptops and the central store alike)

Inspections already kept take no year (their start date's year stands for it), no
organisation type or region, a random sample, and no earlier inspection.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    sa.Column("year", sa.Integer(), nullable=True),
    sa.Column("organisation_type", sa.String(20), nullable=False, server_default=""),
    sa.Column("region", sa.String(80), nullable=False, server_default=""),
    sa.Column("sample_design", sa.String(20), nullable=False, server_default="random"),
    sa.Column("reinspects_id", sa.Uuid(), nullable=True),
)


def upgrade() -> None:
    for column in COLUMNS:
        op.add_column("inspections", column)


def downgrade() -> None:
    for column in reversed(COLUMNS):
        op.drop_column("inspections", column.name)
