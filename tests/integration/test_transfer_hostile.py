"""Transfer files crafted by a hostile colleague, each taken the three ways a file arrives:
opened on a laptop, applied by an administrator at the database (``central import-package``)
and brought to the central service. Each is refused with words that say why, or applied by
the rules; never a traceback, never a server error, and nothing applied from a file refused
whole."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
import zlib
from pathlib import Path

import pytest

from app.db.device_key import device_key
from app.errors import UserFacingError
from app.sync.package import MOST_LINE, open_package
from app.sync.transfers import apply_package_at
from tests.integration.sync_fixtures import made_up_device
from tests.integration.test_central_security import _token, contents
from tests.integration.test_central_security import store as store
from tests.integration.test_transfer_package import answer_change
from tests.integration.transfer_crafting import PASSPHRASE, head_of, sealed, signed_content

ROOT = Path(__file__).parents[2]


def with_payload(change: dict, **values) -> dict:
    return {**change, "payload": {**change["payload"], **values}}


#: (name, the content's lines from (head, the valid change, a stranger's key, one's key),
#:  what a refusal of the whole file says, or None where the file is applied by the rules)
CASES = [
    ("a person's name with a NUL in it, signed by a key of its own",
     lambda h, c, stranger, one: signed_content(
         head_of("inspector.one\x00", stranger), [c], stranger),
     "its head does not say who made it"),
    ("a kind of record that is half a character",
     lambda h, c, stranger, one: signed_content(h, [{**c, "entity": "\ud800"}], one),
     "line 2 holds half a character"),
    ("a move that is half a character",
     lambda h, c, stranger, one: signed_content(h, [{**c, "op": "\ud800"}], one),
     "line 2 holds half a character"),
    ("a field named by half a character",
     lambda h, c, stranger, one: signed_content(h, [with_payload(c, **{"\ud800": 1})], one),
     "line 2 holds half a character"),
    ("a valid change before one whose move is half a character",
     lambda h, c, stranger, one: signed_content(h, [c, {
         **c, "change_id": str(uuid.uuid4()), "op": "\ud800"}], one),
     "line 3 holds half a character"),
    ("the format as 2.0",
     lambda h, c, stranger, one: signed_content({**h, "format": 2.0}, [c], one),
     "its content is not of the format this version reads"),
    ("an end that counts true changes",
     lambda h, c, stranger, one: _end_counting(True, h, c, one),
     "its changes do not match its own count and hash"),
    ("a line longer than a line may be",
     lambda h, c, stranger, one: signed_content(
         h, [with_payload(c, evidence="x" * (MOST_LINE + 100))], one),
     "a line is longer than"),
]


def _end_counting(changes, head, change, key) -> bytes:
    content = signed_content(head, [change], key)
    *lines, end, _ = content.split(b"\n")
    told = json.loads(end)
    told["end"]["changes"] = changes
    return b"\n".join([*lines, json.dumps(told).encode(), b""])


def brought_by_admin(store, content: bytes) -> tuple[int, dict]:
    """The content as a laptop sends a file's to the service (unsealed, still deflated)."""
    request = urllib.request.Request(
        store.address + "/sync/transfer", data=zlib.compress(content), method="POST",
        headers={"Authorization": f"Bearer {_token(store, 'central.admin')}",
                 "Content-Type": "application/octet-stream"})
    try:
        with urllib.request.urlopen(request, timeout=120) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read())


def test_crafted_transfer_files_are_refused_whole_with_their_reason(store, tmp_path):
    one = device_key(store.people["inspector.one"].services._db)
    store.link("inspector.one").close()  # inspector one's laptop is known to the service
    change = answer_change(store, "no")
    head, stranger = head_of("inspector.one", one), made_up_device()
    before = contents(store.central)
    for name, build, refusal in CASES:
        content = build(head, change, stranger, one)
        path = sealed(tmp_path / "crafted.aspire", content)
        with pytest.raises(UserFacingError) as opened:
            open_package(path, PASSPHRASE)
        assert refusal in opened.value.problem, (name, opened.value.problem)
        assert "Nothing from it was applied" in opened.value.problem, name
        with pytest.raises(UserFacingError) as applied:
            apply_package_at(store.central, path, PASSPHRASE)
        assert refusal in applied.value.problem, name
        status, answer = brought_by_admin(store, content)
        assert status == 400 and refusal in answer["error"], (name, status, answer)
        assert contents(store.central) == before, name  # nothing applied, even in part


def test_a_nul_in_evidence_is_refused_by_the_store_in_its_own_words(store, tmp_path):
    one = device_key(store.people["inspector.one"].services._db)
    store.link("inspector.one").close()
    change = with_payload(answer_change(store, "no"), evidence="Seen \x00 at home")
    content = signed_content(head_of("inspector.one", one), [change], one)
    report = apply_package_at(store.central, sealed(tmp_path / "nul.aspire", content),
                              PASSPHRASE)
    assert (report.changes, report.applied, report.refused) == (1, 0, 1)
    assert report.refusals[0].endswith("its evidence holds a NUL character, which text cannot")


def test_a_passphrase_whose_bytes_are_not_text_is_only_a_wrong_passphrase(store, tmp_path):
    one = device_key(store.people["inspector.one"].services._db)
    path = sealed(tmp_path / "good.aspire", signed_content(
        head_of("inspector.one", one), [answer_change(store, "no")], one))
    done = subprocess.run(
        [sys.executable, "-m", "app", "central", "import-package", str(path), "--url",
         store.central], cwd=ROOT, capture_output=True,
        env={**_environment(), "ASPIRE_PACKAGE_PASSPHRASE": b"\xff\xfe orange".decode(
            "utf-8", "surrogateescape"), "ASPIRE_CENTRAL_PASSWORD": "unused-on-loopback"})
    assert done.returncode == 1, done.stderr
    assert b"Traceback" not in done.stderr and b"passphrase is wrong" in done.stderr


def _environment() -> dict[str, str]:
    import os

    return dict(os.environ)
