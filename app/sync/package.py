"""Transfer files, for laptops that never reach the network.

Everything the central store has not yet acknowledged goes into one file, carried to the
office on a USB stick and applied there through the central service, as the person who made
it and with the same checks as a network sync.

What is inside (the *content*) is JSON lines, compressed (deflate):

1. the head: ``{"format": 2, "person", "device_id", "public_key", "created_at", "app"}``
   (and ``"enrolment_code"`` when the person typed one, for a laptop the service does not
   know yet);
2. one line per change, as a push sends it;
3. the end: ``{"end": {"changes", "counts", "sha256", "signature"}}``: how many changes of
   each kind, the SHA-256 of every line before the end, and the laptop's Ed25519 signature
   over ``app.core.devices.transfer_statement`` of the person, the device and that hash.

The service checks the signature against the key it holds for that person's device, so a
file naming anyone else, from a device it does not know or changed after it was signed is
refused whole.

The file seals the content with a passphrase: ``ASPIRE-TRANSFER-2``, a header saying how
(key stretched with argon2id at the parameters written there, AES-256-GCM), then the content
in sealed chunks of at most 1 MiB, each with its length. Each chunk's nonce holds its number
and whether it is the last, so a chunk changed, moved, left out or cut off is refused. Sealing
and opening stream: memory holds a chunk at a time, never the whole file.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import secrets
import struct
import uuid
import zlib
from collections import Counter
from collections.abc import Callable, Container, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select

from app import __version__
from app.core import devices as device_rules
from app.core.atomic_files import atomic_write
from app.core.faults import written_fault
from app.db import models as m
from app.db.device_key import DeviceKey, device_key
from app.db.engine import Database
from app.db.keys import MIN_PASSPHRASE
from app.errors import UserFacingError, ValidationError
from app.sync.protocol import Change, WireError, change_from_wire, holds_half_characters

MAGIC = b"ASPIRE-TRANSFER-2\n"
OLD_MAGIC = b"ASPIRE-TRANSFER-1\n"
FORMAT = 2
#: The content is sealed in chunks of this many bytes (the last may be shorter).
CHUNK = 1024 * 1024
TAG_BYTES, SALT_BYTES, NONCE_PREFIX_BYTES = 16, 16, 7
#: The largest header, and the largest compressed content: a laptop with more to send
#: syncs over the network.
MOST_HEADER = 4096
MOST_CONTENT = 64 * 1024 * 1024
#: The content read back (after decompression) is refused beyond this, and any one line
#: beyond this (a framework's content is the longest record).
MOST_PLAIN = 1024 * 1024 * 1024
MOST_LINE = 8 * 1024 * 1024
#: Key stretching for a new file: argon2id with 64 MiB, 3 passes and 4 lanes (RFC 9106's
#: second recommendation, above OWASP's minimum of 19 MiB and 2 passes).
ARGON2_MEMORY_KIB, ARGON2_ITERATIONS, ARGON2_LANES = 64 * 1024, 3, 4
#: What a file's header may ask for: no weaker than OWASP's minimum (memory × passes), and
#: no more than a laptop can give.
LEAST_ARGON2_WORK = 19 * 1024 * 2
MOST_ARGON2_MEMORY_KIB, MOST_ARGON2_ITERATIONS, MOST_ARGON2_LANES = 256 * 1024, 10, 16
MOST_ARGON2_WORK = 4 * ARGON2_MEMORY_KIB * ARGON2_ITERATIONS
#: The most changes one file carries (a laptop with 1,000 fully answered cases has ~70,000).
MOST_FILE_CHANGES = 200_000
#: zxcvbn's score a passphrase must reach: 3, "safely unguessable" even when the file
#: itself is taken and guessed at offline.
LEAST_STRENGTH = 3
#: zxcvbn reads at most this much of a passphrase (its time grows with the length).
STRENGTH_READS = 100


class PackageError(UserFacingError):
    """A transfer file that cannot be used; nothing from it was applied."""


@dataclass(frozen=True)
class TransferHead:
    """What a transfer file says about itself, checked: who made it on which device, the
    changes it carries, and the hash its signature covers."""

    person: str
    device_id: uuid.UUID
    public_key: bytes
    created_at: str
    enrolment_code: str | None
    changes: int
    counts: dict[str, int]
    sha256: str

    @property
    def manifest(self) -> dict:
        return {"format": FORMAT, "person": self.person, "device_id": str(self.device_id),
                "created_at": self.created_at, "changes": self.changes,
                "counts": dict(self.counts), "sha256": self.sha256,
                "enrolment_code": self.enrolment_code is not None}


@dataclass(frozen=True)
class SealedPackage:
    """A transfer file written: its manifest, the SHA-256 of the file's bytes, the cases
    whose records it carries and the one inspection they belong to (None if several or
    none)."""

    manifest: dict
    sha256: str
    case_ids: tuple[uuid.UUID, ...]
    inspection_id: uuid.UUID | None


@dataclass(frozen=True)
class OpenedPackage:
    """A transfer file opened with its passphrase and checked whole; ``content`` reads its
    content again, chunk by chunk, as often as wanted."""

    path: Path
    head: TransferHead
    content: Callable[[], Iterator[bytes]]

    def content_bytes(self) -> bytes:
        """The whole content (compressed, at most ``MOST_CONTENT``), as sent to the service."""
        return b"".join(self.content())


@dataclass(frozen=True)
class PackageReport:
    path: str
    person: str
    changes: int
    applied: int
    conflicts: int
    refused: int
    #: the laptop was enrolled by the code in the file
    enrolled: bool = False
    #: why changes were refused (some of them), for the person who made the file
    refusals: tuple[str, ...] = ()
    #: changes the store had already, from this file or a sync, and kept as they were then
    applied_before: int = 0

    @property
    def told(self) -> str:
        """The report in a sentence."""
        if self.changes and self.applied_before == self.changes:
            return (f"Nothing new was applied: all {self.changes} change(s) in the file from "
                    f"{self.person} were applied before.")
        before = (f" ({self.applied_before} more were applied before)"
                  if self.applied_before else "")
        return (f"Applied {self.applied} of {self.changes} change(s) from {self.person}"
                f"{before}; {self.conflicts} conflict(s), {self.refused} refused.")


def package_report(path: str, answer: dict) -> PackageReport:
    """The central service's report on a transfer file it applied."""
    def number(key: str) -> int:
        value = answer.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else 0

    refusals = answer.get("refusals")
    return PackageReport(path, str(answer.get("person") or ""), number("changes"),
                         number("applied"), number("conflicts"), number("refused"),
                         answer.get("enrolled") is True,
                         tuple(str(r) for r in refusals) if isinstance(refusals, list)
                         else (), applied_before=number("applied_before"))


