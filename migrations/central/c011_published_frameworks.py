"""Question frameworks an administrator publishes at the central store.

- ``published_frameworks``: each framework version an administrator has published (beside
  those shipped with the service), whole, by the SHA-256 of its content: laptops fetch them
  at their next sync and offer them for new inspections, and the service accepts an
  inspection pinned to one. A version, once published, never changes: its id and version
  are unique, and the table takes no update.

Revision ID: c011
Revises: c010
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "c011"
down_revision: str | None = "c010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SERVICE = "aspire_service"


def upgrade() -> None:
    op.execute("""
        CREATE TABLE published_frameworks (
            content_sha256 text PRIMARY KEY CHECK (content_sha256 ~ '^[0-9a-f]{64}$'),
            framework_key text NOT NULL,
            version text NOT NULL,
            title text NOT NULL,
            programme text NOT NULL,
            content text NOT NULL,
            published_by text NOT NULL,
            published_at timestamptz NOT NULL,
            UNIQUE (framework_key, version)
        )""")
    op.execute("REVOKE ALL ON published_frameworks FROM PUBLIC")
    op.execute("GRANT SELECT, INSERT ON published_frameworks TO aspire_admin")
    op.execute(f"GRANT SELECT ON published_frameworks TO {SERVICE}")


def downgrade() -> None:
    op.execute("DROP TABLE published_frameworks")
