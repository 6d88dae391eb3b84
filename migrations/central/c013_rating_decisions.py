"""The ratings an inspection's lead inspector records (``0010``) reach the central store.

Revision ID: c013
Revises: c012
Create Date: 2026-12-08
"""

from collections.abc import Sequence

revision: str = "c013"
down_revision: str | None = "c012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "0010"


def upgrade() -> None:
    """Nothing of the central branch's own: the shared revision it depends on adds the
    column."""


def downgrade() -> None:
    """Nothing to undo here."""
