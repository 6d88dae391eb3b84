"""Transfer files: carried to the office, brought to the central service, checked against the
person and laptop that made them, applied like a network sync, and never twice."""

from __future__ import annotations

import base64
import hashlib
import json
import struct
import urllib.error
import urllib.request
import uuid
import zlib

import pytest
from sqlalchemy import create_engine, text

from app.core import devices as device_rules
from app.db.device_key import device_key
from app.errors import ValidationError
from app.sync import package as pkg
from app.sync.central import issue_enrolment_code, withdraw_device
from app.sync.client import CentralError
from app.sync.package import PackageError, open_package
from tests.integration.helpers import make_case, make_inspection
from tests.integration.sync_fixtures import PASSWORD, laptop, made_up_device
from tests.integration.test_central_security import contents, row

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
            "authors": sorted({r[0] for r in conn.execute(text(
                "SELECT changed_by FROM central_changes"))}),
        }
    engine.dispose()
    return state


def offline_work(machine):
    inspection = make_inspection(machine.services)
    case = make_case(machine.services, "X1", inspection=inspection)
    for key, value in (("victim", "yes"), ("officers", 2), ("comment", "Seen at home")):
        machine.services.forms.record_answer(case_id=case.id, question_key=key, value=value)
    return case


def bring(machine, path, passphrase=PASSPHRASE):
    """``machine``'s person brings a transfer file to the central service."""
    return machine.services.sync.apply_package(machine.url, PASSWORD, path, passphrase)


def test_a_laptop_that_never_synced_is_enrolled_by_its_file_and_nothing_is_applied_twice(
        central, tmp_path, postgres_server, central_template):
    far = laptop(tmp_path, central, "inspector.one")
    admin = laptop(tmp_path, central, "central.admin", role="admin")
    offline_work(far)
    package = tmp_path / "usb" / "inspector-one.aspire"
    package.parent.mkdir()
    without = tmp_path / "usb" / "no-code.aspire"
    far.services.sync.export_package(without, PASSPHRASE)
    with pytest.raises(CentralError, match="enrolment code"):
        bring(admin, without)
    assert central_state(central)["changes"] == 0

    code = issue_enrolment_code(central, login="inspector.one", days=3).code
    manifest = far.services.sync.export_package(package, PASSPHRASE, enrolment_code=code)
    assert manifest["person"] == "inspector.one" and manifest["changes"] > 0
    assert manifest["counts"]["answers"] == 3
    sealed = package.read_bytes()
    assert PASSPHRASE.encode() not in sealed and b"Seen at home" not in sealed
    assert code.encode() not in sealed and code.replace("-", "").encode() not in sealed

    first = bring(admin, package)
    assert first.enrolled and first.person == "inspector.one"
    assert first.applied == first.changes == manifest["changes"]
    after_first = central_state(central)
    assert after_first["authors"] == ["inspector.one"]
    again = bring(admin, package)  # replayed: recognised, nothing changes, and said so
    assert (again.applied, again.applied_before) == (0, again.changes) and not again.enrolled
    assert again.told == (f"Nothing new was applied: all {again.changes} change(s) in the "
                          "file from inspector.one were applied before.")
    assert central_state(central) == after_first
    network = far.sync()  # the laptop reaches the network at last, as the device enrolled
    # what the file carried is recognised; only the export log's entry for the file
    # itself, made after it was sealed, is new
    assert network.applied == network.pushed == manifest["changes"] + 1
    assert far.services.sync.status().pending_changes == 0
    after_network = central_state(central)
    assert after_network == {**after_first, "changes": after_first["changes"] + 1}

    # the same work synced over the network only gives the same central data
    name = "network_only"
    other = postgres_server.create_database(name, template=central_template)
    try:
        two = laptop(tmp_path / "b", other, "inspector.one")
        offline_work(two)
        two.sync()
        only = central_state(other)
        assert (only["answers"], only["cases"]) == (after_first["answers"],
                                                    after_first["cases"])
        assert only["duplicates"] == after_network["duplicates"] == 0
    finally:
        postgres_server.drop_database(name)


