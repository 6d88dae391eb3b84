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
  service's clock, or a wrong signature refuses the sign-in whole (403, naming the reason).
- ``DELETE /session``: signs out (the token ends at once).
- ``GET /me``: who the token belongs to, and the device it was signed in from (or null).
- ``POST /password`` ``{"current", "new"}``: the person changes their own password; every
  session of theirs ends.

Errors are JSON ``{"error": ..., "advice": ...}``, written for the person. Request bodies are
limited before they are read (413). Signing in is the one seam for other ways of proving who
someone is: a sign-in through the inspectorate's single sign-on (OpenID Connect) would end in
the same kind of session, and every other endpoint knows only the session.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app import __version__
from app.core import devices as device_rules
from app.errors import UserFacingError
from app.sync import accounts, devices
from app.sync.central import central_engine, database_answers, schema_revisions

#: The version of the protocol between laptops and the service; raised on any change a laptop
#: of the previous version could not follow.
PROTOCOL_VERSION = 1
#: The largest body of a sign-in or password request.
SMALL_BODY = 16 * 1024

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


def create_app(database_url: str, *, clock: Clock = _utcnow) -> Starlette:
    """The service over the central database at ``database_url`` (which holds its password).

    The database is connected to lazily: the service starts, and says it is unavailable,
    while the database is down, and recovers by itself when it is back.
    """
    engine = central_engine(database_url, service=True)

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
                                _text(body, "current"), _text(body, "new"))
        return Response(status_code=204)

    routes = [Route("/health", health), Route("/version", version),
              Route("/session", _answering(sign_in), methods=["POST"]),
              Route("/session", _answering(sign_out), methods=["DELETE"]),
              Route("/me", _answering(me)),
              Route("/password", _answering(change_password), methods=["POST"])]
    return Starlette(routes=routes, lifespan=lifespan)


def _answering(endpoint: Callable[[Request], Awaitable[Response]]
               ) -> Callable[[Request], Awaitable[Response]]:
    """The endpoint, with refusals and user-facing errors answered as JSON."""

    async def answered(request: Request) -> Response:
        try:
            return await endpoint(request)
        except RequestRefused as refused:
            return _error(refused.status, refused.problem, refused.advice, refused.headers)
        except accounts.TryLater as exc:
            return _error(429, exc.problem, exc.advice, {"Retry-After": str(exc.retry_after)})
        except accounts.LockedOut as exc:
            return _error(423, exc.problem, exc.advice)
        except devices.DeviceRefused as exc:
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


async def _json_body(request: Request, limit: int) -> dict:
    """The request's JSON object, refused (413) before more than ``limit`` bytes are read."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise RequestRefused(413, f"The request is larger than {limit:,} bytes.")
    received = bytearray()
    async for chunk in request.stream():
        received += chunk
        if len(received) > limit:
            raise RequestRefused(413, f"The request is larger than {limit:,} bytes.")
    try:
        body = json.loads(received)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise RequestRefused(400, "The request is not JSON.") from None
    if not isinstance(body, dict):
        raise RequestRefused(400, "The request is not a JSON object.")
    return body


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
    if account is None:
        raise RequestRefused(401, "The sign-in has expired or is not known.",
                             "Sign in again.", {"WWW-Authenticate": "Bearer"})
    if account.must_change and not allow_must_change:
        raise RequestRefused(403, "Your password was reset: change it before anything else.",
                             "Change it with POST /password.")
    return account