# -- passphrases ------------------------------------------------------------------------

def passphrase_problem(passphrase: str, hints: Iterable[str] = ()) -> ValidationError | None:
    """Why ``passphrase`` is too weak for a transfer file (too short, or easy to guess by
    zxcvbn's estimate, which also knows ``hints``: the person's login and name, say), or
    None."""
    if len(passphrase or "") < MIN_PASSPHRASE:
        return ValidationError("The passphrase is too short.",
                               f"Use at least {MIN_PASSPHRASE} characters: three or four "
                               "unrelated words are easy to type and hard to guess.")
    from zxcvbn import zxcvbn  # only when a passphrase is set: its word lists take 30 ms

    words = [h for hint in hints for h in (hint, *hint.replace(".", " ").split()) if h]
    result = zxcvbn(passphrase[:STRENGTH_READS], user_inputs=[
        *words, "aspire", "casework", "probation", "inspection", "inspectorate"])
    if result["score"] >= LEAST_STRENGTH:
        return None
    feedback = result.get("feedback") or {}
    warning = str(feedback.get("warning") or "").rstrip(".")
    suggestions = " ".join(str(s) for s in feedback.get("suggestions") or ())
    return ValidationError(
        "The passphrase is too easy to guess" + (f": {warning.lower()}." if warning else "."),
        (suggestions + " " if suggestions else "") + "Three or four unrelated words make a "
        "strong passphrase; give it to the office separately from the file.")


# -- sealing, on the laptop ---------------------------------------------------------------

