"""The central store as one signed-in person uses it through the central service.

Each request of theirs is one transaction that runs in their own database role
(``SET LOCAL ROLE``), a role no one can log in with: the store's grants and row-level security
stay a second wall behind the service's own checks. Before anything is written, every change
is judged by ``app.core.change_rules`` against what the store holds, read as the service
(which sees every inspection): who the person is on the record's team, and where the case and
the inspection stand. The author and device of every change are the person and the device of
their session, whatever the change says.
"""

from __future__ import annotations

import contextlib
import hashlib
import uuid
from collections.abc import Iterable, Iterator, Mapping

from sqlalchemy import (
    Connection,
    Engine,
    Table,
    text,
)
from sqlalchemy import exc as sa_exc

from app.db.bookkeeping import row_values_to_payload
from app.errors import UserFacingError
from app.sync import fields
from app.sync.apply import refused
from app.sync.batch import apply_batch, record_outcomes
from app.sync.judge import Judge, Person, PublishedFramework, refused_because
from app.sync.protocol import REFUSED, Change, Outcome, as_text

#: At most this many changes in one push, and this many pulled in one page.
MOST_CHANGES = 2000
MOST_PULLED = 5000


#: The device stamped on changes from a session that did not prove its device.
NO_DEVICE = uuid.UUID(int=0)


#: The advisory lock space of pushes, one lock per person (``_lock_key``).
_PUSH_LOCKS = 0x41535052
#: PostgreSQL's word for a lock waited for longer than ``lock_timeout``
_LOCK_NOT_AVAILABLE = "55P03"


def _lock_key(login: str) -> int:
    return int.from_bytes(hashlib.sha256(login.encode()).digest()[:4], "big", signed=True)


class Busy(UserFacingError):
    """Another push of the same person's is being applied, and has been for longer than a
    push waits for it (the service's ``lock_timeout``)."""

    retry_after = 5

    def __init__(self):
        super().__init__("Another sync or transfer file of yours is being applied just now.",
                         f"Try again in {self.retry_after} seconds.")


class PushedTooSoon(UserFacingError):
    """A push that follows another of the same sync arrived before that one was applied (the
    two travel side by side, and the later one overtook the earlier)."""

    def __init__(self):
        super().__init__("This push follows another of the same sync that the store has not "
                         "applied yet.",
                         "Send it again once the answer to that push has come back.")