def test_the_person_who_made_it_brings_it_and_nobody_else_but_an_administrator(store,
                                                                                tmp_path):
    one, two = store.people["inspector.one"], store.people["inspector.two"]
    one.services.forms.record_answer(case_id=store.case, question_key="officers", value=3)
    path = tmp_path / "one.aspire"
    one.services.sync.export_package(path, PASSPHRASE)
    before = contents(store.central)
    with pytest.raises(CentralError, match="Only the person who made"):
        bring(two, path)  # a colleague on the same team, with the passphrase
    assert contents(store.central) == before
    report = bring(one, path)  # at the office, from the person's own login
    assert report.applied == report.changes > 0 and report.refused == 0
    assert row(store.central, "answers", case_id=store.case,
               question_key="officers")["value"] == 3


# -- a hostile file: made by hand, as the content the service reads -----------------------

def content(head: dict, changes: list[dict], key, *, sign_as: dict | None = None,
            after_signing=None) -> bytes:
    """A transfer file's content, signed with ``key`` over ``sign_as`` (the head's person
    and device unless said); ``after_signing`` may change the lines once signed."""
    lines = [json.dumps(head).encode() + b"\n"] + [
        (c.pop("line") if "line" in c else json.dumps(c).encode()) + b"\n" for c in changes]
    digest = hashlib.sha256(b"".join(lines)).hexdigest()
    who = sign_as or head
    signature = key.sign(device_rules.transfer_statement(who["person"], who["device_id"],
                                                         digest))
    if after_signing is not None:
        lines = after_signing(lines)
        digest = hashlib.sha256(b"".join(lines)).hexdigest()
    counts: dict[str, int] = {}
    for c in changes:
        counts[c["entity"]] = counts.get(c["entity"], 0) + 1
    end = {"end": {"changes": len(changes), "counts": counts, "sha256": digest,
                   "signature": base64.b64encode(signature).decode()}}
    return zlib.compress(b"".join(lines) + json.dumps(end).encode() + b"\n")


def head_of(login: str, key, code: str | None = None) -> dict:
    head = {"format": 2, "person": login, "device_id": str(key.device_id),
            "public_key": key.public_key_text, "created_at": "2026-12-06T09:00:00+00:00",
            "app": "0"}
    if code:
        head["enrolment_code"] = code
    return head


def answer_change(store, value) -> dict:
    from tests.integration.test_central_security import edited

    answer = row(store.central, "answers", case_id=store.case, question_key="victim")
    made = edited(store, "answers", answer["id"], value=value)
    return {"change_id": str(made.change_id), "entity": made.entity,
            "entity_id": str(made.entity_id), "op": made.op, "base_rev": made.base_rev,
            "payload": made.payload}


def post_transfer(store, login: str, body: bytes) -> tuple[int, str]:
    from tests.integration.test_central_security import _token

    request = urllib.request.Request(
        store.address + "/sync/transfer", data=body, method="POST",
        headers={"Authorization": f"Bearer {_token(store, login)}",
                 "Content-Type": "application/octet-stream"})
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read())["error"]


def hostile(store, kind: str) -> bytes:
    one = store.people["inspector.one"]
    one_key = device_key(one.services._db)
    other_key = device_key(store.people["other.inspector"].services._db)
    store.link("other.inspector").close()  # the outsider's laptop is known to the service
    store.link("inspector.one").close()
    change = answer_change(store, "no")
    if kind == "names another person":  # the outsider signs as themselves, names the owner
        return content(head_of("inspector.one", other_key), [change], other_key)
    if kind == "signed by a key the laptop does not have":
        return content(head_of("inspector.one", one_key), [change], made_up_device(
            one_key.device_id))
    if kind == "changed after signing":
        return content(head_of("inspector.one", one_key), [change], one_key,
                       after_signing=lambda lines: [lines[0], lines[1].replace(
                           b'"value": "no"', b'"value": "not_applicable"')])
    if kind == "from a laptop never enrolled":
        stranger = made_up_device()
        return content(head_of("inspector.one", stranger), [change], stranger)
    if kind == "enrolled by a code for another person":
        stranger = made_up_device()
        code = issue_enrolment_code(store.central, login="other.inspector", days=1).code
        return content(head_of("inspector.one", stranger, code), [change], stranger)
    if kind == "from a withdrawn laptop":
        withdraw_device(store.central, device_id=one_key.device_id)
        return content(head_of("inspector.one", one_key), [change], one_key)
    if kind == "a line of 9 MB":
        return zlib.compress(json.dumps(head_of("inspector.one", one_key)).encode() + b"\n"
                             + b" " * (9 * 1024 * 1024))
    if kind == "not deflate":
        return b"\x00" * 1000
    if kind == "cut short":
        return content(head_of("inspector.one", one_key), [change], one_key)[:-20]
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", [
    "names another person", "signed by a key the laptop does not have",
    "changed after signing", "from a laptop never enrolled",
    "enrolled by a code for another person", "from a withdrawn laptop", "a line of 9 MB",
    "not deflate", "cut short"])
