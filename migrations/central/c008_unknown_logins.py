"""Wrong tries at logins the central service does not know, counted as for those it does.

Were only known logins counted, the answers to repeated tries (refused, then "try again
later", then "locked") would tell anyone which logins exist. Tries at an unknown login are
kept under the SHA-256 hash of the login as typed (lower-cased), never the login itself.

Revision ID: c008
Revises: c007
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "c008"
down_revision: str | None = "c007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE service_unknown_tries (
            login_hash bytea PRIMARY KEY CHECK (octet_length(login_hash) = 32),
            failures integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
            last_failure_at timestamptz
        )""")
    op.execute("REVOKE ALL ON service_unknown_tries FROM PUBLIC")


def downgrade() -> None:
    op.execute("DROP TABLE service_unknown_tries")