class PersonAtStore:
    """What one signed-in person may do at the central store: push changes, read changes
    after a point, and fetch whole inspections and cases, all as far as they may."""

    def __init__(self, engine: Engine, person: Person,
                 published_frameworks: Mapping[str, PublishedFramework] | None = None):
        self._engine = engine
        self.person = person
        #: the frameworks the service publishes, by the hash of their content
        self._published = published_frameworks or {}

    @contextlib.contextmanager
    def _as_person(self) -> Iterator[Connection]:
        with self._engine.begin() as conn:
            role = conn.dialect.identifier_preparer.quote(self.person.login)
            conn.execute(text(f"SET LOCAL ROLE {role}"))
            yield conn

    # -- push ---------------------------------------------------------------------------
    def push(self, changes: list[Change], after: uuid.UUID | None = None) -> list[Outcome]:
        """The outcome of each change, in order: the rules first, then the store's own
        apply step for those allowed, in one transaction. ``after``: a change of the push
        this one follows (sent while that one was on its way); if the store holds no outcome
        of it yet, this push is not applied (``PushedTooSoon``). The changes are stamped with
        the session's device and looked over for malformed ones before the push waits its
        turn: that needs nothing from the store."""
        malformed = _looked_over(changes, self.person.device_id or NO_DEVICE)
        return self.push_all([changes], after=after, malformed=malformed)

    def push_all(self, batches: Iterable[list[Change]], *,
                 record_refusals: bool = True,
                 sent_before: set[uuid.UUID] | None = None,
                 after: uuid.UUID | None = None,
                 malformed: dict[uuid.UUID, str] | None = None) -> list[Outcome]:
        """Push the batches one after another in one transaction (a transfer file: applied
        whole or not at all), a record held back in one batch staying held in the next.
        ``record_refusals``: keep the rules' refusals as the changes' outcomes (a network
        push: the laptop is told, and a re-send gets the same answer); a transfer file's
        are judged again when it is brought again (the person may have joined the team
        meanwhile). One push of a person's runs at a time: another waits for it, and is
        ``Busy`` if it waits longer than the service's ``lock_timeout``. ``sent_before`` is
        given the ids of the changes the store had already (their outcomes are those they had
        then). ``after``: as for ``push``. ``malformed``: the batches are stamped and looked
        over already, and these of their changes are malformed (``_looked_over``)."""
        outcomes: list[Outcome] = []
        held: dict[uuid.UUID, Outcome] = {}
        refused_so_far: dict[uuid.UUID, str] = {}
        with self._engine.begin() as conn:
            try:
                conn.execute(text("SELECT pg_advisory_xact_lock(:space, :key)"),
                             {"space": _PUSH_LOCKS, "key": _lock_key(self.person.login)})
            except sa_exc.OperationalError as exc:
                if getattr(exc.orig, "sqlstate", None) == _LOCK_NOT_AVAILABLE:
                    raise Busy() from None
                raise
            # (only a change of the person's own counts: no one learns of others' changes)
            if after is not None and not conn.scalar(text(
                    "SELECT EXISTS (SELECT 1 FROM central_changes WHERE change_id = :a "
                    "AND changed_by = :p) OR EXISTS (SELECT 1 FROM applied_changes "
                    "WHERE change_id = :a AND applied_by = :p)"),
                    {"a": after, "p": self.person.login}):
                raise PushedTooSoon()
            for changes in batches:
                outcomes += self._push(conn, changes, held, refused_so_far, record_refusals,
                                       sent_before, malformed)
        return outcomes

    def _push(self, conn: Connection, changes: list[Change], held: dict[uuid.UUID, Outcome],
              refused_so_far: dict[uuid.UUID, str], record_refusals: bool,
              sent_before: set[uuid.UUID] | None = None,
              malformed: dict[uuid.UUID, str] | None = None) -> list[Outcome]:
        if malformed is None:
            malformed = _looked_over(changes, self.person.device_id or NO_DEVICE)
        conn.execute(text("RESET ROLE"))  # read as the service: it sees every inspection
        known, taken = _sent_before(conn, changes, self.person.login)
        if sent_before is not None:
            sent_before |= known
        judged = Judge(conn, self.person, self._published).judge(
            [c for c in changes if c.change_id not in known and c.change_id not in taken],
            refused_so_far, malformed)
        # a change id someone else's change already has is refused, and recorded nowhere
        judged.update({cid: refused_because("the change's id is another person's change")
                       for cid in taken})
        role = conn.dialect.identifier_preparer.quote(self.person.login)
        conn.execute(text(f"SET LOCAL ROLE {role}"))
        refusals = {cid: as_text(detail) for cid, detail in judged.items()
                    if detail is not None}
        allowed = [c for c in changes if c.change_id not in refusals]
        outcomes = {c.change_id: o for c, o in zip(
            allowed, apply_batch(conn, allowed, held, sent_before=bool(known)) if allowed
            else [], strict=True)}
        refused_now = [c for c in changes
                       if c.change_id in refusals and c.change_id not in taken]
        if refused_now and record_refusals:
            record_outcomes(conn, [Outcome(c.change_id, c.entity, c.entity_id, REFUSED,
                                           detail=refusals[c.change_id])
                                   for c in refused_now])
        for change in changes:
            if change.change_id in refusals:
                outcomes[change.change_id] = refused(conn, change, refusals[change.change_id])
        return [outcomes[c.change_id] for c in changes]

    # -- pull ---------------------------------------------------------------------------
    def changes_after(self, cursor: int, limit: int = MOST_PULLED) -> str:
        """The changes numbered after ``cursor`` that this person may see, oldest first, as
        the JSON text of ``{"changes": [...]}`` (written by the database, which holds each
        payload as JSON text already); those sent from their own device come without
        their payload (``payloads`` fetches it when wanted)."""
        with self._as_person() as conn:
            # along the change log's index, stopping at the page's end: statistics taken
            # before a large push has grown the log would otherwise have every change after
            # the cursor read, written out and sorted for each page
            conn.execute(text("SET LOCAL enable_bitmapscan = off"))
            conn.execute(text("SET LOCAL enable_sort = off"))
            rows = conn.execute(text(
                "SELECT json_build_object('seq', seq, 'entity', entity, 'entity_id', "
                "entity_id, 'rev', rev, 'changed_by', changed_by, 'at', at, 'payload', "
                "CASE WHEN device_id = :me THEN NULL ELSE payload END)::text "
                "FROM central_changes WHERE seq > :c ORDER BY seq LIMIT :n"),
                {"c": cursor, "n": max(1, min(limit, MOST_PULLED)),
                 "me": self.person.device_id}).scalars().all()
        return '{"changes":[' + ",".join(rows) + "]}"

    def payloads(self, seqs: Iterable[int]) -> dict[int, object]:
        wanted = sorted({int(s) for s in seqs})[:MOST_PULLED]
        if not wanted:
            return {}
        with self._as_person() as conn:
            return dict(conn.execute(text(
                "SELECT seq, payload FROM central_changes WHERE seq = ANY(:s)"),
                {"s": wanted}).all())

    def inspection(self, inspection_id: uuid.UUID) -> dict[str, list[dict]]:
        """The own rows of an inspection this person is on the team of, by table (nothing
        if they are not); its cases' rows are asked for with ``cases``."""
        from app.sync.joining import fetch_inspection

        with self._as_person() as conn:
            return _as_payloads(fetch_inspection(conn, inspection_id))

    def cases(self, case_ids: list[uuid.UUID]) -> dict[str, list[dict]]:
        """The rows of these cases, as far as this person may see them."""
        from app.sync.purge import fetch_cases

        with self._as_person() as conn:
            return _as_payloads(fetch_cases(conn, case_ids))