def seal_package(db: Database, path: Path, passphrase: str, *,
                 enrolment_code: str | None = None,
                 hints: Iterable[str] = ()) -> SealedPackage:
    """Seal every change not yet acknowledged into ``path``, signed with this laptop's
    device key. ``enrolment_code``: one an administrator issued, for a laptop the service
    does not know yet."""
    problem = passphrase_problem(passphrase, [db.user, *hints])
    if problem is not None:
        raise problem
    if enrolment_code is not None and device_rules.normalised_code(enrolment_code) is None:
        raise ValidationError("The enrolment code is not one an administrator issues.",
                              "It has 16 letters and digits, like ABCD-EFGH-JKMN-PQRS.")
    key = device_key(db)
    path = Path(path)
    try:
        with atomic_write(path) as partial:
            sealer = _Sealer(partial.file, passphrase)
            scope = _Scope()
            head = _write_content(sealer, db, key, scope, enrolment_code)
            sealer.close()
    except OSError as exc:
        raise PackageError(*written_fault("The transfer file", path, exc,
                                          "write the transfer file again")) from exc
    with path.open("rb") as handle:
        sha256 = hashlib.file_digest(handle, "sha256").hexdigest()
    case_ids, inspection_id = scope.resolve(db)
    return SealedPackage(head.manifest, sha256, case_ids, inspection_id)


class _Sealer:
    """Writes the sealed file: the header, then the compressed content in sealed chunks."""

    def __init__(self, handle, passphrase: str):
        salt = secrets.token_bytes(SALT_BYTES)
        self._prefix = secrets.token_bytes(NONCE_PREFIX_BYTES)
        header = json.dumps({
            "kdf": {"name": "argon2id", "version": 19, "memory_kib": ARGON2_MEMORY_KIB,
                    "iterations": ARGON2_ITERATIONS, "lanes": ARGON2_LANES,
                    "salt": _b64(salt)},
            "cipher": "AES-256-GCM", "chunk": CHUNK, "nonce_prefix": _b64(self._prefix),
            "compression": "deflate"}, sort_keys=True).encode()
        self._aad = MAGIC + header
        self._aead = _aead(_stretch(passphrase, salt, ARGON2_MEMORY_KIB, ARGON2_ITERATIONS,
                                    ARGON2_LANES))
        self._handle = handle
        self._deflate = zlib.compressobj(6)
        self._buffer = bytearray()
        self._number = 0
        self.size = 0  # compressed content so far
        handle.write(MAGIC + struct.pack(">H", len(header)) + header)

    def write(self, data: bytes) -> None:
        self._take(self._deflate.compress(data))

    def close(self) -> None:
        self._take(self._deflate.flush())
        self._seal(bytes(self._buffer), last=True)

    def _take(self, compressed: bytes) -> None:
        self.size += len(compressed)
        if self.size > MOST_CONTENT:
            raise PackageError(
                "This laptop has more unsent work than one transfer file holds "
                f"({MOST_CONTENT // (1024 * 1024)} MiB compressed).",
                "Sync over the network from an office, or ask your administrator.")
        self._buffer += compressed
        while len(self._buffer) > CHUNK:  # the last chunk is sealed by close()
            self._seal(bytes(self._buffer[:CHUNK]), last=False)
            del self._buffer[:CHUNK]

    def _seal(self, chunk: bytes, *, last: bool) -> None:
        sealed = self._aead.encrypt(_nonce(self._prefix, self._number, last), chunk, self._aad)
        self._handle.write(struct.pack(">I", len(sealed)) + sealed)
        self._number += 1


