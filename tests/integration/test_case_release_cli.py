"""Closing an inspection from the command line, and what sync then says it removed."""

from __future__ import annotations

from tests.cli import as_json, aspire
from tests.service import service_in_thread


def test_close_an_inspection_and_sync_its_cases_away(tmp_path, central_url):
    admin = {"ASPIRE_CENTRAL_PASSWORD": "unused-on-trusted-loopback"}
    as_json(aspire("central", "init", "--url", central_url, "--json", env=admin))
    as_json(aspire("central", "add-user", "--url", central_url, "--login", "a.khan", "--name",
                   "A. Khan", "--role", "inspector", "--json",
                   env={**admin, "ASPIRE_NEW_PASSWORD": "a long enough password"}))
    db = tmp_path / "khan.db"
    signed = {"ASPIRE_USER": "a.khan", "ASPIRE_CENTRAL": service_in_thread(central_url),
              "ASPIRE_CENTRAL_PASSWORD": "a long enough password"}
    demo = as_json(aspire("demo", "--cases", "3", "--json", db=db, env=signed))
    as_json(aspire("sync", "--json", db=db, env=signed))

    closed = as_json(aspire("inspections", "close", "--inspection", demo["id"], "--json",
                            db=db, env=signed))
    assert closed["status"] == "closed" and closed["case_count"] == 3
    again = aspire("inspections", "close", "--inspection", demo["id"], db=db, env=signed)
    assert again.returncode == 1 and "already closed" in again.stderr
    other = aspire("inspections", "close", "--inspection", demo["id"], db=db,
                   env={**signed, "ASPIRE_USER": "b.lee"})
    assert other.returncode == 1 and "Only the inspection's supervisor" in other.stderr

    synced = as_json(aspire("sync", "--json", db=db, env=signed))
    assert (synced["cases_removed"], synced["cases_restored"], synced["pending"]) == (3, 0, 0)
    assert as_json(aspire("cases", "list", "--inspection", demo["id"], "--json", db=db)) == []
    reopened = aspire("inspections", "reopen", "--inspection", demo["id"], db=db, env=signed)
    assert reopened.returncode == 0, reopened.stderr
    told = aspire("sync", db=db, env=signed)
    assert told.returncode == 0 and "3 case(s) brought back" in told.stdout