def _as_payloads(fetched: dict[Table, list[dict]]) -> dict[str, list[dict]]:
    return {table.name: [row_values_to_payload(row) for row in rows]
            for table, rows in fetched.items()}


def _looked_over(changes: list[Change], device: uuid.UUID) -> dict[uuid.UUID, str]:
    """Stamp the changes with ``device``; those malformed, with why (``fields.malformed``)."""
    _stamp_device(changes, device)
    return {c.change_id: p for c in changes if (p := fields.malformed(c)) is not None}


def _stamp_device(changes: list[Change], device: uuid.UUID) -> None:
    """Lay the session's device over what the changes say (their author is stamped when
    they are written)."""
    said = str(device)
    for change in changes:
        change.device_id = device
        payload = change.payload
        if not isinstance(payload, dict):
            continue  # not a record: refused alone when judged
        if payload.get("device_id") != said:
            payload["device_id"] = said
            change.rewritten()


def _sent_before(conn: Connection, changes: list[Change], login: str
                 ) -> tuple[set[uuid.UUID], set[uuid.UUID]]:
    """The changes this person sent before (recognised, not judged again), and those whose
    id another person's change already has."""
    if not changes:
        return set(), set()
    found = conn.execute(text(  # the ids as one text, however many
        "WITH i AS (SELECT unnest(CAST(string_to_array(:i, ',') AS uuid[])) AS id) "
        "SELECT change_id, changed_by FROM central_changes WHERE change_id IN (SELECT id FROM i) "
        "UNION ALL SELECT change_id, applied_by FROM applied_changes "
        "WHERE change_id IN (SELECT id FROM i)"),
        {"i": ",".join(c.change_id.hex for c in changes)}).all()
    mine = {cid for cid, by in found if by == login}
    return mine, {cid for cid, _by in found} - mine
