"""The central service's HTTP application (ASGI, Starlette).

Endpoints:

- ``GET /health``: 200 ``{"status": "ok"}`` when the central database answers, 503
  ``{"status": "unavailable"}`` when it does not (for a load balancer's health check; it says
  nothing about why, which is in the service's log).
- ``GET /version``: the app's version, the protocol version laptops speak, and the central
  schema revisions the database is at (empty before ``aspire central init``).
- ``POST /session`` ``{"login", "password", "device"?}``: signs in; 200 with a bearer token and
  when it expires, 401 for a wrong login or password, 429 with ``Retry-After`` while tries must
  wait, 423 once the account is locked until an administrator resets it. A laptop also sends
  ``"device": {"id", "public_key", "signed_at", "signature"}``: its device id, its Ed25519
  public key (base64), the moment in UTC (ISO 8601) and its signature (base64) over
  ``aspire-sign-in\n{login}\n{device id}\n{signed_at}`` (``app.core.devices``). With the
  right password, a device not seen before is recorded as the person's; a device that is
  someone else's, has another key or was withdrawn, a moment more than five minutes from the
  service's clock, a wrong signature, or a statement presented before (each is taken once)
  refuses the sign-in whole (403, naming the reason).
- ``DELETE /session``: signs out (the token ends at once).
- ``GET /me``: who the token belongs to, and the device it was signed in from (or null).
- ``POST /password`` ``{"current", "new"}``: the person changes their own password; every
  session of theirs ends.

Syncing (``app.sync.store``: each change judged by the same rules as the laptop's, then
applied as the person, stamped with their login and their session's device; a session
that did not prove its device syncs nothing, 403; each person's requests are limited to
600 a minute, 429 with ``Retry-After``):

- ``POST /sync/push`` ``{"changes": [{"change_id", "entity", "entity_id", "op", "base_rev",
  "payload"}, ...]}`` (at most 2,000): ``{"outcomes": [...]}``, one per change in order,
  each ``applied``, ``conflict`` (with ``base`` and ``theirs``) or ``refused`` (with why,
  and the record as the store holds it, when the person may see it). Re-sent changes get
  the outcome they had.
- ``GET /sync/changes?after=N[&limit=M]``: ``{"changes": [...]}``, the next changes after
  number N the person may see (at most M, and 1,000); those from their own device come
  without their payload.
- ``POST /sync/payloads`` ``{"seqs": [...]}``: those changes' payloads.
- ``GET /sync/inspections/{id}``: ``{"tables": {...}}``, the own rows of an inspection the
  person is on the team of (its framework, team, cases and samples), for a laptop that has
  just joined it; it then asks for its cases' rows with ``/sync/cases``, a page at a time.
- ``POST /sync/cases`` ``{"ids": [...]}`` (at most 1,000): the rows of those cases, as far
  as the person may see them (cases of an inspection joined, or brought back to a laptop).
- ``POST /sync/transfer`` (the content of a transfer file, as ``app.sync.package`` writes
  it, opened with its passphrase at the office; at most 64 MiB): checked whole against the
  person and laptop it names, then applied as that person; ``{"person", "changes",
  "applied", "conflicts", "refused", "enrolled", "refusals"}``. Only its author or an
  administrator may bring it (403, before the rest is read); a file not signed by its
  laptop, or naming anyone else, is refused whole (400 or 403, naming why). It is applied
  in one transaction; one push or transfer file of a person's is applied at a time
  (another meanwhile: 429 with ``Retry-After``), and each instance applies at most two
  transfer files at once.

Pooled findings (``app.sync.pooled``; for analysts and administrators, whose sign-in needs no
laptop; an analyst syncs nothing, 403 on every endpoint above):

- ``GET /analysis?framework=F&year=Y&programme=P&by=D1,D2&sample=random|targeted&
  latest_only=true|false&suppress_below=N&provisional=true|false``: the key questions of one
  framework family pooled across the inspections those choices let in, as counts, shares
  with 95% intervals and differences between groups (``app.core.pooling``), worked out by
  PostgreSQL in a read-only transaction; no case, reference or name is in the answer.

Errors are JSON ``{"error": ..., "advice": ...}``, written for the person. Request bodies are
limited before they are read (413). Signing in is the one seam for other ways of proving who
someone is: a sign-in through the inspectorate's single sign-on (OpenID Connect) would end in
the same kind of session, and every other endpoint knows only the session.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import datetime as dt
import json
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app import __version__
from app.core import devices as device_rules
from app.core.pooling import SUPPRESS_BELOW, choice_from_query, findings_to_wire
from app.errors import UserFacingError
from app.sync import accounts, devices
from app.sync.central import (
    READ_ONLY_ROLES,
    central_engine,
    database_answers,
    published_at,
    published_content,
    schema_revisions,
)
from app.sync.judge import PublishedFramework, shipped_frameworks
from app.sync.package import MOST_CONTENT
from app.sync.pooled import pooled
from app.sync.protocol import (
    MOST_CASES,
    PROTOCOL_VERSION,
    PUSHED_TOO_SOON,
    WireError,
    after_from_wire,
    change_from_wire,
    holds_half_characters,
    outcomes_text,
)
from app.sync.store import (
    MOST_CHANGES,
    MOST_PULLED,
    Busy,
    Person,
    PersonAtStore,
    PushedTooSoon,
)
from app.sync.transfers import TransferRefused, apply_transfer

#: The version of the protocol between laptops and the service; raised on any change a laptop
#: of the previous version could not follow.
#: The largest body of a sign-in or password request.
SMALL_BODY = 16 * 1024
#: The largest push (2,000 changes, or a framework's content, with room to spare).
PUSH_BODY = 16 * 1024 * 1024
#: The largest transfer file's content (compressed, as the file holds it).
TRANSFER_BODY = MOST_CONTENT
#: Transfer files one instance of the service applies at once.
TRANSFERS_AT_ONCE = 2
#: The largest list of change numbers or case ids asked for at once.
LIST_BODY = 256 * 1024
#: The smallest cell an analyst's findings show (an administrator's may show any).
ANALYST_LEAST_SUPPRESSION = 5
#: Pooled queries one instance works out at once.
ANALYSES_AT_ONCE = 2
#: who may ask for pooled findings, and what they may ask with
ANALYSIS_ROLES = frozenset({"analyst", "admin"})
ANALYSIS_PARAMETERS = ("framework", "year", "programme", "by", "sample", "latest_only",
                       "suppress_below", "provisional")

Clock = Callable[[], dt.datetime]


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class RequestRefused(Exception):
    """A request the service will not handle, with the status and message to answer with."""

    def __init__(self, status: int, problem: str, advice: str = "",
                 headers: dict[str, str] | None = None):
        super().__init__(problem)
        self.status, self.problem, self.advice = status, problem, advice
        self.headers = headers or {}


def create_app(database_url: str, *, clock: Clock = _utcnow,
               published: Mapping[str, PublishedFramework] | None = None) -> Starlette:
    """The service over the central database at ``database_url`` (which holds its password).

    The database is connected to lazily: the service starts, and says it is unavailable,
    while the database is down, and recovers by itself when it is back.
    """
    engine = central_engine(database_url, service=True)
    accounts.ready()
    published = published if published is not None else shipped_frameworks()
    #: transfer files applied at once by this instance (each may hold 64 MiB and a minute)
    transfers_running = asyncio.Semaphore(TRANSFERS_AT_ONCE)
    #: pooled queries worked out at once by this instance (each reads the whole store)
    analyses_running = asyncio.Semaphore(ANALYSES_AT_ONCE)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            engine.dispose()

    async def health(_request: Request) -> JSONResponse:
        if await run_in_threadpool(database_answers, engine):
            return JSONResponse({"status": "ok"})
        return JSONResponse({"status": "unavailable"}, status_code=503)

    async def version(_request: Request) -> JSONResponse:
        schema = await run_in_threadpool(schema_revisions, engine)
        return JSONResponse({"app": __version__, "protocol": PROTOCOL_VERSION,
                             "schema": schema})

    async def sign_in(request: Request) -> JSONResponse:
        body = await _json_body(request, SMALL_BODY)
        login, password = _text(body, "login"), _text(body, "password")
        device = _device(body)
        session = await run_in_threadpool(accounts.sign_in, engine, login, password, clock(),
                                          device)
        account = session.account
        return JSONResponse({"token": session.token,
                             "expires_at": session.expires_at.isoformat(),
                             "login": account.login, "name": account.name,
                             "role": account.role, "must_change": account.must_change,
                             "device": _device_id(account),
                             "device_enrolled": session.device_enrolled})

    async def sign_out(request: Request) -> Response:
        token = _bearer(request)
        await _account(engine, request, clock, allow_must_change=True)
        await run_in_threadpool(accounts.sign_out, engine, token)
        return Response(status_code=204)

    async def me(request: Request) -> JSONResponse:
        account = await _account(engine, request, clock, allow_must_change=True)
        return JSONResponse({"login": account.login, "name": account.name,
                             "role": account.role, "must_change": account.must_change,
                             "device": _device_id(account)})

    async def change_password(request: Request) -> Response:
        account = await _account(engine, request, clock, allow_must_change=True)
        body = await _json_body(request, SMALL_BODY)
        await run_in_threadpool(accounts.change_password, engine, account,
                                _text(body, "current"), _text(body, "new"), clock())
        return Response(status_code=204)

    async def published_now() -> dict[str, PublishedFramework]:
        """Those shipped with the service, and those administrators have published."""
        return {**published, **await run_in_threadpool(published_at, engine)}

    async def frameworks(request: Request) -> JSONResponse:
        await person(request)
        found = await run_in_threadpool(published_at, engine)
        return JSONResponse({"frameworks": [
            {"sha256": sha, "id": f.framework_key, "version": f.version, "title": f.title,
             "programme": f.programme} for sha, f in found.items()]})

    async def framework(request: Request) -> JSONResponse:
        await person(request)
        sha = request.path_params["sha256"]
        content = await run_in_threadpool(published_content, engine, sha) \
            if re.fullmatch(r"[0-9a-f]{64}", sha) else None
        if content is None:
            raise RequestRefused(404, "No framework with that fingerprint is published.")
        return JSONResponse({"content": content})

    def admitted(token: str, now: dt.datetime, judging: bool
                 ) -> tuple[accounts.Account | None, int | None, dict]:
        """The account of the token, the seconds it must wait (or None), and, if its
        changes are to be judged, the frameworks the service publishes: one trip to a
        worker thread for all three."""
        account = accounts.account_for(engine, token, now)
        if account is None or account.must_change or account.device_id is None:
            return account, None, {}
        wait = accounts.count_request(engine, account.login, now)
        return account, wait, {**published, **published_at(engine)} if judging else {}

    async def person(request: Request, *, judging: bool = False) -> PersonAtStore:
        """The person signed in, as the store serves them; ``judging``: for a request whose
        changes are judged (the frameworks published are looked up)."""
        account, wait, frameworks_now = await run_in_threadpool(
            admitted, _bearer(request), clock(), judging)
        _check_account(account)
        if account.role in READ_ONLY_ROLES:
            raise RequestRefused(403, f"An {account.role}'s account reads pooled findings and "
                                      "syncs nothing.",
                                 "Sign in with an inspector's or supervisor's account to sync.")
        if account.device_id is None:
            raise RequestRefused(403, "Syncing needs a sign-in from an enrolled laptop.",
                                 "Sync from ASPIRE Casework, which signs in with this "
                                 "laptop's device key.")
        if wait is not None:
            raise RequestRefused(429, "Too many requests in a minute from your account.",
                                 f"Try again in {wait} seconds.", {"Retry-After": str(wait)})
        return PersonAtStore(engine, Person(account.login, account.role, account.device_id),
                             frameworks_now)

    def admitted_reader(token: str, now: dt.datetime
                        ) -> tuple[accounts.Account | None, int | None]:
        account = accounts.account_for(engine, token, now)
        if account is None or account.must_change:
            return account, None
        return account, accounts.count_request(engine, account.login, now)

    async def analysis(request: Request) -> JSONResponse:
        account, wait = await run_in_threadpool(admitted_reader, _bearer(request), clock())
        _check_account(account)
        if account.role not in ANALYSIS_ROLES:
            raise RequestRefused(403, "Pooled findings are for analysts and administrators.",
                                 "Ask your administrator for an analyst's account.")
        if wait is not None:
            raise RequestRefused(429, "Too many requests in a minute from your account.",
                                 f"Try again in {wait} seconds.", {"Retry-After": str(wait)})
        values: dict[str, list[str]] = {}
        for key, value in request.query_params.multi_items():
            if key not in ANALYSIS_PARAMETERS:
                raise RequestRefused(400, f"'{key}' is not something an analysis takes.",
                                     "Take from: " + ", ".join(ANALYSIS_PARAMETERS) + ".")
            values.setdefault(key, []).append(value)
        try:
            choice = choice_from_query(values)
        except ValueError as exc:
            raise RequestRefused(400, f"The analysis asked for cannot be read: {exc}.") \
                from None
        if account.role != "admin" and choice.suppress_below < ANALYST_LEAST_SUPPRESSION:
            raise RequestRefused(
                400, f"An analyst's pooled findings suppress cells of fewer than "
                     f"{ANALYST_LEAST_SUPPRESSION} judged cases at the least.",
                f"Ask for suppress_below of {ANALYST_LEAST_SUPPRESSION} or more (the default "
                f"is {SUPPRESS_BELOW}).")
        if analyses_running.locked():
            raise RequestRefused(429, "The central service is working out other pooled "
                                      "findings just now.", "Try again in a minute.",
                                 {"Retry-After": "30"})
        async with analyses_running:
            findings = await run_in_threadpool(pooled, engine, choice)
        return JSONResponse(findings_to_wire(findings))

    async def push(request: Request) -> Response:
        at_store = await person(request, judging=True)
        # (half a character in a change's values refuses that change alone, by the rules)
        body = await _json_body(request, PUSH_BODY, whole_text=False)
        items = body.get("changes")
        if not isinstance(items, list):
            raise RequestRefused(400, "The request has no 'changes' list.")
        if len(items) > MOST_CHANGES:
            raise RequestRefused(413, f"A push holds at most {MOST_CHANGES:,} changes.",
                                 "Send them in several pushes.")
        try:
            changes = [change_from_wire(item, n) for n, item in enumerate(items, 1)]
            after = after_from_wire(body.get("after"))
        except WireError as exc:
            raise RequestRefused(400, f"The push is malformed: {exc}.") from None
        if len({c.change_id for c in changes}) != len(changes):
            raise RequestRefused(400, "The push holds the same change twice.")
        outcomes = await run_in_threadpool(at_store.push, changes, after)
        return Response(outcomes_text(outcomes), media_type="application/json")

    async def changes_after(request: Request) -> JSONResponse:
        at_store = await person(request)
        after = request.query_params.get("after", "0")
        limit = request.query_params.get("limit", str(MOST_PULLED))
        if not after.isdigit() or len(after) > 18:
            raise RequestRefused(400, "'after' is not a change number.")
        if not limit.isdigit() or len(limit) > 6:
            raise RequestRefused(400, "'limit' is not a number of changes.")
        changes = await run_in_threadpool(at_store.changes_after, int(after), int(limit))
        return Response(changes, media_type="application/json")

    async def payloads(request: Request) -> JSONResponse:
        at_store = await person(request)
        seqs = _list(await _json_body(request, LIST_BODY), "seqs", int)
        found = await run_in_threadpool(at_store.payloads, seqs)
        return JSONResponse({"payloads": {str(seq): payload for seq, payload in found.items()}})

    async def inspection(request: Request) -> JSONResponse:
        at_store = await person(request)
        try:
            inspection_id = uuid.UUID(request.path_params["inspection_id"])
        except ValueError:
            raise RequestRefused(404, "There is no such inspection.") from None
        tables = await run_in_threadpool(at_store.inspection, inspection_id)
        return JSONResponse({"tables": tables})

    async def cases(request: Request) -> JSONResponse:
        at_store = await person(request)
        ids = _list(await _json_body(request, LIST_BODY), "ids", uuid.UUID, MOST_CASES)
        tables = await run_in_threadpool(at_store.cases, ids)
        return JSONResponse({"tables": tables})

    async def transfer(request: Request) -> JSONResponse:
        at_store = await person(request)
        if transfers_running.locked():
            raise RequestRefused(429, "The central service is applying other transfer files "
                                      "just now.", "Try again in a minute.",
                                 {"Retry-After": "30"})
        async with transfers_running:
            content = await _body(request, TRANSFER_BODY)
            report = await run_in_threadpool(
                apply_transfer, engine, lambda: iter((content,)), await published_now(),
                brought_by=at_store.person, now=clock())
        return JSONResponse({"person": report.person, "changes": report.changes,
                             "applied": report.applied, "conflicts": report.conflicts,
                             "refused": report.refused, "enrolled": report.enrolled,
                             "refusals": list(report.refusals),
                             "applied_before": report.applied_before})

    routes = [Route("/health", health), Route("/version", version),
              Route("/session", _answering(sign_in), methods=["POST"]),
              Route("/session", _answering(sign_out), methods=["DELETE"]),
              Route("/me", _answering(me)),
              Route("/password", _answering(change_password), methods=["POST"]),
              Route("/sync/push", _answering(push), methods=["POST"]),
              Route("/sync/changes", _answering(changes_after)),
              Route("/sync/payloads", _answering(payloads), methods=["POST"]),
              Route("/sync/inspections/{inspection_id}", _answering(inspection)),
              Route("/sync/cases", _answering(cases), methods=["POST"]),
              Route("/sync/transfer", _answering(transfer), methods=["POST"]),
              Route("/frameworks", _answering(frameworks)),
              Route("/analysis", _answering(analysis)),
              Route("/frameworks/{sha256}", _answering(framework))]
    return Starlette(routes=routes, lifespan=lifespan)


def _answering(endpoint: Callable[[Request], Awaitable[Response]]
               ) -> Callable[[Request], Awaitable[Response]]:
    """The endpoint, with refusals and user-facing errors answered as JSON."""

    async def answered(request: Request) -> Response:
        try:
            return await endpoint(request)
        except RequestRefused as refused:
            return _error(refused.status, refused.problem, refused.advice, refused.headers)
        except (accounts.TryLater, Busy) as exc:
            return _error(429, exc.problem, exc.advice, {"Retry-After": str(exc.retry_after)})
        except PushedTooSoon as exc:
            return JSONResponse({"error": exc.problem, "advice": exc.advice,
                                 "reason": PUSHED_TOO_SOON}, status_code=409)
        except accounts.LockedOut as exc:
            return _error(423, exc.problem, exc.advice)
        except (devices.DeviceRefused, TransferRefused) as exc:
            return _error(403, exc.problem, exc.advice)
        except accounts.SignInRefused as exc:
            return _error(401, exc.problem, exc.advice)
        except UserFacingError as exc:
            return _error(400, exc.problem, exc.advice)

    return answered


def _error(status: int, problem: str, advice: str = "",
           headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": problem, "advice": advice}, status_code=status,
                        headers=headers)


async def _body(request: Request, limit: int) -> bytearray:
    """The request's body, refused (413) before more than ``limit`` bytes are read (kept as
    it was received, not copied)."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise RequestRefused(413, f"The request is larger than {limit:,} bytes.")
    received = bytearray()
    async for chunk in request.stream():
        received += chunk
        if len(received) > limit:
            raise RequestRefused(413, f"The request is larger than {limit:,} bytes.")
    return received


