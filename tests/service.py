"""The central service run for real, as ``aspire central serve`` in a process of its own on a
loopback port, for the tests that talk to it over HTTP."""

from __future__ import annotations

import json
import os
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT_S = 30


@dataclass
class Service:
    #: None for the service in a thread of the test's own process (``in_thread``)
    process: subprocess.Popen | None
    base: str

    def get(self, path: str, context: ssl.SSLContext | None = None,
            token: str | None = None) -> tuple[int, dict]:
        return self.call("GET", path, None, token, context)[:2]

    def call(self, method: str, path: str, body: object = None, token: str | None = None,
             context: ssl.SSLContext | None = None, *, raw: bytes | None = None,
             headers: dict[str, str] | None = None) -> tuple[int, dict, dict]:
        """(status, JSON answer or {}, headers by lower-case name) of one request."""
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers={"Content-Type": "application/json",
                                                  **(headers or {})})
        if token is not None:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=30, context=context) as answer:
                status, text, got = answer.status, answer.read(), answer.headers
        except urllib.error.HTTPError as failed:
            status, text, got = failed.code, failed.read(), failed.headers
        return (status, json.loads(text) if text else {},
                {name.lower(): value for name, value in got.items()})


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_serve(tmp_path: Path, *args: str, password: bool = True) -> subprocess.Popen:
    env = dict(os.environ, ASPIRE_DATA_DIR=str(tmp_path / "service-data"))
    env.pop("ASPIRE_CENTRAL_PASSWORD", None)
    if password:  # the superuser needs none on loopback; the service asks for one all the same
        env["ASPIRE_CENTRAL_PASSWORD"] = "unused-on-trusted-loopback"
    return subprocess.Popen([sys.executable, "-m", "app", "central", "serve", *args], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_until_serving(process: subprocess.Popen, base: str,
                       context: ssl.SSLContext | None = None) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the service stopped: {process.communicate()[1]}")
        try:
            urllib.request.urlopen(base + "/version", timeout=2, context=context).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("the service did not start listening")


@pytest.fixture
def start_service(tmp_path) -> Iterator:
    started: list[subprocess.Popen] = []

    def start(database_url: str, *extra: str, scheme: str = "http",
              context: ssl.SSLContext | None = None) -> Service:
        port = free_port()
        process = run_serve(tmp_path, "--url", database_url, "--listen", f"127.0.0.1:{port}",
                            *extra)
        started.append(process)
        base = f"{scheme}://127.0.0.1:{port}"
        wait_until_serving(process, base, context)
        return Service(process, base)

    yield start
    for process in started:
        process.terminate()
        try:
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


# -- the service in a thread of the test's own process --------------------------------------
# Most sync tests need a service over a fresh central database each; starting it in a thread
# (the same application and server as ``aspire central serve``, over real loopback HTTP)
# takes milliseconds where a process of its own takes a second or two.

_IN_THREAD: dict[str, tuple[object, object, str]] = {}


def service_in_thread(database_url: str) -> str:
    """The address of a service over ``database_url`` running in this process (started the
    first time it is asked for, stopped by ``stop_services_for``)."""
    if database_url in _IN_THREAD:
        return _IN_THREAD[database_url][2]
    import threading

    import uvicorn

    from app.core.framework_loader import load_frameworks
    from app.server.web import create_app, shipped_frameworks
    from app.sync.judge import published_frameworks
    from tests.conftest import MINI_FRAMEWORKS

    app = create_app(database_url, published=shipped_frameworks()
                     | published_frameworks(load_frameworks(MINI_FRAMEWORKS)))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    # configured as ``app.server.serve`` runs it
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False,
                                           server_header=False, proxy_headers=False,
                                           lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]},
                              name="central-service", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise AssertionError("the central service did not start")
        time.sleep(0.01)
    base = f"http://127.0.0.1:{port}"
    _IN_THREAD[database_url] = (server, thread, base)
    return base


def in_thread(database_url: str) -> Service:
    """The service over ``database_url`` in this process, for tests of what it answers
    rather than of the process it runs in."""
    return Service(None, service_in_thread(database_url))


def stop_services_for(database_url: str) -> None:
    found = _IN_THREAD.pop(database_url, None)
    if found is None:
        return
    server, thread, _base = found
    server.should_exit = True
    thread.join(timeout=30)