def _write_content(sealer: _Sealer, db: Database, key: DeviceKey, scope: _Scope,
                   enrolment_code: str | None) -> TransferHead:
    digest = hashlib.sha256()

    def line(item: str) -> None:
        data = item.encode("utf-8") + b"\n"
        digest.update(data)
        sealer.write(data)

    head = {"format": FORMAT, "person": db.user, "device_id": str(key.device_id),
            "public_key": key.public_key_text,
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "app": __version__}
    if enrolment_code is not None:
        head["enrolment_code"] = device_rules.normalised_code(enrolment_code)
    line(json.dumps(head))
    counts: Counter[str] = Counter()
    for change_id, entity, entity_id, op, base_rev, payload in _outbox(db):
        record = _record(payload)
        # written anew, on one line; damaged here: the service refuses this change alone
        payload = "null" if record is None else json.dumps(record)
        line(f'{{"change_id":"{change_id}","entity":{json.dumps(entity)},'
             f'"entity_id":"{entity_id}","op":{json.dumps(op)},"base_rev":{int(base_rev)},'
             f'"payload":{payload}}}')
        counts[entity] += 1
        scope.note(entity, record)
    sha256 = digest.hexdigest()
    signature = key.sign(device_rules.transfer_statement(db.user, key.device_id, sha256))
    end = {"changes": sum(counts.values()), "counts": dict(counts), "sha256": sha256,
           "signature": _b64(signature)}
    sealer.write(json.dumps({"end": end}).encode() + b"\n")
    return TransferHead(db.user, key.device_id, key.public_key, head["created_at"],
                        head.get("enrolment_code"), end["changes"], dict(counts), sha256)


#: the outbox, a page at a time, as stored (ids as hex text, the payload as JSON text)
_OUTBOX_PAGE = ("SELECT seq, change_id, entity, entity_id, op, base_rev, payload FROM outbox "
                "WHERE seq > ? ORDER BY seq LIMIT ?")


def _outbox(db: Database) -> Iterator[tuple[uuid.UUID, str, uuid.UUID, str, int, str]]:
    after = 0
    while True:
        with db.read() as session:
            rows = session.connection().exec_driver_sql(_OUTBOX_PAGE, (after, 2000)).all()
        if not rows:
            return
        for seq, change_id, entity, entity_id, op, base_rev, payload in rows:
            yield uuid.UUID(change_id), entity, uuid.UUID(entity_id), op, base_rev, payload
            after = seq


def _record(payload: str) -> dict | None:
    """The outbox's payload, if it is a record in strict JSON."""
    try:
        record = json.loads(payload, parse_constant=_not_json)
    except (ValueError, TypeError, RecursionError):
        return None
    return record if isinstance(record, dict) else None


def _not_json(word: str) -> object:
    raise ValueError(word)


#: columns naming the case, inspection or sample a record belongs to
_SCOPE_COLUMNS = {"case_id": "cases", "other_case_id": "cases", "inspection_id": "inspections",
                  "sample_id": "samples"}


def _an_id(value: object) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return value is not None


class _Scope:
    """The cases whose records the changes carry, and the inspections and samples they
    name, gathered as the changes are written."""

    def __init__(self):
        self.found: dict[str, set[str]] = {"cases": set(), "inspections": set(),
                                           "samples": set()}

    def note(self, entity: str, payload: dict | None) -> None:
        if entity == m.ExportLogEntry.__tablename__ or payload is None:
            return  # an entry names cases but carries none of their records
        if entity in self.found and _an_id(payload.get("id")):
            self.found[entity].add(str(payload["id"]))
        for column, table in _SCOPE_COLUMNS.items():
            if _an_id(payload.get(column)):
                self.found[table].add(str(payload[column]))

    def resolve(self, db: Database) -> tuple[tuple[uuid.UUID, ...], uuid.UUID | None]:
        """The cases, and the single inspection every change belongs to (None when they
        span several, or none)."""
        cases = sorted(uuid.UUID(c) for c in self.found["cases"])
        inspections = {uuid.UUID(i) for i in self.found["inspections"]}
        samples = [uuid.UUID(s) for s in self.found["samples"]]
        with db.read() as session:
            for model, ids in ((m.Case, cases), (m.Sample, samples)):
                for start in range(0, len(ids), 500):
                    inspections.update(session.scalars(select(model.inspection_id).where(
                        model.id.in_(ids[start:start + 500]))))
        return tuple(cases), (inspections.pop() if len(inspections) == 1 else None)


# -- opening, at the office ----------------------------------------------------------------

