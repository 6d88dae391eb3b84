"""A laptop's connection to the central service, over HTTPS.

The laptop signs in as its person, with the password they give (kept in memory for this sync
only) and its device's signature, then asks for what the sync needs (``app.sync.link``).
Plain HTTP is used only for a service on this same computer. Every request has a time limit
to connect and to answer; one that fails on the way (the network drops, the service restarts,
a proxy answers 502-504) is sent again after a pause that doubles each time, since each
is safe to repeat: the service recognises a change it was sent before. A session that has
expired during a long sync is signed in again once.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import secrets
import ssl
import threading
import time
import uuid
from collections.abc import Callable
from urllib.parse import urlencode, urlsplit

from app.core.addresses import is_loopback
from app.core.pooling import (
    PooledFindings,
    PoolingChoice,
    choice_to_query,
    findings_from_wire,
)
from app.errors import ValidationError
from app.sync.central import CentralError
from app.sync.link import PushedTooSoon
from app.sync.protocol import (
    MOST_CASES,
    PROTOCOL_VERSION,
    PUSHED_TOO_SOON,
    Change,
    Outcome,
    change_text,
    outcome_from_wire,
)

log = logging.getLogger(__name__)

#: Seconds to wait for a connection, and for an answer once a request is sent.
CONNECT_TIMEOUT_S = 15
READ_TIMEOUT_S = 120
#: How long a transfer file may take to be applied before the laptop stops waiting.
TRANSFER_TIMEOUT_S = 30 * 60
#: How many times a request is tried, and the first pause between tries (seconds).
ATTEMPTS = 4
FIRST_PAUSE_S = 0.5
#: The longest the service may ask a sync to wait before a request is tried again.
MOST_WAIT_S = 60
#: Answers that say the service is briefly unavailable (a proxy in front of it, a restart).
_TRY_AGAIN = {502, 503, 504}
#: Ids asked for at once (the service's limit).
MOST_AT_ONCE = 1000
UNREACHABLE = ("The central store cannot be reached just now; your work is safe on this "
               "laptop and will be sent next time.")


def is_service_address(address: str) -> bool:
    return address.lower().startswith(("https://", "http://"))


def check_address(address: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path) of a central service address, or a ValidationError."""
    parts = urlsplit(address.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValidationError(f"'{address}' is not the address of a central service.",
                              "Give it as https://HOST or https://HOST:PORT.")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ValidationError("The central service's address holds more than where it is.",
                              "Give it as https://HOST[:PORT], with no login, password or "
                              "query: the password is asked for.")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ValidationError(
            f"Plain HTTP to {parts.hostname} would send case data unencrypted.",
            "Use the service's https:// address.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise ValidationError(f"'{address}' has no port that is a number.",
                              "Give it as https://HOST:PORT.") from None
    return parts.scheme, parts.hostname, port, parts.path.rstrip("/")


class ServiceLink:
    """One sync's connection to the central service, signed in as ``login``."""

    def __init__(self, address: str, login: str, password: str,
                 sign_device: Callable[[str], dict] | None = None, *,
                 context: ssl.SSLContext | None = None,
                 pause: Callable[[float], None] = time.sleep):
        self._scheme, self._host, self._port, self._path = check_address(address)
        self._login, self._password, self._sign_device = login, password, sign_device
        self._context = context
        self._pause = pause
        #: connections not in use, kept open for the next request (a push may have
        #: another in flight beside it)
        self._idle: list[http.client.HTTPConnection] = []
        self._token: str | None = None
        self._salt = secrets.token_bytes(16)
        self._signed_in_with = b""
        self._lock = threading.Lock()

    def __repr__(self) -> str:  # never the password or the token
        return f"ServiceLink({self._scheme}://{self._host}:{self._port}, {self._login})"

    # -- signing in and out -----------------------------------------------------------------
    def open(self) -> ServiceLink:
        """Sign in, unless a session of this link's is still open (a sync soon after the
        last reuses it: signing in costs the service a password check)."""
        if self._token is not None:
            return self
        version = self._request("GET", "/version", signed_in=False)
        if version.get("protocol") != PROTOCOL_VERSION:
            raise CentralError("The central service speaks another version of the sync "
                               "protocol than this laptop.",
                               "Update ASPIRE Casework on this laptop (or ask your "
                               "administrator to update the service).")
        self._sign_in()
        return self

    def _sign_in(self) -> None:
        body: dict[str, object] = {"login": self._login, "password": self._password}
        if self._sign_device is not None:
            body["device"] = self._sign_device(self._login)
        answer = self._request("POST", "/session", body, signed_in=False)
        if answer.get("must_change"):
            raise CentralError("Your password for the central store was reset and must be "
                               "changed before anything else.",
                               "Change it with Tools → Change central password (or 'aspire "
                               "sync change-password'; an analyst's with 'aspire analysis "
                               "--change-password'), then try again.")
        self._token = str(answer["token"])
        self._signed_in_with = self._fingerprint(self._password)

    def close(self) -> None:
        try:
            if self._token is not None:
                self._request("DELETE", "/session", attempts=1)
        except CentralError:
            pass  # the session ends by itself soon
        finally:
            self._token = None
            self._password = ""
            self._drop_idle()

    def __enter__(self) -> ServiceLink:
        try:
            return self.open()
        except BaseException:
            self._drop_idle()  # a refused sign-in leaves no connection open
            raise

    def __exit__(self, *_exc) -> None:
        self.close()

    def resume(self, password: str) -> None:
        """The password for this sync (a session that has ended is signed in again with it).
        A session is reused only with the password it was opened with."""
        if self._token is not None and not hmac.compare_digest(
                self._fingerprint(password), self._signed_in_with):
            self._token = None
        self._password = password

    def _fingerprint(self, password: str) -> bytes:
        return hashlib.sha256(self._salt + password.encode()).digest()

    def rest(self) -> None:
        """Between syncs: the password is forgotten; the session, which ends by itself
        within minutes, is kept for the next sync to reuse."""
        self._password = ""

    def change_password(self, new: str) -> None:
        """The person's own change of password (after an administrator's reset, say); every
        session of theirs ends."""
        body: dict[str, object] = {"login": self._login, "password": self._password}
        if self._sign_device is not None:
            body["device"] = self._sign_device(self._login)
        self._token = str(self._request("POST", "/session", body, signed_in=False)["token"])
        self._request("POST", "/password", {"current": self._password, "new": new})
        self._token = None

    # -- what a sync asks ---------------------------------------------------------------
    def push(self, changes: list[Change], after: uuid.UUID | None = None) -> list[Outcome]:
        follows = "" if after is None else f'"after":"{after}",'
        body = ('{' + follows + '"changes":[' + ",".join(_sendable(c) for c in changes)
                + "]}").encode()
        answer = self._request("POST", "/sync/push", raw=body)
        outcomes = answer.get("outcomes")
        if not isinstance(outcomes, list) or len(outcomes) != len(changes):
            raise CentralError("The central service's answer to a push is incomplete.",
                               "Sync again; if it happens again, tell your administrator.")
        return [outcome_from_wire(item, change)
                for item, change in zip(outcomes, changes, strict=True)]

    def changes_after(self, cursor: int, limit: int = MOST_AT_ONCE) -> list[dict]:
        answer = self._request("GET", "/sync/changes?" + urlencode(
            {"after": int(cursor), "limit": int(limit)}))
        return _list_of(answer, "changes")

    def payloads(self, seqs: list[int]) -> dict[int, object]:
        found: dict[int, object] = {}
        for start in range(0, len(seqs), MOST_AT_ONCE):
            answer = self._request("POST", "/sync/payloads",
                                   {"seqs": list(seqs[start:start + MOST_AT_ONCE])})
            found.update({int(k): v for k, v in (answer.get("payloads") or {}).items()})
        return found

    def inspection(self, inspection_id: uuid.UUID) -> dict[str, list[dict]]:
        return _tables(self._request("GET", f"/sync/inspections/{inspection_id}"))

    def cases(self, case_ids: list[uuid.UUID]) -> dict[str, list[dict]]:
        if len(case_ids) > MOST_CASES:
            raise ValueError(f"at most {MOST_CASES} cases at once")
        return _tables(self._request("POST", "/sync/cases", {"ids": [
            str(i) for i in case_ids]}))

    def published_frameworks(self) -> list[dict]:
        """The framework versions administrators have published at the store: each one's
        id, version, title, programme and the SHA-256 of its content."""
        return _list_of(self._request("GET", "/frameworks"), "frameworks")

    def published_framework(self, sha256: str) -> str:
        """A published framework version's content (checked against ``sha256``)."""
        answer = self._request("GET", f"/frameworks/{sha256}")
        content = answer.get("content")
        if not isinstance(content, str) or \
                hashlib.sha256(content.encode("utf-8")).hexdigest() != sha256:
            raise CentralError("A question framework the central service sent is not the "
                               "one it lists.",
                               "Sync again; if it happens again, tell your administrator.")
        return content

    def pooled(self, choice: PoolingChoice) -> PooledFindings:
        """Findings pooled across inspections by ``choice`` (an analyst's or an
        administrator's sign-in)."""
        answer = self._request("GET", "/analysis?" + urlencode(choice_to_query(choice)))
        try:
            return findings_from_wire(answer)
        except (KeyError, TypeError, ValueError):
            raise CentralError("The central service's pooled findings are incomplete.",
                               "Ask again; if it happens again, tell your administrator."
                               ) from None

    def apply_transfer(self, content: bytes) -> dict:
        """Bring a transfer file's content (opened at the office) to the service, which
        applies it as the person who made it; its report."""
        # sent once (a file of many changes takes minutes to apply; a second sending would
        # only wait for the first), with as long to answer, on a fresh connection (one kept
        # from earlier may have been closed by the service meanwhile)
        self._drop_idle()
        return self._request("POST", "/sync/transfer", raw=content, attempts=1,
                             content_type="application/octet-stream",
                             read_timeout=TRANSFER_TIMEOUT_S)

    # -- HTTP -----------------------------------------------------------------------------
    def _request(self, method: str, path: str, body: object = None, *,
                 raw: bytes | None = None, signed_in: bool = True,
                 attempts: int = ATTEMPTS, content_type: str = "application/json",
                 read_timeout: float | None = None) -> dict:
        data = raw if raw is not None else (None if body is None
                                            else json.dumps(body).encode())
        renewed = False
        pause = FIRST_PAUSE_S
        for attempt in range(1, attempts + 1):
            status, answer, retry_after = self._send(method, path, data, signed_in,
                                                     content_type, read_timeout)
            if status is None or status in _TRY_AGAIN:
                if attempt == attempts:
                    raise CentralError(UNREACHABLE, _detail(status, answer))
                log.info("the central service did not answer (%s); trying again in %.1f s",
                         status or "no connection", pause)
                self._pause(pause)
                pause *= 2
                continue
            if status == 429 and signed_in and retry_after and retry_after.isdigit() \
                    and int(retry_after) <= MOST_WAIT_S and attempt < attempts:
                log.info("the central service asks this laptop to wait %s s", retry_after)
                self._pause(int(retry_after))
                continue
            if status == 401 and signed_in and not renewed:
                renewed = True  # the session ran out during a long sync
                self._sign_in()
                status, answer, retry_after = self._send(method, path, data, signed_in,
                                                         content_type, read_timeout)
            if 200 <= status < 300:
                return answer
            raise _refusal(status, answer, retry_after, signing_in=not signed_in)
        raise AssertionError("unreachable")  # pragma: no cover

    def _send(self, method: str, path: str, data: bytes | None, signed_in: bool,
              content_type: str = "application/json", read_timeout: float | None = None
              ) -> tuple[int | None, dict, str | None]:
        """(status, JSON answer, Retry-After) of one try; status None if the service could
        not be reached or did not answer in time."""
        headers = {"Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = content_type
        if signed_in and self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        connection = None
        try:
            connection = self._connect()
            # once connected: the answer's
            connection.sock.settimeout(read_timeout or READ_TIMEOUT_S)
            connection.request(method, self._path + path, body=data, headers=headers)
            response = connection.getresponse()
            text = response.read()
            status, retry_after = response.status, response.getheader("Retry-After")
        except ssl.SSLCertVerificationError as exc:
            if connection is not None:
                connection.close()
            raise CentralError(
                "The central service's certificate is not trusted by this laptop "
                f"({exc.verify_message}).",
                "Check the address; if it is right, ask your IT team.") from None
        except (OSError, http.client.HTTPException) as exc:
            if connection is not None:
                connection.close()
            log.info("no answer from the central service (%s)", type(exc).__name__)
            return None, {}, None
        with self._lock:
            self._idle.append(connection)
        try:
            answer = json.loads(text) if text else {}
        except (UnicodeDecodeError, json.JSONDecodeError):
            answer = {}
        return status, answer if isinstance(answer, dict) else {}, retry_after

    def _connect(self) -> http.client.HTTPConnection:
        """A connection of this link's not in use, or a new one."""
        with self._lock:
            if self._idle:
                return self._idle.pop()
        if self._scheme == "https":
            connection = http.client.HTTPSConnection(
                self._host, self._port, timeout=CONNECT_TIMEOUT_S,
                context=self._context or ssl.create_default_context())
        else:
            connection = http.client.HTTPConnection(self._host, self._port,
                                                    timeout=CONNECT_TIMEOUT_S)
        try:
            connection.connect()
        except BaseException:
            connection.close()
            raise
        return connection

    def _drop_idle(self) -> None:
        """Close the connections not in use."""
        with self._lock:
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()


def _sendable(change: Change) -> str:
    """The change as JSON text; a payload the outbox holds in a form that is not JSON is
    sent as nothing, for the service to refuse that change alone."""
    if change.keys is None:
        try:
            json.loads(change.text)
        except ValueError:
            return change_text(Change(change.change_id, change.entity, change.entity_id,
                                      change.op, change.base_rev, change.rev,
                                      text="null", keys=""))
    return change_text(change)


def _list_of(answer: dict, key: str) -> list:
    value = answer.get(key)
    if not isinstance(value, list):
        raise CentralError("The central service's answer is incomplete.",
                           "Sync again; if it happens again, tell your administrator.")
    return value


def _tables(answer: dict) -> dict[str, list[dict]]:
    tables = answer.get("tables")
    if not isinstance(tables, dict) or not all(
            isinstance(rows, list) and all(isinstance(r, dict) for r in rows)
            for rows in tables.values()):
        raise CentralError("The central service's answer is incomplete.",
                           "Sync again; if it happens again, tell your administrator.")
    return tables


def _detail(status: int | None, answer: dict) -> str:
    if status is None:
        return "No answer from the central service."
    return f"The central service answered {status}: {answer.get('error') or 'unavailable'}."


def _refusal(status: int, answer: dict, retry_after: str | None, *,
             signing_in: bool) -> CentralError:
    """What to tell the person when the service refuses a request."""
    problem = str(answer.get("error") or f"The central service refused the request ({status}).")
    advice = str(answer.get("advice") or "")
    if status == 401 and signing_in:
        return CentralError("The central store did not accept your login and password.",
                            "Check the password; your work is safe on this laptop.")
    if status >= 500:
        return CentralError("The central service could not finish this sync; your work is "
                            "safe on this laptop.",
                            "Sync again later; if it happens again, tell your administrator.")
    if status == 429 and retry_after:
        return CentralError(problem, advice or f"Try again in {retry_after} seconds.")
    if status == 409 and answer.get("reason") == PUSHED_TOO_SOON:
        return PushedTooSoon(problem, advice)
    return CentralError(problem, advice)

