"""The central store's rules for closing an inspection.

Only the inspection's supervisor or lead inspector (or an administrator) may close or
reopen it; supervisors, who could not change an inspection before, may now change its
status and nothing else. Closing is an ordinary change to the inspection, which every
member's laptop pulls: their copies of its cases are then removed (``app.sync.purge``).

Revision ID: c005
Revises: c004
Create Date: 2026-11-25
"""

from collections.abc import Sequence

from alembic import op

revision: str = "c005"
down_revision: str | None = "c004"
branch_labels: str | Sequence[str] | None = None
# the laptops' own table of released cases (0006) is not created here
depends_on: str | Sequence[str] | None = "0006"

FUNCTION = "aspire_inspection_change_guard()"
ADMIN = "pg_has_role(current_user, 'aspire_admin', 'member')"
SUPERVISOR = "pg_has_role(current_user, 'aspire_supervisor', 'member')"
#: what a supervisor's change may touch
STATUS_AND_STAMPS = "ARRAY['status', 'rev', 'updated_at', 'updated_by', 'device_id']"
ONLY_LEADS = ("permission denied: only the supervisor or lead inspector of the inspection "
              "can close or reopen it")
STATUS_ONLY = ("permission denied: a supervisor can close or reopen an inspection but not "
               "change its details")


def upgrade() -> None:
    op.execute(f"""
        CREATE FUNCTION {FUNCTION} RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF {ADMIN} THEN
                RETURN NEW;
            END IF;
            IF NEW.status IS DISTINCT FROM OLD.status AND NOT EXISTS (
                    SELECT 1 FROM inspection_members WHERE inspection_id = OLD.id
                    AND person = current_user AND role IN ('supervisor', 'lead_inspector'))
            THEN
                RAISE EXCEPTION '{ONLY_LEADS}' USING ERRCODE = 'insufficient_privilege';
            END IF;
            IF {SUPERVISOR} AND (to_jsonb(NEW) - {STATUS_AND_STAMPS})
                    IS DISTINCT FROM (to_jsonb(OLD) - {STATUS_AND_STAMPS}) THEN
                RAISE EXCEPTION '{STATUS_ONLY}' USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN NEW;
        END $$""")
    op.execute(f"CREATE TRIGGER inspections_change_guard BEFORE UPDATE ON inspections "
               f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}")
    op.execute("GRANT UPDATE ON inspections TO aspire_supervisor")


def downgrade() -> None:
    op.execute("REVOKE UPDATE ON inspections FROM aspire_supervisor")
    op.execute("DROP TRIGGER IF EXISTS inspections_change_guard ON inspections")
    op.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}")