def open_package(path: Path, passphrase: str) -> OpenedPackage:
    """Open a transfer file with its passphrase and check it whole (every chunk, the
    content's signature and counts); refused whole, naming why, if anything is wrong."""
    path = Path(path)
    name = path.name
    try:
        with path.open("rb") as handle:
            header = _read_header(handle, name)
            offset = handle.tell()
    except OSError as exc:
        raise PackageError(f"The transfer file {path} cannot be read: {exc.strerror}.",
                           "Check the file name and that the USB stick is still in.") from exc
    kdf = header["kdf"]
    aead = _aead(_stretch(passphrase, kdf["salt"], kdf["memory_kib"], kdf["iterations"],
                          kdf["lanes"]))

    def content() -> Iterator[bytes]:
        try:
            with path.open("rb") as handle:
                handle.seek(offset)
                yield from _unsealed(handle, aead, header, name)
        except OSError as exc:
            raise PackageError(f"The transfer file {path} cannot be read: {exc.strerror}.",
                               "Check that the USB stick is still in.") from exc

    head = check_content(content, name)
    return OpenedPackage(path, head, content)


def _read_header(handle, name: str) -> dict:
    start = handle.read(len(MAGIC))
    if start == OLD_MAGIC:
        raise PackageError(
            f"{name} was written by an earlier version of ASPIRE Casework and is not signed "
            "by its laptop, so the central store cannot take it.",
            "Update ASPIRE Casework on the laptop and export the transfer file again.")
    not_ours = PackageError(f"{name} is not an ASPIRE Casework transfer file.",
                            "Choose the file written by 'Export transfer file' on the laptop.")
    if start != MAGIC:
        raise not_ours
    size = handle.read(2)
    if len(size) != 2 or not 0 < struct.unpack(">H", size)[0] <= MOST_HEADER:
        raise not_ours
    raw = handle.read(struct.unpack(">H", size)[0])
    try:
        header = json.loads(raw, parse_constant=_not_json)
        kdf = header["kdf"]
        settings = {"name": kdf["name"], "version": kdf["version"],
                    "memory_kib": _whole(kdf["memory_kib"]),
                    "iterations": _whole(kdf["iterations"]), "lanes": _whole(kdf["lanes"]),
                    "salt": base64.b64decode(kdf["salt"], validate=True)}
        prefix = base64.b64decode(header["nonce_prefix"], validate=True)
        layout = (header["cipher"], header["chunk"], header["compression"])
    except (ValueError, KeyError, TypeError, binascii.Error, OverflowError, RecursionError):
        raise not_ours from None
    if layout != ("AES-256-GCM", CHUNK, "deflate") or len(prefix) != NONCE_PREFIX_BYTES \
            or settings["name"] != "argon2id" or settings["version"] != 19 \
            or len(settings["salt"]) != SALT_BYTES:
        raise PackageError(f"{name} is sealed in a way this version of ASPIRE Casework "
                           "does not know.", "Update ASPIRE Casework here, or export the "
                           "file again on the laptop.")
    work = settings["memory_kib"] * settings["iterations"]
    if not (LEAST_ARGON2_WORK <= work <= MOST_ARGON2_WORK
            and 8 * settings["lanes"] <= settings["memory_kib"] <= MOST_ARGON2_MEMORY_KIB
            and 1 <= settings["iterations"] <= MOST_ARGON2_ITERATIONS
            and 1 <= settings["lanes"] <= MOST_ARGON2_LANES):
        raise PackageError(
            f"{name} asks for key stretching outside what is accepted (argon2id with "
            f"{settings['memory_kib']:,} KiB, {settings['iterations']} passes, "
            f"{settings['lanes']} lanes); nothing from it was applied.",
            "Export the file again on the laptop with ASPIRE Casework.")
    return {"kdf": settings, "prefix": prefix, "aad": MAGIC + raw}


def _whole(value: object) -> int:
    if type(value) is not int:
        raise TypeError("not a whole number")
    return value