def test_a_forged_or_foreign_transfer_file_is_refused_whole_naming_why(store, kind):
    body = hostile(store, kind)
    before = contents(store.central)
    status, why = post_transfer(store, "central.admin", body)
    assert status in (400, 403), (status, why)
    expected = {"names another person": "enrolled to other.inspector",
                "signed by a key the laptop does not have": "not signed by the laptop",
                "changed after signing": "not signed by the laptop",
                "from a laptop never enrolled": "does not know",
                "enrolled by a code for another person": "issued for another person",
                "from a withdrawn laptop": "withdrawn",
                "a line of 9 MB": "longer than",
                "not deflate": "does not unpack",
                "cut short": "cut short"}[kind]
    assert expected in why
    assert contents(store.central) == before


def test_a_genuine_file_made_by_hand_is_applied_as_its_author_and_judged(store):
    """The content the laptop would write, made here: applied, and judged by the same
    rules (an answer of an approved case, say, is refused alone)."""
    one_key = device_key(store.people["inspector.one"].services._db)
    store.link("inspector.one").close()
    body = content(head_of("inspector.one", one_key), [answer_change(store, "no")], one_key)
    status, answer = post_transfer(store, "central.admin", body)
    assert status == 200, answer
    report = json.loads(answer)
    assert (report["person"], report["applied"], report["refused"]) == ("inspector.one", 1, 0)
    engine = create_engine(store.central)
    with engine.connect() as conn:
        by, device = conn.execute(text(
            "SELECT changed_by, device_id FROM central_changes ORDER BY seq DESC LIMIT 1")).one()
    engine.dispose()
    assert (by, device) == ("inspector.one", one_key.device_id)


def test_a_body_larger_than_a_transfer_file_is_refused_before_it_is_read(store):
    import http.client
    from urllib.parse import urlsplit

    from tests.integration.test_central_security import _token

    where = urlsplit(store.address)
    connection = http.client.HTTPConnection(where.hostname, where.port, timeout=30)
    connection.putrequest("POST", "/sync/transfer")
    connection.putheader("Authorization", f"Bearer {_token(store, 'central.admin')}")
    connection.putheader("Content-Length", str(pkg.MOST_CONTENT + 1))
    connection.endheaders()  # the body is never sent: the answer comes first
    answer = connection.getresponse()
    assert answer.status == 413 and "larger than" in json.loads(answer.read())["error"]
    connection.close()


# -- the file itself -----------------------------------------------------------------------

@pytest.fixture
def sealed_file(tmp_path, monkeypatch):
    """A laptop's transfer file sealed in chunks of 64 bytes, so that it has many."""
    from app.bootstrap import build_services
    from tests.conftest import MINI_FRAMEWORKS, new_database

    monkeypatch.setattr(pkg, "CHUNK", 64)
    db = new_database(tmp_path / "far.db")
    services = build_services(db, MINI_FRAMEWORKS)
    inspection = make_inspection(services)
    for n in range(3):
        make_case(services, f"X{n}", inspection=inspection)
    path = tmp_path / "far.aspire"
    services.sync.export_package(path, PASSPHRASE)
    yield path
    services.close()


def chunks_of(path) -> tuple[bytes, list[bytes]]:
    data = path.read_bytes()
    size = struct.unpack(">H", data[len(pkg.MAGIC):len(pkg.MAGIC) + 2])[0]
    at = len(pkg.MAGIC) + 2 + size
    start, chunks = data[:at], []
    while at < len(data):
        length = struct.unpack(">I", data[at:at + 4])[0]
        chunks.append(data[at:at + 4 + length])
        at += 4 + length
    return start, chunks


