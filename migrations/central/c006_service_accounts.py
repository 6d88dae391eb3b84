"""The central service's accounts: password hashes and sign-in sessions.

People sign in to the central service, not to the database. Their password is kept as an
argon2id hash with the count of wrong passwords in a row (for back-off and lock-out), and
each sign-in is a session whose token is kept only as its SHA-256 hash. No person's database
role is granted anything on these tables: only the service's login and administrators read
them.

Revision ID: c006
Revises: c005
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "c006"
down_revision: str | None = "c005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE service_credentials (
            login text PRIMARY KEY REFERENCES people (login) ON DELETE CASCADE,
            password_hash text NOT NULL,
            failures integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
            last_failure_at timestamptz,
            changed_at timestamptz NOT NULL DEFAULT now(),
            must_change boolean NOT NULL DEFAULT false
        )""")
    op.execute("""
        CREATE TABLE service_sessions (
            token_hash bytea PRIMARY KEY CHECK (octet_length(token_hash) = 32),
            login text NOT NULL REFERENCES people (login) ON DELETE CASCADE,
            created_at timestamptz NOT NULL DEFAULT now(),
            expires_at timestamptz NOT NULL
        )""")
    op.execute("CREATE INDEX service_sessions_login ON service_sessions (login)")
    op.execute("CREATE INDEX service_sessions_expiry ON service_sessions (expires_at)")
    for table in ("service_credentials", "service_sessions"):
        op.execute(f"REVOKE ALL ON {table} FROM PUBLIC")


def downgrade() -> None:
    op.execute("DROP TABLE service_sessions")
    op.execute("DROP TABLE service_credentials")
