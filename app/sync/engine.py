"""A laptop's sync: push the outbox, then pull what others changed.

Push: the oldest changes go to the central store in one transaction per batch; their
outcomes are then recorded here (a conflict or refusal is kept for the inspector, in one
local transaction per batch; applied changes leave the outbox some batches at a time). If
the answer is lost on the way back, or the laptop stops before an applied change has left
the outbox, the next sync re-sends the same change ids and gets the same outcomes.

Pull: changes numbered after this laptop's cursor arrive in pages; each page is applied and
the cursor advanced in one local transaction. A pulled change to a record with edits not yet
acknowledged never overwrites them silently: theirs is applied and yours is kept in a conflict.

When an edit of ours collides with someone else's, the rule is the same both ways: the
central store's version is what both sides hold, and ours waits in the conflict until the
inspector chooses.

After the pull, cases that have left this laptop's care (reassigned away from its user, or
of a closed inspection) are removed once nothing about them waits to be acknowledged, and
removed cases that belong here again are fetched back whole (``app.sync.purge``). The pull
passes over changes to a removed case.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import json
import logging
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Text, bindparam, delete, func, literal_column, select
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session

from app.core.memory import collector_paused
from app.db import models as m
from app.db.bookkeeping import REMOTE_APPLY, utcnow
from app.db.engine import Database
from app.sync.apply import TABLE_ORDER, TABLES, row_from_payload
from app.sync.central import CentralError
from app.sync.conflicts import keep_conflict, keep_ours, outbox_of, waiting_here
from app.sync.joining import catch_up, held
from app.sync.link import Link, PushedTooSoon
from app.sync.local_rows import insert_rows
from app.sync.protocol import (
    APPLIED,
    CONFLICT,
    KEYS_WHEN_ASKED,
    SET_ASIDE,
    Change,
    Outcome,
    PulledChange,
)
from app.sync.purge import (
    cases_of,
    cases_of_row,
    note_reassignments,
    pass_over_removed,
    purge_released,
    restore_returned,
)
from app.sync.set_aside import APPLIED_LATER, UNAPPLIABLE, malformed, set_aside
from app.sync.twins import drop_local_twins

log = logging.getLogger(__name__)

STREAM = "central"
PUSH_BATCH = 2000
#: pushes sent before the answer to the first of them is back
IN_FLIGHT = 2
PULL_PAGE = 5000
#: acknowledged changes are taken out of the outbox this many (or more) at a time
ACKNOWLEDGED_AT_ONCE = 10_000
Report = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass
class SyncReport:
    pushed: int = 0
    applied: int = 0
    conflicts: int = 0
    refused: int = 0
    pulled: int = 0
    pulled_conflicts: int = 0
    finished_at: dt.datetime | None = None
    touched_cases: set[uuid.UUID] = field(default_factory=set)
    cases_removed: int = 0  # released from this laptop and removed from it
    cases_restored: int = 0  # removed before, and brought back
    cases_joined: int = 0  # of inspections this laptop's user has just joined
    set_aside: int = 0  # pulled changes this laptop could not apply, kept aside
    set_aside_applied: int = 0  # changes set aside before, applied now
    catch_up_pending: int = 0  # inspections joined not yet fetched whole (tried again)
    #: question frameworks published at the store, now offered on this laptop ("id version")
    frameworks_added: list[str] = field(default_factory=list)
    #: records whose change was refused in this sync (a refusal later made moot is taken
    #: back from ``refused``)
    refused_records: set[uuid.UUID] = field(default_factory=set, repr=False)


class SyncEngine:
    def __init__(self, db: Database, central: Link):
        self._db = db
        self._central = central

    def sync(self, report: Report | None = None,
             cancelled: Callable[[], bool] | None = None) -> SyncReport:
        result = SyncReport()
        # the link says itself when the central store cannot be reached (a CentralError)
        self.push(result, report, cancelled)
        self.pull(result, report, cancelled)
        self._catch_up_later(result)
        self._retry_set_aside(result)
        if not (cancelled and cancelled()):
            restored = restore_returned(self._db, self._central)
            result.cases_restored = len(restored)
            result.touched_cases |= restored
        removed = purge_released(self._db)
        result.cases_removed = len(removed)
        result.touched_cases -= removed
        with self._db.write() as session:
            state = _state(session)
            state.last_sync_at = result.finished_at = utcnow()
        return result

    # -- push -----------------------------------------------------------------------------
    def push(self, result: SyncReport, report: Report | None = None,
             cancelled: Callable[[], bool] | None = None) -> None:
        """Batches go to the central store one after another, each in its own transaction;
        while the store applies one, the outcomes of the one before are recorded here and
        the next is read. A batch never holds a change to a record whose earlier change is
        still on its way, so each outcome is known before the next change to that record
        is sent, exactly as if the batches went one at a time.

        Acknowledged changes leave the outbox some batches at a time, on a thread of their
        own, and whatever the push ends with (done, cancelled or failed): one large removal
        rewrites each page of the outbox and its indexes once, where one per batch rewrote
        most of them every time. A change acknowledged but not yet removed when the laptop
        stops is sent again next time, and recognised."""
        total = self.pending()
        after = 0  # the outbox position read up to
        acknowledged: list[str] = []  # change ids, as the outbox holds them
        clearing: list[Future[None]] = []
        in_flight: deque[tuple[list[Change], Future[list[Outcome]]]] = deque()
        with ThreadPoolExecutor(max_workers=IN_FLIGHT, thread_name_prefix="central-apply") \
                as central, \
                ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox") as outbox:

            def clear() -> None:
                if acknowledged:
                    clearing.append(outbox.submit(self._clear, acknowledged.copy()))
                    acknowledged.clear()

            def finish() -> None:
                clear()
                for done in clearing:
                    done.result()  # a failure to clear is told, not passed over

            try:
                while True:
                    changes: list[Change] = []
                    with collector_paused():
                        if not (cancelled and cancelled()):
                            busy = {c.entity_id for sent, _ in in_flight for c in sent}
                            changes, after = self._next_batch(after, busy)
                        if not in_flight and not changes:
                            break
                        answered = None
                        if not changes or len(in_flight) >= IN_FLIGHT:
                            answered = in_flight.popleft()
                            outcomes = answered[1].result()
                        if changes:
                            in_flight.append((changes, central.submit(
                                self._apply_centrally, changes,
                                in_flight[-1] if in_flight else None)))
                        if answered:
                            self._record(outcomes, answered[0], result, acknowledged)
                            result.pushed += len(answered[0])
                            if len(acknowledged) >= ACKNOWLEDGED_AT_ONCE:
                                clear()
                    if answered and report:
                        report("push", result.pushed, total)
                finish()
            except BaseException:
                with contextlib.suppress(Exception):  # the push's own failure is the news
                    finish()
                raise
        if report and result.pushed:
            report("push", result.pushed, total)  # and the outbox cleared

    def _apply_centrally(self, changes: list[Change],
                         follows: tuple[list[Change], Future[list[Outcome]]] | None
                         ) -> list[Outcome]:
        """The outcomes of ``changes``, sent while ``follows`` (the batch before, and its
        answer to come) may still be on its way: should they overtake it, the store refuses
        them unapplied, and they are sent again once it has been answered."""
        with collector_paused():
            if follows is None:
                return self._central.push(changes)
            try:
                return self._central.push(changes, after=follows[0][-1].change_id)
            except PushedTooSoon:
                follows[1].result()  # applied; or its failure is this batch's too
                return self._central.push(changes)

    def pending(self) -> int:
        with self._db.read() as session:
            return session.scalar(select(func.count()).select_from(m.Outbox)) or 0

    def _next_batch(self, after: int, busy: set[uuid.UUID]) -> tuple[list[Change], int]:
        """The oldest changes past ``after``, up to the first one to a record in ``busy``;
        and the position read up to. Payloads stay the JSON text the outbox holds: they
        travel as they are, without being read here."""
        with self._db.read() as session:
            rows = session.connection().exec_driver_sql(_OUTBOX_PAGE, (after, PUSH_BATCH)).all()
        changes = []
        devices: dict[str | None, uuid.UUID | None] = {None: None}
        for seq, change_id, entity, entity_id, op, base_rev, rev, payload, device, strict, \
                wire in rows:
            entity_id = uuid.UUID(entity_id)
            if entity_id in busy:
                break
            if device not in devices:
                devices[device] = uuid.UUID(device)
            changes.append(Change(uuid.UUID(change_id), entity, entity_id, op, base_rev, rev,
                                  None, devices[device], text=payload,
                                  keys=KEYS_WHEN_ASKED if strict else None, wire=wire))
            after = seq
        return changes, after

    def _record(self, outcomes: list[Outcome], changes: list[Change], result: SyncReport,
                acknowledged: list[str]) -> None:
        """Applied changes join ``acknowledged``; in one local transaction, a conflict or
        refusal brings the central version in, keeps ours in a conflict record, and takes
        every change to that record out of the outbox."""
        applied = [c.change_id.hex for o, c in zip(outcomes, changes, strict=True)
                   if o.status == APPLIED]
        acknowledged.extend(applied)
        result.applied += len(applied)
        if len(applied) == len(changes):
            return
        conflicted: set[uuid.UUID] = set()
        with self._db.write() as session:
            session.info[REMOTE_APPLY] = True
            for outcome, change in zip(outcomes, changes, strict=True):
                if outcome.status == APPLIED or change.entity_id in conflicted:
                    continue  # acknowledged, or already folded into this record's conflict
                conflicted.add(change.entity_id)
                base, yours = waiting_here(session, change.entity, change.entity_id)
                made_here = base is None and yours is not None
                yours = yours or change.payload
                keep_conflict(
                    session, kind=outcome.status, detail=outcome.detail or "",
                    entity=change.entity, entity_id=change.entity_id,
                    # the store's word for what both started from; for a refusal, the
                    # record as it was here before the change refused
                    base=outcome.base if outcome.base is not None else base, yours=yours,
                    theirs=outcome.theirs, theirs_by=outcome.theirs_by or "",
                    theirs_at=outcome.theirs_at)
                if outcome.status == CONFLICT:
                    result.conflicts += 1
                    if outcome.theirs is not None:
                        _store(session, change.entity, outcome.theirs, self._db.user)
                else:
                    result.refused += 1
                    result.refused_records.add(change.entity_id)
                    if outcome.theirs is not None:  # the laptop shows what the store holds
                        _store(session, change.entity, outcome.theirs, self._db.user)
                    elif made_here and change.entity in _REMOVED_WHEN_REFUSED:
                        # made here and refused: kept in the refusal alone, as the store
                        # holds none of it
                        session.flush()
                        table = TABLES[change.entity]
                        session.execute(table.delete().where(table.c.id == change.entity_id))
                session.execute(delete(m.Outbox).where(outbox_of(change.entity, change.entity_id)))
                result.touched_cases.update(
                    cases_of(change.entity, change.entity_id, outcome.theirs or yours))

    def _clear(self, acknowledged: list[str]) -> None:
        """Acknowledged changes leave the outbox, in one statement with one parameter."""
        with self._db.write() as session:
            outbox = m.Outbox.__table__
            session.execute(outbox.delete().where(outbox.c.change_id.in_(
                select(literal_column("value")).select_from(func.json_each(
                    bindparam("ids", json.dumps(acknowledged), Text))))))

    # -- pull -----------------------------------------------------------------------------
    def pull(self, result: SyncReport, report: Report | None = None,
             cancelled: Callable[[], bool] | None = None) -> None:
        """Pages of changes, each applied in one local transaction. While one is applied,
        the page after it is already asked for (it is used if the cursor ends where that
        page starts, as it does unless an inspection joined moved it)."""
        ahead: tuple[int, Future[list[dict]]] | None = None
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="central-pull") as central:
            while True:
                if cancelled and cancelled():
                    return
                with self._db.read() as session:
                    cursor = _state(session).cursor
                rows = ahead[1].result() if ahead is not None and ahead[0] == cursor \
                    else self._central.changes_after(cursor, PULL_PAGE)
                page = self._read_page(rows)
                if not page:
                    return
                ahead = (page[-1].seq,
                         central.submit(self._central.changes_after, page[-1].seq, PULL_PAGE))
                page, joining = self._until_joined(page)
                if page:
                    self._apply_page(page, result)
                if joining is not None:  # an inspection this laptop's user has just joined
                    self._catch_up(result, joining, report)
                if report:
                    report("pull", result.pulled, 0)

    def _until_joined(self, page: list[PulledChange]
                      ) -> tuple[list[PulledChange], PulledChange | None]:
        """The page up to the first membership of this laptop's user in an inspection it
        does not hold, and that membership (None if there is none). An inspection made
        earlier in the page (its first revision) needs no catching up: the page holds
        everything of it from the start."""
        coming: set[uuid.UUID] = set()
        with self._db.read() as session:
            for n, change in enumerate(page):
                if change.entity == "inspections" and change.rev == 1:
                    coming.add(change.entity_id)
                elif (change.entity == "inspection_members" and malformed(change) is None
                        and change.payload is not None
                        and change.payload.get("person") == self._db.user):
                    inspection_id = uuid.UUID(str(change.payload["inspection_id"]))
                    if inspection_id not in coming and not held(session, inspection_id):
                        return page[:n], change
        return page, None

    def _catch_up(self, result: SyncReport, joining: PulledChange,
                  report: Report | None = None) -> None:
        """The whole of the inspection joined, as the store holds it now; the cursor moves
        past the membership in the same transaction. Should the inspection not be fetched
        or kept whole (a damaged record at the store), the cursor moves on all the same and
        the inspection is caught up at the next syncs (``_catch_up_later``)."""
        inspection_id = uuid.UUID(str(joining.payload["inspection_id"]))

        def advance(session: Session) -> None:
            _state(session).cursor = joining.seq
            session.execute(delete(m.AppMeta).where(
                m.AppMeta.key == f"{CATCH_UP}{inspection_id}"))

        try:
            brought = catch_up(
                self._db, self._central, inspection_id,
                drop_twins=lambda session, entity, rows: _give_way(
                    session, entity, rows, result), then=advance,
                progress=(lambda done, total: report("join", done, total)) if report else None)
        except Exception as exc:
            if isinstance(exc, sa_exc.OperationalError):
                raise
            log.warning("an inspection joined could not be fetched whole (%s); it is tried "
                        "again at the next sync", type(exc).__name__)
            with self._db.write() as session:
                session.merge(m.AppMeta(key=f"{CATCH_UP}{inspection_id}", value="pending"))
                _state(session).cursor = joining.seq
            return  # counted once tried again after the pull (``_catch_up_later``)
        result.cases_joined += len(brought)
        result.touched_cases |= brought
        result.pulled += 1

    def _catch_up_later(self, result: SyncReport) -> None:
        """Inspections joined that could not be fetched whole before, tried again."""
        with self._db.read() as session:
            pending = list(session.scalars(select(m.AppMeta.key).where(
                m.AppMeta.key.startswith(CATCH_UP))))
        for key in pending:
            inspection_id = uuid.UUID(key.removeprefix(CATCH_UP))

            def settle(session: Session, key: str = key) -> None:
                session.execute(delete(m.AppMeta).where(m.AppMeta.key == key))

            try:
                brought = catch_up(self._db, self._central, inspection_id,
                                   drop_twins=lambda session, entity, rows: _give_way(
                                       session, entity, rows, result), then=settle)
            except Exception as exc:
                if isinstance(exc, sa_exc.OperationalError):
                    raise
                result.catch_up_pending += 1
                continue
            result.cases_joined += len(brought)
            result.touched_cases |= brought

    def _read_page(self, rows: list[dict]) -> list[PulledChange]:
        """The changes the central store sent (``changes_after``), each payload with the
        store's own stamps laid over it. Changes sent from this laptop come without their
        payload when this laptop already holds that revision (they are passed over); should
        it not (a database restored from an older backup, say), the payload is fetched
        after all."""
        page = []  # (seq, entity, entity_id, rev, payload, changed_by, at)
        for row in rows:
            if not isinstance(row, dict):
                raise CentralError("The central store sent a change this version of the app "
                                   "cannot read.", "Update ASPIRE Casework.")
            try:
                page.append((int(row["seq"]), str(row["entity"]),
                             uuid.UUID(str(row["entity_id"])), int(row["rev"]),
                             row.get("payload"), str(row.get("changed_by") or ""),
                             row.get("at")))
            except (KeyError, TypeError, ValueError):
                raise CentralError("The central store sent a change this version of the app "
                                   "cannot read.", "Update ASPIRE Casework.") from None
        missing = [c for c in page if c[4] is None and c[1] in TABLES]
        fetched: dict[int, object] = {}
        if missing:
            with self._db.read() as session:
                held = {}
                for entity in {c[1] for c in missing}:
                    table = TABLES[entity]
                    held.update(session.execute(select(table.c.id, table.c.rev).where(
                        table.c.id.in_([c[2] for c in missing if c[1] == entity]))).all())
            wanted = [c[0] for c in missing if held.get(c[2], 0) < c[3]]
            fetched = self._central.payloads(wanted) if wanted else {}
        stamped = []
        for seq, entity, entity_id, rev, payload, changed_by, at in page:
            if payload is None:
                payload = fetched.get(seq)
            if isinstance(payload, dict):  # anything else is set aside as malformed
                payload = {**payload, "id": str(entity_id), "rev": rev,
                           "updated_by": changed_by, "updated_at": at}
            stamped.append(PulledChange(seq, entity, entity_id, rev, payload, changed_by))
        return stamped

    def _apply_page(self, page: list[PulledChange], result: SyncReport) -> None:
        """One local transaction: the page's rows (the newest version of each record in
        it), any conflicts with edits waiting here, and the cursor. Should the page not
        apply as a whole, it is applied again change by change, and a change this laptop
        cannot apply is set aside (``_set_aside``) rather than stopping every later sync."""
        before = _copied(result)
        try:
            self._apply_page_as(page, result, one_by_one=False)
        except UNAPPLIABLE as exc:
            if isinstance(exc, sa_exc.OperationalError):
                raise  # the database itself (locked, full): nothing to set aside
            log.warning("a page of pulled changes did not apply at once (%s); applying it "
                        "change by change", type(exc).__name__)
            vars(result).update(vars(before))
            self._apply_page_as(page, result, one_by_one=True)

    def _apply_page_as(self, page: list[PulledChange], result: SyncReport, *,
                       one_by_one: bool) -> None:
        newest: dict[uuid.UUID, PulledChange] = {}
        for change in page:  # the page is in change order: the last one is the newest
            newest[change.entity_id] = change
        with self._db.write() as session:
            session.info[REMOTE_APPLY] = True
            waiting = set(session.scalars(select(m.Outbox.entity_id).where(
                _among(m.Outbox.entity_id, newest)).distinct()))
            by_entity: dict[str, list[PulledChange]] = {}
            sound = []
            for change in newest.values():
                problem = malformed(change)
                if problem is None:
                    sound.append(change)
                else:  # not even readable: kept aside before anything looks into it
                    set_aside(session, change, ValueError(problem))
                    result.set_aside += 1
            for change in pass_over_removed(session, sound):
                by_entity.setdefault(change.entity, []).append(change)
            for entity in sorted(by_entity, key=TABLE_ORDER.get):
                if one_by_one:
                    for change in by_entity[entity]:
                        self._apply_or_set_aside(session, change, waiting, result)
                else:
                    self._apply_rows(session, entity, by_entity[entity], waiting, result)
            _state(session).cursor = page[-1].seq

    def _apply_or_set_aside(self, session: Session, change: PulledChange,
                            waiting: set[uuid.UUID], result: SyncReport, *,
                            keep: bool = True) -> bool:
        """Apply one pulled change in a savepoint; set it aside (if ``keep``) when it cannot
        be applied here. Whether it was applied."""
        before = _copied(result)
        try:
            with session.begin_nested():
                self._apply_rows(session, change.entity, [change], waiting, result)
        except UNAPPLIABLE as exc:
            if isinstance(exc, sa_exc.OperationalError):
                raise
            vars(result).update(vars(before))
            if keep:
                set_aside(session, change, exc)
                result.set_aside += 1
            return False
        return True

    def _retry_set_aside(self, result: SyncReport) -> None:
        """Changes set aside at earlier syncs, tried again (what they needed, a case say,
        may have come since); one that now applies is settled."""
        with self._db.write() as session:
            session.info[REMOTE_APPLY] = True
            aside = list(session.scalars(select(m.Conflict).where(
                m.Conflict.kind == SET_ASIDE, m.Conflict.resolved_at.is_(None))))
            for record in aside:
                change = PulledChange(0, record.entity, record.entity_id,
                                      int((record.theirs or {}).get("rev") or 0),
                                      record.theirs, record.theirs_by)
                if change.entity not in TABLES or change.payload is None:
                    continue
                waiting = set(session.scalars(select(m.Outbox.entity_id).where(
                    outbox_of(change.entity, change.entity_id))))
                if self._apply_or_set_aside(session, change, waiting, result, keep=False):
                    record.resolved_at = utcnow()
                    record.resolved_by = self._db.user
                    record.resolution = {"choice": APPLIED_LATER}
                    result.set_aside_applied += 1

    def _apply_rows(self, session: Session, entity: str, changes: list[PulledChange],
                    waiting: set[uuid.UUID], result: SyncReport) -> None:
        table = TABLES[entity]
        local = dict(session.execute(select(table.c.id, table.c.rev).where(
            _among(table.c.id, [c.entity_id for c in changes]))).all())
        inserts, updates, touched = [], [], []
        for change in changes:
            rev = local.get(change.entity_id)
            if rev is not None and rev >= change.rev:
                continue  # ours, or already here
            if change.entity_id in waiting:
                keep_ours(session, change)
                result.pulled_conflicts += 1
            values = row_from_payload(table, change.payload, change.entity_id)
            (updates if rev is not None else inserts).append(values)
            touched.extend(cases_of_row(entity, change.entity_id, values))
            result.pulled += 1
        result.touched_cases.update(touched)
        if inserts:
            _give_way(session, entity, inserts, result)
        if inserts:
            insert_rows(session, table, inserts)
        if entity == "cases" and updates:
            note_reassignments(session, self._db.user, updates)
        for values in updates:
            session.execute(table.update().where(table.c.id == values["id"]).values(**values))


#: the local setting that marks an inspection joined but not yet fetched whole
CATCH_UP = "catch-up:"


#: the next outbox rows, as stored (ids as hex text, the payload as JSON text), and whether
#: the payload is strict JSON (a payload SQLite reads only as JSON5, with NaN say, is not:
#: the store refuses it alone). Its keys are read only if asked for (the store reads them
#: itself). A sound row also comes as the push sends it (``protocol.change_text``), written
#: by SQLite: the push then only strings the changes together.
def _as_wire_id(column: str) -> str:
    """SQL for an id as the wire writes it (the outbox holds it as 32 hex digits)."""
    return " || '-' || ".join(f"substr({column}, {start}, {length})" for start, length
                              in ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12)))


_OUTBOX_PAGE = (
    "SELECT seq, change_id, entity, entity_id, op, base_rev, rev, payload, device_id, "
    "json_valid(payload), CASE WHEN json_valid(payload) AND typeof(base_rev) = 'integer' "
    "AND length(change_id) = 32 AND length(entity_id) = 32 "
    f"""THEN '{{"change_id":"' || {_as_wire_id("change_id")} || '","entity":' || """
    f"""json_quote(entity) || ',"entity_id":"' || {_as_wire_id("entity_id")} || """
    """'","op":' || json_quote(op) || ',"base_rev":' || base_rev || ',"payload":' || """
    "payload || '}' END FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?")


def _among(column, ids) -> ColumnElement[bool]:
    """``column IN ids``, the ids given as one JSON parameter, however many (SQLite then
    looks each up in the column's index, where thousands of parameters cost far more)."""
    return column.in_(select(literal_column("value")).select_from(func.json_each(
        bindparam(None, json.dumps([i.hex for i in ids]), Text))))


def _give_way(session: Session, entity: str, inserts: list[dict], result: SyncReport) -> None:
    """Records of ours give way to the same records arriving from the store
    (``twins.drop_local_twins``); a refusal of this sync that one resolves is taken back."""
    met = drop_local_twins(session, entity, inserts)
    result.pulled_conflicts += met.conflicts
    for entity_id in met.refusals_resolved & result.refused_records:
        result.refused -= 1
        result.refused_records.discard(entity_id)


def _copied(result: SyncReport) -> SyncReport:
    """The report as it stands, to go back to (its sets copied: what they hold never
    changes, so copying them deeply only cost time)."""
    before = copy.copy(result)
    for name, value in vars(result).items():
        if isinstance(value, set):
            setattr(before, name, set(value))
    return before


def _state(session: Session) -> m.SyncState:
    state = session.get(m.SyncState, STREAM)
    if state is None:
        state = m.SyncState(stream=STREAM, cursor=0)
        session.add(state)
        session.flush()
    return state


#: the kinds of record no other record names: one made on this laptop that the central
#: store refuses leaves the laptop (its refusal keeps it), so that the laptop shows what the
#: store holds. A refused case, sample or inspection stays, with whatever was made in it.
_REMOVED_WHEN_REFUSED = frozenset({
    "answers", "inspection_members", "practice_examples", "sample_members", "sample_events",
    "case_events", "query_messages", "audit_entries", "second_marks"})


def _store(session: Session, entity: str, payload: dict, user: str) -> None:
    """Write a central version of a row here, as it is (no new revision, no outbox)."""
    table = TABLES[entity]
    values = row_from_payload(table, payload)
    exists = session.execute(select(table.c.id).where(table.c.id == values["id"])).first()
    if exists:
        if entity == "cases":
            note_reassignments(session, user, [values])
        session.execute(table.update().where(table.c.id == values["id"]).values(**values))
        return
    if entity == "answers":  # the same question answered here under another id
        session.execute(table.delete().where(table.c.case_id == values["case_id"],
                                             table.c.question_key == values["question_key"]))
    session.execute(table.insert().values(**values))
