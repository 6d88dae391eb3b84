"""The central service as the inspectorate deploys it: its own database login, granted
``aspire_service`` and nothing else, not a superuser. With it, a team syncs as usual, and the
service still acts for each person in their own role (row-level security as a second wall)."""

from __future__ import annotations

import uuid

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.bootstrap import build_services
from app.sync.central import add_user
from tests.conftest import MINI_FRAMEWORKS, new_database, opened
from tests.integration.helpers import make_case, make_inspection
from tests.integration.sync_fixtures import PASSWORD, Laptop
from tests.service import service_in_thread, stop_services_for


def service_login(central_url: str) -> str:
    """A new login for the service, granted ``aspire_service``; its database address."""
    login = f"aspire_web_{uuid.uuid4().hex[:8]}"
    engine = create_engine(central_url)
    with engine.begin() as conn:
        conn.execute(text(f"CREATE ROLE {login} LOGIN PASSWORD 'service secret'"))
        conn.execute(text(f"GRANT aspire_service TO {login}"))
        assert not conn.scalar(text("SELECT rolsuper OR rolbypassrls FROM pg_roles "
                                    "WHERE rolname = :r"), {"r": login})
    engine.dispose()
    return make_url(central_url).set(username=login, password="service secret") \
        .render_as_string(hide_password=False)


def test_a_team_syncs_through_a_service_with_its_own_least_login(central, tmp_path):
    url = service_login(central)
    address = service_in_thread(url)
    try:
        add_user(central, login="inspector.one", name="One", role="inspector",
                 password=PASSWORD)
        one = Laptop("inspector.one", opened(build_services(new_database(
            tmp_path / "one.db", "inspector.one"), MINI_FRAMEWORKS)),
            address, central)
        inspection = make_inspection(one.services)
        case = make_case(one.services, "X1", inspection=inspection)
        one.services.forms.record_answer(case_id=case.id, question_key="victim", value="yes")
        first = one.sync()
        assert (first.applied, first.refused, first.conflicts) == (first.pushed, 0, 0)

        add_user(central, login="inspector.two", name="Two", role="inspector",
                 password=PASSWORD, inspections=[inspection.id])
        two = Laptop("inspector.two", opened(build_services(new_database(
            tmp_path / "two.db", "inspector.two"), MINI_FRAMEWORKS)),
            address, central)
        assert two.sync().pulled == first.pushed
        assert [c.reference for c in two.services.cases.list(inspection.id)] == ["X1"]
        engine = create_engine(central)
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT updated_by FROM answers")) == "inspector.one"
        engine.dispose()
        for machine in (one, two):
            machine.services.close()
    finally:
        stop_services_for(url)