async def _json_body(request: Request, limit: int, *, whole_text: bool = True) -> dict:
    """The request's JSON object, refused (413) before more than ``limit`` bytes are read,
    and (400) if ``whole_text`` and it holds half a character."""
    received = await _body(request, limit)
    try:
        body = json.loads(received)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise RequestRefused(400, "The request is not JSON.") from None
    if not isinstance(body, dict):
        raise RequestRefused(400, "The request is not a JSON object.")
    if whole_text and holds_half_characters(received, body):
        raise RequestRefused(400, "The request holds half a character (a surrogate without "
                                  "its pair), which is not text.")
    return body


def _list(body: dict, key: str, kind: type, most: int = MOST_PULLED) -> list:
    """A list of at most ``most`` ids or numbers, each read as ``kind``; refused (400)
    otherwise."""
    value = body.get(key)
    if not isinstance(value, list) or len(value) > most:
        raise RequestRefused(400, f"The request has no '{key}' list of at most {most:,}.")
    try:
        if kind is int:
            if not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
                raise ValueError
            return value
        return [kind(str(v)) for v in value]
    except ValueError:
        raise RequestRefused(400, f"The request's '{key}' holds something else.") from None


def _text(body: dict, key: str, within: str = "") -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise RequestRefused(400, f"The request has no '{within}{key}'.")
    return value


