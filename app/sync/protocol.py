"""What travels between a laptop and the central store."""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import uuid
from dataclasses import dataclass, field

import orjson

#: The version of the sync protocol a laptop and the service speak (the service says its own
#: at ``/version``, and a laptop speaking another refuses to sync). 3: an inspection joined
#: is fetched as its own rows, then its cases' rows a page at a time. 4: a laptop sends a
#: push while the one before is on its way, naming a change of that one (``after``); the
#: service applies it only after that one (a service of version 3 could apply it first).
#: 5: an inspection's record holds what pooling reads (year, organisation type, region,
#: sample design, the inspection it re-inspects), which a service of version 4 cannot keep.
#: 6: an inspection's record holds the ratings its lead inspector recorded.
PROTOCOL_VERSION = 6
#: Cases whose rows are asked for at once (the service answers at most ``MOST_CASES``).
CASES_AT_ONCE = 100
MOST_CASES = 1000

APPLIED, CONFLICT, REFUSED = "applied", "conflict", "refused"
#: a pulled change this laptop could not apply, kept aside (a local record only)
SET_ASIDE = "set aside"


#: a payload given as strict JSON text, whose keys are read from it only if asked for
KEYS_WHEN_ASKED: str = "(read when asked)"


class Change:
    """One local change from the outbox.

    Its payload may come as the JSON text the outbox holds (``text``), with its keys
    (``keys``, or ``KEYS_WHEN_ASKED`` to read them from the text only if something asks):
    it is then read only if something asks for it, since most changes travel to the
    central store without being read on the way."""

    __slots__ = ("_keys", "_payload", "_text", "_wire", "base_rev", "change_id",
                 "device_id", "entity", "entity_id", "op", "rev")

    def __init__(self, change_id: uuid.UUID, entity: str, entity_id: uuid.UUID, op: str,
                 base_rev: int, rev: int, payload: dict | None = None,
                 device_id: uuid.UUID | None = None, *, text: str | None = None,
                 keys: str | None = None, wire: str | None = None):
        if payload is None and text is None:
            raise ValueError("a change needs its payload, as a dict or as JSON text")
        self.change_id, self.entity, self.entity_id, self.op = change_id, entity, entity_id, op
        self.base_rev, self.rev, self.device_id = base_rev, rev, device_id
        self._payload, self._text = payload, text
        self._keys = ",".join(payload) if payload is not None else keys
        #: the change as a push sends it (``change_text``), where the outbox wrote it
        self._wire = wire

    @property
    def payload(self) -> dict:
        if self._payload is None:
            self._payload = json.loads(self._text)
        return self._payload

    @property
    def keys(self) -> str | None:
        """The payload's keys, in order, comma-separated (None: not strict JSON)."""
        if self._keys is KEYS_WHEN_ASKED:
            self._keys = ",".join(self.payload)
        return self._keys

    def rewritten(self) -> None:
        """The payload (read, then changed in place) is what travels from now on."""
        self._text = self._wire = None
        self._keys = ",".join(self.payload)

    @property
    def text(self) -> str:
        """The payload as JSON text."""
        if self._text is None:
            self._text = json_text(self._payload)
        return self._text

    def __repr__(self) -> str:
        return (f"Change({self.op} {self.entity} {self.entity_id}, base_rev={self.base_rev}, "
                f"change_id={self.change_id})")


@dataclass(slots=True)  # not frozen: made by the thousand per batch, frozen costs four times
class Outcome:
    """What the central store did with a change; the same whenever the change is re-sent."""

    change_id: uuid.UUID
    entity: str
    entity_id: uuid.UUID
    status: str  # applied, conflict or refused
    rev: int | None = None
    detail: str = ""
    base: dict | None = None
    theirs: dict | None = None
    theirs_by: str = ""
    theirs_at: dt.datetime | None = None


@dataclass(frozen=True)
class PulledChange:
    seq: int
    entity: str
    entity_id: uuid.UUID
    rev: int
    payload: dict = field(repr=False)
    changed_by: str = ""


def json_text(value: object) -> str:
    """``value`` as JSON text that reads back as ``value``, as ``json.dumps`` writes it but
    about ten times faster. What only Python's JSON can write (NaN or an infinity, which
    the store refuses, a whole number beyond 64 bits, text that is not Unicode) is left to
    ``json.dumps``, so it is written exactly as before."""
    if _finite(value):
        try:
            return orjson.dumps(value).decode()
        except orjson.JSONEncodeError:
            pass
    return json.dumps(value)


def _finite(value: object) -> bool:
    """Whether ``value`` holds no NaN or infinity (orjson would write them as null)."""
    kind = type(value)
    if kind is float:
        return value - value == 0  # NaN and the infinities give NaN
    if kind is dict:
        values = value.values()
    elif kind is list:
        values = value
    else:
        return True
    for held in values:
        kind = type(held)
        if (kind is float or kind is dict or kind is list) and not _finite(held):
            return False
    return True


# -- on the wire between a laptop and the central service (JSON) ---------------------------

class WireError(ValueError):
    """Something sent that is not what the protocol says (named, for the answer)."""