def _unsealed(handle, aead, header: dict, name: str) -> Iterator[bytes]:
    """The content, a chunk at a time, each checked as it is read."""
    damaged = PackageError(
        f"{name} cannot be opened: the passphrase is wrong or the file has been changed, "
        "cut short or damaged. Nothing from it was applied.",
        "Check the passphrase with the inspector; if it is right, export the file again "
        "on the laptop.")
    number, total = 0, 0
    size = handle.read(4)
    while True:
        if len(size) != 4:
            raise damaged
        length = struct.unpack(">I", size)[0]
        if not TAG_BYTES <= length <= CHUNK + TAG_BYTES:
            raise damaged
        sealed = handle.read(length)
        if len(sealed) != length:
            raise damaged
        size = handle.read(4)
        last = not size
        try:
            chunk = aead.decrypt(_nonce(header["prefix"], number, last), sealed, header["aad"])
        except InvalidTag:
            raise damaged from None
        total += len(chunk)
        if total > MOST_CONTENT:
            raise PackageError(f"{name} holds more than a transfer file may.",
                               "Export the file again on the laptop.")
        yield chunk
        if last:
            return
        number += 1


# -- the content, read wherever it arrives ------------------------------------------------

def check_content(content: Callable[[], Iterable[bytes]], name: str = "The transfer file",
                  *, kinds: Container[str] | None = None,
                  on_head: Callable[[str], None] | None = None) -> TransferHead:
    """Read the content through once and check it whole: its head, every change's form,
    the counts, the hash and the signature by the key it names. Nothing is kept but the
    head and the change ids (each may come once). ``kinds``: the kinds of record a change
    may be to; ``on_head(person)``: called once the head is read, before the rest (to
    refuse early whoever may not bring the file). Raises ``PackageError`` naming the first
    problem."""
    digest = hashlib.sha256()
    lines = _lines(content(), name)
    first = next(lines, None)
    if first is None:
        raise _malformed(name, "it is empty")
    digest.update(first)
    head = _head(_json_line(first, name, 1), name)
    if on_head is not None:
        on_head(head["person"])
    counts: Counter[str] = Counter()
    seen: set[bytes] = set()  # the change ids, as their 16 bytes
    end = None
    for number, line in enumerate(lines, 2):
        item = _json_line(line, name, number)
        if end is not None:
            raise _malformed(name, "something follows its end")
        if list(item) == ["end"]:
            end = item["end"]
            continue
        change = _change(item, name, number)
        if kinds is not None and change.entity not in kinds:
            raise _malformed(name, f"line {number} changes '{change.entity[:60]}', which "
                                   "is not a kind of record")
        if change.change_id.bytes in seen:
            raise _malformed(name, f"line {number} holds a change it holds already")
        if len(seen) == MOST_FILE_CHANGES:
            raise _malformed(name, f"it holds more than {MOST_FILE_CHANGES:,} changes")
        seen.add(change.change_id.bytes)
        counts[change.entity] += 1
        digest.update(line)
    if not isinstance(end, dict):
        raise _malformed(name, "it has no end, so it may have been cut short")
    sha256 = digest.hexdigest()
    signature = end.get("signature")
    if type(end.get("changes")) is not int or end["changes"] != sum(counts.values()) \
            or end.get("counts") != dict(counts) \
            or end.get("sha256") != sha256 or not isinstance(signature, str):
        raise _malformed(name, "its changes do not match its own count and hash")
    try:
        Ed25519PublicKey.from_public_bytes(head["public_key"]).verify(
            base64.b64decode(signature, validate=True),
            device_rules.transfer_statement(head["person"], head["device_id"], sha256))
    except (InvalidSignature, ValueError, binascii.Error):
        raise PackageError(f"{name} is not signed by the laptop it names: it has been "
                           "changed since it was made. Nothing from it was applied.",
                           "Export the file again on the laptop.") from None
    return TransferHead(head["person"], head["device_id"], head["public_key"],
                        head["created_at"], head["enrolment_code"], sum(counts.values()),
                        dict(counts), sha256)


def content_changes(content: Callable[[], Iterable[bytes]], head: TransferHead,
                    name: str = "The transfer file") -> Iterator[Change]:
    """The changes of content already checked by ``check_content``, in order. Read again:
    if the content is not the one checked, ``PackageError`` at the end says so."""
    digest = hashlib.sha256()
    for number, line in enumerate(_lines(content(), name), 1):
        item = _json_line(line, name, number)
        if number == 1:
            digest.update(line)
            continue
        if list(item) == ["end"]:
            break
        digest.update(line)
        yield _change(item, name, number)
    if digest.hexdigest() != head.sha256:
        raise _malformed(name, "it changed while it was being read")