@pytest.mark.parametrize("damage", ["flipped byte", "wrong passphrase", "not a package",
                                    "last chunk left out", "two chunks swapped",
                                    "a chunk repeated", "earlier version"])
def test_a_damaged_or_wrongly_keyed_file_is_refused_whole(sealed_file, damage):
    start, chunks = chunks_of(sealed_file)
    assert len(chunks) > 3
    assert open_package(sealed_file, PASSPHRASE).head.changes > 0
    passphrase = PASSPHRASE
    if damage == "flipped byte":
        data = bytearray(sealed_file.read_bytes())
        data[len(data) // 2] ^= 0x01
        sealed_file.write_bytes(bytes(data))
    elif damage == "wrong passphrase":
        passphrase = "orange kettle rivers"
    elif damage == "not a package":
        sealed_file.write_bytes(b"PK\x03\x04 a workbook")
    elif damage == "last chunk left out":
        sealed_file.write_bytes(start + b"".join(chunks[:-1]))
    elif damage == "two chunks swapped":
        sealed_file.write_bytes(start + b"".join([chunks[1], chunks[0], *chunks[2:]]))
    elif damage == "a chunk repeated":
        sealed_file.write_bytes(start + b"".join([chunks[0], *chunks]))
    elif damage == "earlier version":
        sealed_file.write_bytes(pkg.OLD_MAGIC + b"\x00" * 64)
    with pytest.raises(PackageError) as refused:
        open_package(sealed_file, passphrase)
    expected = {"not a package": "not an ASPIRE Casework transfer file",
                "earlier version": "earlier version"}.get(damage, "passphrase is wrong")
    assert expected in refused.value.problem


def test_a_header_asking_for_more_memory_than_allowed_is_refused_before_stretching(
        sealed_file):
    data = sealed_file.read_bytes()
    size = struct.unpack(">H", data[len(pkg.MAGIC):len(pkg.MAGIC) + 2])[0]
    header = json.loads(data[len(pkg.MAGIC) + 2:len(pkg.MAGIC) + 2 + size])
    header["kdf"]["memory_kib"] = 512 * 1024  # 512 MiB: more than an office laptop gives
    raw = json.dumps(header).encode()
    sealed_file.write_bytes(pkg.MAGIC + struct.pack(">H", len(raw)) + raw
                            + data[len(pkg.MAGIC) + 2 + size:])
    with pytest.raises(PackageError, match="key stretching outside"):
        open_package(sealed_file, PASSPHRASE)
    header["kdf"]["memory_kib"], header["kdf"]["iterations"] = 1024, 1  # too weak
    raw = json.dumps(header).encode()
    sealed_file.write_bytes(pkg.MAGIC + struct.pack(">H", len(raw)) + raw
                            + data[len(pkg.MAGIC) + 2 + size:])
    with pytest.raises(PackageError, match="key stretching outside"):
        open_package(sealed_file, PASSPHRASE)


def test_the_header_records_how_the_key_was_stretched(sealed_file):
    data = sealed_file.read_bytes()
    size = struct.unpack(">H", data[len(pkg.MAGIC):len(pkg.MAGIC) + 2])[0]
    kdf = json.loads(data[len(pkg.MAGIC) + 2:len(pkg.MAGIC) + 2 + size])["kdf"]
    assert (kdf["name"], kdf["memory_kib"], kdf["iterations"], kdf["lanes"]) == (
        "argon2id", 65536, 3, 4)
    assert kdf["memory_kib"] * kdf["iterations"] >= 19 * 1024 * 2  # OWASP's least


@pytest.mark.parametrize("weak", ["short", "password1234", "inspector.one2026",
                                  "aaaaaaaaaaaaaaa"])
def test_a_weak_passphrase_is_refused_and_nothing_is_written(tmp_path, weak):
    from app.bootstrap import build_services
    from tests.conftest import MINI_FRAMEWORKS, new_database

    db = new_database(tmp_path / "far.db")
    services = build_services(db, MINI_FRAMEWORKS)
    make_case(services, "X1", inspection=make_inspection(services))
    target = tmp_path / "weak.aspire"
    with pytest.raises(ValidationError) as refused:
        services.sync.export_package(target, weak)
    assert "too short" in refused.value.problem or "too easy to guess" in refused.value.problem
    assert not target.exists() and not list(tmp_path.glob("*.partial"))
    services.close()


def test_reading_a_large_content_holds_a_chunk_at_a_time(monkeypatch):
    """60 MB of changes read back through the checks: memory stays at a few MB."""
    import tracemalloc

    key = made_up_device()
    head = head_of("inspector.one", key)
    change = {"change_id": "", "entity": "answers", "entity_id": "", "op": "insert",
              "base_rev": 0, "payload": {"evidence": "x" * 3000}}
    lines = [json.dumps(head).encode() + b"\n"]
    for _ in range(20_000):
        change["change_id"], change["entity_id"] = str(uuid.uuid4()), str(uuid.uuid4())
        lines.append(json.dumps(change).encode() + b"\n")
    digest = hashlib.sha256(b"".join(lines)).hexdigest()
    signature = key.sign(device_rules.transfer_statement("inspector.one", key.device_id,
                                                         digest))
    end = json.dumps({"end": {"changes": 20_000, "counts": {"answers": 20_000},
                              "sha256": digest,
                              "signature": base64.b64encode(signature).decode()}})
    deflate = zlib.compressobj()
    packed = [deflate.compress(line) for line in lines]
    packed += [deflate.compress(end.encode() + b"\n"), deflate.flush()]
    plain = sum(len(line) for line in lines)
    del lines
    assert plain > 60_000_000

    def pieces():
        yield from packed

    tracemalloc.start()
    head_read = pkg.check_content(pieces)
    count = sum(1 for _ in pkg.content_changes(pieces, head_read))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert head_read.changes == count == 20_000
    assert peak < 6 * 1024 * 1024, peak


# -- what a hostile review found ---------------------------------------------------------------

def test_an_edit_made_on_top_of_a_conflict_stays_held_whatever_the_batches(central,
                                                                          tmp_path,
                                                                          monkeypatch):
    """Offline, inspector two changes an answer, does other work, changes it again; inspector
    one's edit got there first. Neither of two's versions overwrites one's, wherever the
    file is cut into batches."""
    from app.sync import transfers
    from tests.integration.sync_fixtures import two_laptops_on_one_case

    monkeypatch.setattr(transfers, "MOST_CHANGES", 2)
    one, two, case = two_laptops_on_one_case(tmp_path, central, ("officers", 1))
    one.services.forms.record_answer(case_id=case.id, question_key="officers", value=9)
    one.sync()
    two.services.forms.record_answer(case_id=case.id, question_key="officers", value=5)
    for n in range(3):
        two.services.forms.record_answer(case_id=case.id, question_key="comment",
                                         value=f"Seen {n}")
    two.services.forms.record_answer(case_id=case.id, question_key="officers", value=7)
    path = tmp_path / "two.aspire"
    two.services.sync.export_package(path, PASSPHRASE)
    report = bring(two, path)
    assert report.conflicts >= 2 and report.refused == 0
    assert row(central, "answers", case_id=case.id, question_key="officers")["value"] == 9


def test_a_file_is_applied_whole_or_not_at_all(central, tmp_path, monkeypatch):
    from app.sync import batch, store, transfers

    monkeypatch.setattr(transfers, "MOST_CHANGES", 2)
    far = laptop(tmp_path, central, "inspector.one")
    offline_work(far)
    far.sync()  # enrolled
    for n in range(5):
        far.services.forms.record_answer(case_id=far.services.cases.list(
            far.services.inspections.list()[0].id)[0].id, question_key="comment",
            value=f"Seen {n}")
    path = tmp_path / "one.aspire"
    far.services.sync.export_package(path, PASSPHRASE)
    before = central_state(central)
    calls = []

    def failing_second_batch(conn, changes, held=None, **given):
        calls.append(len(changes))  # the service fails in batch two
        if len(calls) == 2:
            raise RuntimeError("the service stopped")
        return batch.apply_batch(conn, changes, held, **given)

    monkeypatch.setattr(store, "apply_batch", failing_second_batch)
    with pytest.raises(CentralError, match="could not finish"):
        bring(far, path)
    assert len(calls) == 2 and central_state(central) == before  # nothing of batch one
    monkeypatch.setattr(store, "apply_batch", batch.apply_batch)
    report = bring(far, path)
    assert report.applied == report.changes > 2
    assert central_state(central)["changes"] > before["changes"]


def test_the_same_file_brought_twice_at_once_is_applied_once(store, tmp_path):
    import threading

    one = store.people["inspector.one"]
    admin = store.people["central.admin"]
    for n in range(300):
        one.services.forms.record_answer(case_id=store.case, question_key="comment",
                                         value=f"Visit {n}")
    path = tmp_path / "one.aspire"
    one.services.sync.export_package(path, PASSPHRASE)
    results: list[object] = []

    def bring_as(machine):
        try:
            results.append(bring(machine, path))
        except CentralError as exc:
            results.append(exc.problem)

    threads = [threading.Thread(target=bring_as, args=(m,)) for m in (one, admin)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    reports = [r for r in results if not isinstance(r, str)]
    assert reports and all(r.conflicts == 0 for r in reports)
    assert all("being applied just now" in r for r in results if isinstance(r, str)), results
    engine = create_engine(store.central)
    with engine.connect() as conn:
        conflicts = conn.execute(text("SELECT count(*) FROM central_conflicts")).scalar()
        outcomes = conn.execute(text(
            "SELECT count(*) FROM applied_changes WHERE outcome <> 'applied'")).scalar()
    engine.dispose()
    assert conflicts == outcomes == 0
    synced = one.sync()  # the author's laptop syncs on as ever
    assert synced.conflicts == synced.refused == 0
    assert one.services.sync.status().pending_changes == 0


def test_whoever_may_not_bring_a_file_is_refused_before_it_is_read(store):
    one_key = device_key(store.people["inspector.one"].services._db)
    body = zlib.compress(json.dumps(head_of("inspector.one", one_key)).encode()
                         + b"\nthis is not a change\n")
    assert post_transfer(store, "inspector.two", body) == (
        403, "Only the person who made a transfer file, or an administrator, may apply it.")
    status, why = post_transfer(store, "inspector.one", body)
    assert status == 400 and "line 2 is not JSON" in why


@pytest.mark.parametrize("kind", ["not a kind of record", "the same change twice",
                                  "more changes than a file holds"])
def test_a_file_out_of_bounds_is_refused_whole(store, kind, monkeypatch):
    one_key = device_key(store.people["inspector.one"].services._db)
    store.link("inspector.one").close()
    change = answer_change(store, "no")
    changes = [change, {**change, "change_id": str(uuid.uuid4())}]
    if kind == "not a kind of record":
        changes[1]["entity"] = "pg_authid"
    elif kind == "the same change twice":
        changes[1] = change
    else:
        monkeypatch.setattr(pkg, "MOST_FILE_CHANGES", 1)
    before = contents(store.central)
    status, why = post_transfer(store, "inspector.one", content(
        head_of("inspector.one", one_key), changes, one_key))
    assert status == 400
    assert {"not a kind of record": "is not a kind of record",
            "the same change twice": "holds a change it holds already",
            "more changes than a file holds": "holds more than 1 changes"}[kind] in why
    assert contents(store.central) == before


@pytest.mark.parametrize("depth", [500, 985, 20_000])
def test_a_value_nested_too_deep_is_refused_clearly_never_a_failure(store, depth):
    one_key = device_key(store.people["inspector.one"].services._db)
    store.link("inspector.one").close()
    deep = answer_change(store, "DEEP")
    deep["line"] = json.dumps(deep).encode().replace(b'"DEEP"', b"[" * depth + b'"no"'
                                                     + b"]" * depth)
    before = contents(store.central)
    status, answer = post_transfer(store, "inspector.one", content(
        head_of("inspector.one", one_key), [deep], one_key))
    if status == 200:  # read, then refused alone
        report = json.loads(answer)
        assert report["refused"] == 1 and "is not" in report["refusals"][0], report
    else:  # too deep to read: refused whole
        assert status == 400 and "line 2 is not JSON" in answer
    assert contents(store.central) == before


def test_a_value_too_deep_to_measure_is_not_json_to_the_rules():
    import sys

    from app.sync.fields import field_problem

    nested: object = "no"
    for _ in range(400):
        nested = [nested]
    record = {"id": str(uuid.uuid4()), "case_id": str(uuid.uuid4()), "question_key": "k",
              "value": nested, "reasons": [], "evidence": "", "respondent": "inspector",
              "rev": 1, "updated_at": "2026-12-06T09:00:00+00:00", "updated_by": "x",
              "device_id": str(uuid.uuid4())}
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(300)
    try:
        problem = field_problem("answers", record)
    finally:
        sys.setrecursionlimit(limit)
    assert problem == "its value is not JSON"


def test_work_refused_before_its_author_joins_the_team_is_taken_once_they_have(store,
                                                                             tmp_path):
    outsider = store.people["other.inspector"]
    outsider_key = device_key(outsider.services._db)
    store.link("other.inspector").close()
    change = answer_change(store, "no")
    body = content(head_of("other.inspector", outsider_key), [change], outsider_key)
    status, answer = post_transfer(store, "central.admin", body)
    assert status == 200 and json.loads(answer)["refused"] == 1
    lead = store.people["inspector.one"]
    lead.sync()
    lead.services.inspections.add_member(inspection_id=store.inspection,
                                         person="other.inspector", role="inspector")
    lead.sync()
    status, answer = post_transfer(store, "central.admin", body)  # the same file again
    assert status == 200 and json.loads(answer)["applied"] == 1, answer
    assert row(store.central, "answers", case_id=store.case,
               question_key="victim")["value"] == "no"


@pytest.mark.parametrize("header", ['{"memory_kib": 1e400}', '{"memory_kib": Infinity}',
                                    "[" * 4000, '{"memory_kib": 65536.5}'])
def test_a_header_that_is_not_what_it_should_be_is_refused_clearly(sealed_file, header):
    data = sealed_file.read_bytes()
    size = struct.unpack(">H", data[len(pkg.MAGIC):len(pkg.MAGIC) + 2])[0]
    good = json.loads(data[len(pkg.MAGIC) + 2:len(pkg.MAGIC) + 2 + size])
    if header.startswith("{"):
        raw = json.dumps(good).replace(
            f'"memory_kib": {good["kdf"]["memory_kib"]}',
            header.strip("{}")).encode()
    else:
        raw = header.encode()
    sealed_file.write_bytes(pkg.MAGIC + struct.pack(">H", len(raw)) + raw
                            + data[len(pkg.MAGIC) + 2 + size:])
    with pytest.raises(PackageError, match="not an ASPIRE Casework transfer file"):
        open_package(sealed_file, PASSPHRASE)


def test_records_damaged_in_the_outbox_travel_and_are_refused_alone(tmp_path):
    from app.bootstrap import build_services
    from tests.conftest import MINI_FRAMEWORKS, new_database

    db = new_database(tmp_path / "far.db")
    services = build_services(db, MINI_FRAMEWORKS)
    case = make_case(services, "X1", inspection=make_inspection(services))
    services.forms.record_answer(case_id=case.id, question_key="comment", value="Seen")
    with db.write() as session:  # three rows spoilt as a damaged disk or an old bug might
        rows = session.connection().exec_driver_sql(
            "SELECT seq, payload FROM outbox ORDER BY seq").all()
        spoilt = [json.dumps({**json.loads(rows[0][1]), "case_id": "not an id"}),
                  json.dumps({k: v for k, v in json.loads(rows[1][1]).items() if k != "id"}),
                  json.dumps(json.loads(rows[2][1]), indent=2)]  # a payload over lines
        for (seq, _), payload in zip(rows, spoilt, strict=False):
            session.connection().exec_driver_sql(
                "UPDATE outbox SET payload = ? WHERE seq = ?", (payload, seq))
    path = tmp_path / "far.aspire"
    manifest = services.sync.export_package(path, PASSPHRASE)
    opened = open_package(path, PASSPHRASE)
    assert opened.head.changes == manifest["changes"] == len(rows)
    assert services.exports.log()[0].kind == "transfer"
    services.close()