def _device(body: dict) -> device_rules.DeviceProof | None:
    """The device a sign-in comes from, if it says; refused (400) if it is malformed."""
    value = body.get("device")
    if value is None:
        return None
    if not isinstance(value, dict):
        raise RequestRefused(400, "The request's 'device' is not a JSON object.")
    fields = {key: _text(value, key, "device.") for key in
              ("id", "public_key", "signed_at", "signature")}
    try:
        device_id = uuid.UUID(fields["id"])
    except ValueError:
        raise RequestRefused(400, "The request's 'device.id' is not a device id.") from None
    if device_rules.parse_signed_at(fields["signed_at"]) is None:
        raise RequestRefused(400, "The request's 'device.signed_at' is not a time in UTC "
                                  "(ISO 8601, for example 2026-12-08T09:30:00+00:00).")
    return device_rules.DeviceProof(
        device_id,
        _base64(fields["public_key"], "device.public_key", device_rules.PUBLIC_KEY_BYTES),
        fields["signed_at"],
        _base64(fields["signature"], "device.signature", device_rules.SIGNATURE_BYTES))


def _base64(value: str, name: str, size: int) -> bytes:
    try:
        decoded = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        decoded = b""
    if len(decoded) != size:
        raise RequestRefused(400, f"The request's '{name}' is not {size} bytes in base64.")
    return decoded


def _device_id(account: accounts.Account) -> str | None:
    return None if account.device_id is None else str(account.device_id)


def _bearer(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise RequestRefused(401, "Sign in first.", "Send the token from POST /session.",
                             {"WWW-Authenticate": "Bearer"})
    return token.strip()


async def _account(engine, request: Request, clock: Clock, *,
                   allow_must_change: bool = False) -> accounts.Account:
    """The account the request's token belongs to; refused if there is none, or if the
    person must change their password first (unless this is how they change it)."""
    account = await run_in_threadpool(accounts.account_for, engine, _bearer(request), clock())
    _check_account(account, allow_must_change=allow_must_change)
    return account


def _check_account(account: accounts.Account | None, *, allow_must_change: bool = False
                   ) -> None:
    """Refuse a request with no current sign-in, or from a person who must change their
    password first (unless this is how they change it)."""
    if account is None:
        raise RequestRefused(401, "The sign-in has expired or is not known.",
                             "Sign in again.", {"WWW-Authenticate": "Bearer"})
    if account.must_change and not allow_must_change:
        raise RequestRefused(403, "Your password was reset: change it before anything else.",
                             "Change it with POST /password.")