def _lines(pieces: Iterable[bytes], name: str) -> Iterator[bytes]:
    """The content's lines (each with its newline), inflated a bounded piece at a time."""
    inflate = zlib.decompressobj()
    pending = bytearray()
    total = 0
    try:
        for piece in pieces:
            data = piece
            while data:
                out = inflate.decompress(data, CHUNK)
                data = inflate.unconsumed_tail
                total += len(out)
                if total > MOST_PLAIN:
                    raise PackageError(f"{name} unpacks to more than a transfer file may "
                                       f"({MOST_PLAIN // 1024 ** 3} GiB); nothing from it "
                                       "was applied.", "Export the file again on the laptop.")
                pending += out
                start = 0
                while (stop := pending.find(b"\n", start)) >= 0:
                    if stop - start >= MOST_LINE:
                        raise _malformed(name, f"a line is longer than {MOST_LINE:,} bytes")
                    yield bytes(pending[start:stop + 1])
                    start = stop + 1
                del pending[:start]
                if len(pending) > MOST_LINE:
                    raise _malformed(name, f"a line is longer than {MOST_LINE:,} bytes")
        if not inflate.eof or inflate.unused_data or inflate.flush():
            raise _malformed(name, "its content is cut short or has something after it")
    except zlib.error:
        raise _malformed(name, "its content does not unpack") from None
    if pending:
        raise _malformed(name, "its last line is cut short")


def _json_line(line: bytes, name: str, number: int) -> dict:
    try:
        item = json.loads(line, parse_constant=_not_json)
    except (ValueError, RecursionError):
        raise _malformed(name, f"line {number} is not JSON") from None
    if not isinstance(item, dict):
        raise _malformed(name, f"line {number} is not a JSON object")
    if holds_half_characters(line, item):
        raise _malformed(name, f"line {number} holds half a character (a surrogate without "
                               "its pair), which is not text")
    return item


def _head(item: dict, name: str) -> dict:
    if type(item.get("format")) is not type(FORMAT) or item["format"] != FORMAT:
        raise _malformed(name, "its content is not of the format this version reads")
    person, code = item.get("person"), item.get("enrolment_code")
    try:
        device_id = uuid.UUID(str(item.get("device_id")))
        public_key = base64.b64decode(str(item.get("public_key")), validate=True)
    except (ValueError, binascii.Error):
        raise _malformed(name, "its head does not name a device and its key") from None
    if not isinstance(person, str) or not person or len(person) > 120 \
            or not person.isprintable() \
            or len(public_key) != device_rules.PUBLIC_KEY_BYTES \
            or not isinstance(item.get("created_at"), str) or len(item["created_at"]) > 40 \
            or (code is not None and (not isinstance(code, str)
                                      or device_rules.normalised_code(code) is None)):
        raise _malformed(name, "its head does not say who made it, on which laptop")
    return {"person": person, "device_id": device_id, "public_key": public_key,
            "created_at": item["created_at"], "enrolment_code": code}


def _change(item: dict, name: str, number: int) -> Change:
    """A change as a transfer file carries it: as a push sends it."""
    try:
        return change_from_wire(item, number - 1)
    except WireError:
        raise _malformed(name, f"line {number} is not a change") from None


def _malformed(name: str, why: str) -> PackageError:
    return PackageError(f"{name} is not a transfer file this version can apply: {why}. "
                        "Nothing from it was applied.", "Export the file again on the laptop.")


# -- sealing itself ----------------------------------------------------------------------

def _stretch(passphrase: str, salt: bytes, memory_kib: int, iterations: int,
             lanes: int) -> bytes:
    # a passphrase from the environment whose bytes are not UTF-8 keeps its bytes
    return hash_secret_raw(passphrase.encode("utf-8", "surrogateescape"), salt,
                           time_cost=iterations,
                           memory_cost=memory_kib, parallelism=lanes, hash_len=32,
                           type=Type.ID)


def _aead(key: bytes) -> AESGCM:
    return AESGCM(key)


def _nonce(prefix: bytes, number: int, last: bool) -> bytes:
    """A chunk's nonce: the file's random prefix, the chunk's number, whether it is last."""
    return prefix + struct.pack(">I", number) + (b"\x01" if last else b"\x00")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
