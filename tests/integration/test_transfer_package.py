"""Transfer files: carried to the office, applied like a network sync, never twice."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from app.sync.central import init_central
from app.sync.package import PackageError, apply_package, write_package
from tests.integration.helpers import make_case, make_inspection
from tests.integration.sync_fixtures import laptop

PASSPHRASE = "orange kettle river"


def central_state(url: str) -> dict[str, object]:
    engine = create_engine(url)
    with engine.connect() as conn:
        state = {
            "answers": sorted((k, str(v)) for k, v in conn.execute(text(
                "SELECT question_key, value FROM answers"))),
            "cases": sorted(r[0] for r in conn.execute(text("SELECT reference FROM cases"))),
            "changes": conn.execute(text("SELECT count(*) FROM central_changes")).scalar(),
            "duplicates": conn.execute(text(
                "SELECT count(*) - count(DISTINCT change_id) FROM central_changes")).scalar(),
        }
    engine.dispose()
    return state


def offline_work(machine):
    inspection = make_inspection(machine.services)
    case = make_case(machine.services, "X1", inspection=inspection)
    for key, value in (("victim", "yes"), ("officers", 2), ("comment", "Seen at home")):
        machine.services.forms.record_answer(case_id=case.id, question_key=key, value=value)
    return case


def test_package_then_again_then_network_matches_a_network_only_sync(central_url, tmp_path,
                                                                    postgres_server):
    init_central(central_url)
    one = laptop(tmp_path, central_url, "inspector.one")
    offline_work(one)
    package = tmp_path / "usb" / "inspector-one.aspire"
    package.parent.mkdir()
    manifest = write_package(one.services._db, package, PASSPHRASE)
    assert manifest["person"] == "inspector.one" and manifest["changes"] > 0
    assert manifest["counts"]["answers"] == 3
    assert PASSPHRASE.encode() not in package.read_bytes()
    assert b"Seen at home" not in package.read_bytes()  # sealed, not merely packed

    first = apply_package(central_url, package, PASSPHRASE)
    assert first.applied == first.changes == manifest["changes"]
    after_first = central_state(central_url)
    again = apply_package(central_url, package, PASSPHRASE)
    assert again.applied == again.changes  # the same outcomes, recognised
    assert central_state(central_url) == after_first
    network = one.sync()  # the laptop reaches the network at last
    assert network.applied == network.pushed == manifest["changes"]
    assert one.services.sync.status().pending_changes == 0
    assert central_state(central_url) == after_first

    # the same work synced over the network only gives the same central data
    name = "network_only"
    other = postgres_server.create_database(name)
    try:
        init_central(other)
        two = laptop(tmp_path / "b", other, "inspector.one")
        offline_work(two)
        two.sync()
        only = central_state(other)
        assert (only["answers"], only["cases"]) == (after_first["answers"],
                                                    after_first["cases"])
        assert only["changes"] == after_first["changes"] and only["duplicates"] == 0
    finally:
        postgres_server.drop_database(name)


@pytest.mark.parametrize("damage", ["flipped byte", "wrong passphrase", "not a package"])
def test_a_damaged_or_wrongly_keyed_package_is_refused_whole(central_url, tmp_path, damage):
    init_central(central_url)
    one = laptop(tmp_path, central_url, "inspector.one")
    offline_work(one)
    package = tmp_path / "one.aspire"
    write_package(one.services._db, package, PASSPHRASE)
    passphrase = PASSPHRASE
    if damage == "flipped byte":
        data = bytearray(package.read_bytes())
        data[len(data) // 2] ^= 0x01
        package.write_bytes(bytes(data))
    elif damage == "wrong passphrase":
        passphrase = "orange kettle rivers"
    else:
        package.write_bytes(b"PK\x03\x04 a spreadsheet")
    before = central_state(central_url)
    with pytest.raises(PackageError) as info:
        apply_package(central_url, package, passphrase)
    assert "one.aspire" in info.value.problem
    assert central_state(central_url) == before


def test_a_short_passphrase_is_refused(central_url, tmp_path):
    from app.errors import ValidationError
    init_central(central_url)
    one = laptop(tmp_path, central_url, "inspector.one")
    with pytest.raises(ValidationError, match="too short"):
        write_package(one.services._db, tmp_path / "x.aspire", "short")
    assert not (tmp_path / "x.aspire").exists()
