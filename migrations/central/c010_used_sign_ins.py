"""A laptop's sign-in statement is used once; and the shared schema's 0007.

- ``service_used_sign_ins``: the SHA-256 of each device signature a sign-in was made with,
  kept for as long as the statement it signs could be current, so that a statement seen on
  its way cannot be presented again. Kept by the service only.
- 0007 (each change waiting in a laptop's outbox keeps the record as it was before it): the
  central store keeps no outbox of its own to fill; it is brought along so that the central
  branch stays the one head.

Revision ID: c010
Revises: c009
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "c010"
down_revision: str | None = "c009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "0007"

SERVICE = "aspire_service"


def upgrade() -> None:
    op.execute("""
        CREATE TABLE service_used_sign_ins (
            signature_sha256 bytea PRIMARY KEY CHECK (octet_length(signature_sha256) = 32),
            used_at timestamptz NOT NULL
        )""")
    op.execute("CREATE INDEX ix_service_used_sign_ins_used_at ON service_used_sign_ins "
               "(used_at)")
    op.execute("REVOKE ALL ON service_used_sign_ins FROM PUBLIC")
    op.execute(f"GRANT SELECT, INSERT, DELETE ON service_used_sign_ins TO {SERVICE}")


def downgrade() -> None:
    op.execute("DROP TABLE service_used_sign_ins")
