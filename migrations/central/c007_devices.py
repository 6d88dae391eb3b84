"""The central service's devices: each laptop's public key, with its person.

A laptop makes an Ed25519 key pair the first time it needs one and keeps the private key in
its encrypted database. The service records the device, its person and its public key at the
laptop's first sign-in, or from an enrolment code an administrator issued for that person
(for a laptop that never reaches the network); codes are kept only as their SHA-256 hash. A
sign-in session knows the device it was made from. No person's database role is granted
anything on these tables: only the service's login and administrators read them.

Revision ID: c007
Revises: c006
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "c007"
down_revision: str | None = "c006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE devices (
            device_id uuid PRIMARY KEY,
            login text NOT NULL REFERENCES people (login) ON DELETE CASCADE,
            public_key bytea NOT NULL CHECK (octet_length(public_key) = 32),
            enrolled_at timestamptz NOT NULL DEFAULT now(),
            enrolled_how text NOT NULL
                CHECK (enrolled_how IN ('first sign-in', 'enrolment code')),
            revoked_at timestamptz
        )""")
    op.execute("CREATE INDEX devices_login ON devices (login)")
    op.execute("""
        CREATE TABLE device_enrolments (
            code_hash bytea PRIMARY KEY CHECK (octet_length(code_hash) = 32),
            login text NOT NULL REFERENCES people (login) ON DELETE CASCADE,
            issued_by text NOT NULL,
            issued_at timestamptz NOT NULL DEFAULT now(),
            expires_at timestamptz NOT NULL,
            used_at timestamptz,
            device_id uuid REFERENCES devices (device_id) ON DELETE SET NULL,
            CHECK (device_id IS NULL OR used_at IS NOT NULL)
        )""")
    op.execute("CREATE INDEX device_enrolments_login ON device_enrolments (login)")
    op.execute("ALTER TABLE service_sessions ADD COLUMN device_id uuid "
               "REFERENCES devices (device_id) ON DELETE CASCADE")
    op.execute("CREATE INDEX service_sessions_device ON service_sessions (device_id)")
    for table in ("devices", "device_enrolments"):
        op.execute(f"REVOKE ALL ON {table} FROM PUBLIC")


def downgrade() -> None:
    op.execute("ALTER TABLE service_sessions DROP COLUMN device_id")
    op.execute("DROP TABLE device_enrolments")
    op.execute("DROP TABLE devices")
