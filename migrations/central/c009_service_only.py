"""People reach the central store only through the central service.

- Every person's database role can no longer log in and has no password: a person's
  credentials open no database session. The roles stay, as identities without a login: the
  service runs each person's requests in their role (``SET LOCAL ROLE``), so the store's
  grants and row-level security remain a second wall behind the service's own checks.
- ``aspire_service``, a role without a login, is what the service's own login is granted:
  it may act as every person (each person's role is granted to it), read every inspection
  to judge a change (``aspire_admin``), and keep the accounts, sessions and devices.
- A team's lead inspector may add people to it; anyone else may add only themselves, as
  lead, to an inspection with no team yet (the one they have just set up). Before, the
  store let a person add no one but themselves, to any inspection.
- ``service_rates`` counts each person's requests to the service per minute, so that
  however many service instances answer them, one person's requests are limited alike.
- The inspection-membership check names its schema search path in full, so nothing a
  caller creates (a temporary view, say) can stand in for the store's own tables.

Revision ID: c009
Revises: c008
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "c009"
down_revision: str | None = "c008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SERVICE = "aspire_service"
SERVICE_TABLES = ("service_credentials", "service_sessions", "service_unknown_tries",
                  "devices", "device_enrolments", "people", "service_rates")
MEMBER_FUNCTION = "aspire_member_inspections(text)"
LEADS_FUNCTION = "aspire_led_inspections(text)"
LEADS = "aspire_led_inspections(current_user)"
TEAMED_FUNCTION = "aspire_inspections_with_a_team()"
TEAMED = "aspire_inspections_with_a_team()"
ADMIN = "pg_has_role(current_user, 'aspire_admin', 'member')"


def upgrade() -> None:
    op.execute("""
        CREATE TABLE service_rates (
            login text PRIMARY KEY REFERENCES people (login) ON DELETE CASCADE,
            window_start timestamptz NOT NULL,
            requests integer NOT NULL CHECK (requests >= 0)
        )""")
    op.execute("REVOKE ALL ON service_rates FROM PUBLIC")
    op.execute(f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = "
               f"'{SERVICE}') THEN CREATE ROLE {SERVICE} NOLOGIN; END IF; END $$")
    op.execute(f"GRANT aspire_admin TO {SERVICE}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {', '.join(SERVICE_TABLES)} "
               f"TO {SERVICE}")
    op.execute(f"""
        DO $$ DECLARE person record; BEGIN
            FOR person IN SELECT r.rolname FROM pg_roles r JOIN people p ON p.login = r.rolname
                          WHERE NOT r.rolsuper LOOP
                EXECUTE format('ALTER ROLE %I NOLOGIN PASSWORD NULL', person.rolname);
                EXECUTE format('GRANT %I TO {SERVICE}', person.rolname);
            END LOOP;
        END $$""")
    op.execute(f"ALTER FUNCTION {MEMBER_FUNCTION} SET search_path = public, pg_temp")
    # the inspections a person leads, and those that have a team at all
    op.execute(f"""
        CREATE FUNCTION {LEADS_FUNCTION} RETURNS SETOF uuid
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
            SELECT inspection_id FROM inspection_members
            WHERE person = $1 AND role = 'lead_inspector'
              AND pg_has_role(session_user, $1, 'MEMBER')
        $$""")
    op.execute(f"""
        CREATE FUNCTION {TEAMED_FUNCTION} RETURNS SETOF uuid
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
            SELECT DISTINCT inspection_id FROM inspection_members
        $$""")
    for function in (LEADS_FUNCTION, TEAMED_FUNCTION):
        op.execute(f"REVOKE ALL ON FUNCTION {function} FROM PUBLIC")
        for group in ("aspire_inspector", "aspire_supervisor", "aspire_admin"):
            op.execute(f"GRANT EXECUTE ON FUNCTION {function} TO {group}")
    op.execute("DROP POLICY inspection_members_add ON inspection_members")
    op.execute(
        "CREATE POLICY inspection_members_add ON inspection_members FOR INSERT WITH CHECK ("
        "(person = current_user AND role = 'lead_inspector' AND inspection_id NOT IN "
        f"(SELECT {TEAMED})) OR inspection_id IN (SELECT {LEADS}) OR {ADMIN})")


def downgrade() -> None:
    op.execute("DROP POLICY inspection_members_add ON inspection_members")
    op.execute(f"CREATE POLICY inspection_members_add ON inspection_members FOR INSERT "
               f"WITH CHECK ((person = current_user) OR {ADMIN})")
    for function in (LEADS_FUNCTION, TEAMED_FUNCTION):
        op.execute(f"DROP FUNCTION {function}")
    op.execute(f"ALTER FUNCTION {MEMBER_FUNCTION} SET search_path = public")
    op.execute(f"REVOKE ALL ON {', '.join(SERVICE_TABLES)} FROM {SERVICE}")
    op.execute(f"REVOKE aspire_admin FROM {SERVICE}")
    op.execute("DROP TABLE service_rates")