def change_text(change: Change) -> str:
    """A change as JSON text; its payload goes as the JSON text the outbox holds. The
    author is not sent: the service stamps it, with the device of the session."""
    if change._wire is not None:
        return change._wire  # written so by the outbox's own query
    return (f'{{"change_id":"{change.change_id}","entity":{_quoted(change.entity)},'
            f'"entity_id":"{change.entity_id}","op":{_quoted(change.op)},'
            f'"base_rev":{int(change.base_rev)},"payload":{change.text}}}')


@functools.lru_cache(maxsize=64)
def _quoted(name: str) -> str:
    """A kind of record or of change as JSON text (the same few, thousands of times)."""
    return json.dumps(name)


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def holds_half_characters(raw: bytes | bytearray, parsed: object) -> bool:
    """Whether the JSON text ``raw`` (read as ``parsed``) holds half a character: an
    escaped surrogate without its pair, which Python reads but no text can hold (it cannot
    be stored, written or even printed). Looked for only where ``raw`` escapes a surrogate."""
    if _SURROGATE_ESCAPE.search(raw) is None:
        return False
    waiting = [parsed]
    while waiting:
        value = waiting.pop()
        if isinstance(value, str):
            if not value.isascii():
                try:
                    value.encode("utf-8")
                except UnicodeEncodeError:
                    return True
        elif isinstance(value, dict):
            waiting += value.keys()
            waiting += value.values()
        elif isinstance(value, list):
            waiting += value
    return False


def as_text(words: str) -> str:
    """``words`` as text that can be stored and sent: half a character (quoted from what a
    client sent) written out as its escape."""
    try:
        words.encode("utf-8")
    except UnicodeEncodeError:
        return words.encode("utf-8", "backslashreplace").decode("utf-8")
    return words


def change_from_wire(item: object, n: int) -> Change:
    """A change sent to the service (the ``n``-th of its push)."""
    if not isinstance(item, dict):
        raise WireError(f"change {n} is not a JSON object")
    try:
        change_id = uuid.UUID(str(item["change_id"]))
        entity_id = uuid.UUID(str(item["entity_id"]))
    except (KeyError, ValueError):
        raise WireError(f"change {n} has no change_id or entity_id that is an id") from None
    entity, op, base_rev = item.get("entity"), item.get("op"), item.get("base_rev")
    if not isinstance(entity, str) or not isinstance(op, str):
        raise WireError(f"change {n} does not say what it changes")
    if not isinstance(base_rev, int) or isinstance(base_rev, bool) or not 0 <= base_rev < 2**31:
        raise WireError(f"change {n} has no base_rev that is a revision")
    payload = item.get("payload")
    if payload is None:  # a record damaged on the laptop: the store refuses this change alone
        return Change(change_id, entity, entity_id, op, base_rev, base_rev + 1,
                      text="null", keys="")
    if not isinstance(payload, dict):
        raise WireError(f"change {n} has no payload that is a record")
    return Change(change_id, entity, entity_id, op, base_rev, base_rev + 1, payload)


#: why the service did not apply a push: it follows one it has not applied yet (409)
PUSHED_TOO_SOON = "pushed too soon"


def after_from_wire(value: object) -> uuid.UUID | None:
    """The change a push says it follows (``after``), if it names one."""
    if value is None:
        return None
    try:
        if isinstance(value, str):
            return uuid.UUID(value)
    except ValueError:
        pass
    raise WireError("its 'after' is not a change id")


def outcomes_text(outcomes: list[Outcome]) -> bytes:
    """The answer to a push, ``{"outcomes": [...]}``, as JSON (UTF-8), as the service's
    ``JSONResponse`` wrote it (orjson writes it faster where it can)."""
    answer = {"outcomes": [outcome_to_wire(o) for o in outcomes]}
    if all(_finite(o.base) and _finite(o.theirs) for o in outcomes):
        try:
            return orjson.dumps(answer)
        except orjson.JSONEncodeError:
            pass
    return json.dumps(answer, ensure_ascii=False, allow_nan=False,
                      separators=(",", ":")).encode("utf-8")


def outcome_to_wire(outcome: Outcome) -> dict:
    return {"change_id": str(outcome.change_id), "status": outcome.status,
            "rev": outcome.rev, "detail": outcome.detail, "base": outcome.base,
            "theirs": outcome.theirs, "theirs_by": outcome.theirs_by,
            "theirs_at": None if outcome.theirs_at is None else outcome.theirs_at.isoformat()}


def outcome_from_wire(item: dict, change: Change) -> Outcome:
    """The service's answer about ``change``."""
    if str(item.get("change_id")) != str(change.change_id):
        raise WireError("the central service answered about another change")
    status = item.get("status")
    if status not in (APPLIED, CONFLICT, REFUSED):
        raise WireError(f"the central service gave an unknown outcome '{status}'")
    at = item.get("theirs_at")
    return Outcome(change.change_id, change.entity, change.entity_id, status,
                   rev=item.get("rev"), detail=str(item.get("detail") or ""),
                   base=_record_or_none(item.get("base")),
                   theirs=_record_or_none(item.get("theirs")),
                   theirs_by=str(item.get("theirs_by") or ""),
                   theirs_at=dt.datetime.fromisoformat(at) if isinstance(at, str) else None)


def _record_or_none(value: object) -> dict | None:
    return value if isinstance(value, dict) else None
