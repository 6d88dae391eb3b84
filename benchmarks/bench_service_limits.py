"""The central service's memory while it refuses a 150 MB body.

A throwaway PostgreSQL server and the service (``aspire central serve``, in a process of its
own as deployed) are started; a person signs in from a laptop's device key. Then a 150 MB
body is sent, each way a hostile client could send it:

- to ``/sync/push`` saying its length (refused from the header, before any of it is read);
- to ``/sync/push`` in chunks without saying its length (refused once 16 MiB have come);
- to ``/sync/transfer`` in chunks (refused once 64 MiB, a transfer file's most, have come).

For each: the service's resident memory at its peak while refusing (Linux's high-water mark,
reset before each try), against its memory at rest measured in the same run just before;
the time to the refusal; and that the service still answers afterwards. Each is repeated
``--runs`` times (default 3) in turn and the largest peak kept.

Run from the repository root: ``python benchmarks/bench_service_limits.py [--runs N]``.
Linux only (it reads ``/proc``).
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat  # noqa: E402

from app.db.device_key import DeviceKey  # noqa: E402
from app.sync.central import add_user, init_central  # noqa: E402
from tests.postgres import start_server  # noqa: E402
from tests.service import free_port, run_serve, wait_until_serving  # noqa: E402

BODY_MB = 150
PIECE = 1024 * 1024
PASSWORD = "a benchmark password of some length"
#: What the service may hold beyond its memory at rest while refusing: the largest body it
#: reads (a transfer file's 64 MiB) with room for the copies made while reading it.
BUDGET_MB = 160


def memory_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise LookupError(field)


def reset_peak(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # the high-water mark starts again


def signed_in(port: int, login: str) -> str:
    private = Ed25519PrivateKey.generate()
    key = DeviceKey(uuid.uuid4(), private.public_key().public_bytes(
        Encoding.Raw, PublicFormat.Raw), private)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("POST", "/session", json.dumps(
        {"login": login, "password": PASSWORD, "device": key.sign_in(login)}),
        {"Content-Type": "application/json"})
    answer = connection.getresponse()
    token = json.loads(answer.read())["token"]
    connection.close()
    return token


def send(port: int, token: str, path: str, *, declared: int | None) -> tuple[int | None, float]:
    """Send 150 MB to ``path`` (saying ``declared`` bytes, or in chunks if None); the status
    the service answered with (None if it closed the connection first) and the seconds to
    its answer."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    started = time.perf_counter()
    connection.putrequest("POST", path)
    connection.putheader("Authorization", f"Bearer {token}")
    connection.putheader("Content-Type", "application/octet-stream")
    if declared is None:
        connection.putheader("Transfer-Encoding", "chunked")
    else:
        connection.putheader("Content-Length", str(declared))
    connection.endheaders()
    piece = b"{" + b" " * (PIECE - 1)
    try:
        for _ in range(BODY_MB):
            if declared is None:
                connection.send(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            else:
                connection.send(piece)
        if declared is None:
            connection.send(b"0\r\n\r\n")
    except OSError:
        pass  # the service answered and closed the connection before the body was all sent
    try:
        status = connection.getresponse().status
    except (OSError, http.client.HTTPException):
        status = None
    elapsed = time.perf_counter() - started
    connection.close()
    return status, elapsed


def healthy(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/health")
    ok = connection.getresponse().status == 200
    connection.close()
    return ok


TRIES = [("push, length said", "/sync/push", BODY_MB * PIECE),
         ("push, chunked", "/sync/push", None),
         ("transfer, chunked", "/sync/transfer", None)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="aspire-bench-") as folder:
        folder = Path(folder)
        server = start_server(folder / "pg")
        process = None
        try:
            central = server.create_database("limits")
            init_central(central)
            add_user(central, login="inspector.one", name="Inspector One", role="inspector",
                     password=PASSWORD)
            port = free_port()
            process = run_serve(folder, "--url", central, "--listen", f"127.0.0.1:{port}")
            wait_until_serving(process, f"http://127.0.0.1:{port}")
            token = signed_in(port, "inspector.one")
            results: dict[str, list[tuple[int | None, float, float, float]]] = {}
            for _run in range(args.runs):
                for name, path, declared in TRIES:
                    healthy(port)
                    rest = memory_mb(process.pid, "VmRSS")
                    reset_peak(process.pid)
                    status, seconds = send(port, token, path, declared=declared)
                    peak = memory_mb(process.pid, "VmHWM")
                    assert healthy(port), "the service stopped answering"
                    results.setdefault(name, []).append((status, seconds, rest, peak))
            print(f"Service refusing a {BODY_MB} MB body ({args.runs} runs; largest peak "
                  "kept; memory at rest measured just before each try)\n")
            print(f"{'sent':22} {'status':>6} {'to refusal':>11} {'at rest':>9} {'peak':>9} "
                  f"{'above rest':>11} {'peak/rest':>10}")
            worst = 0.0
            for name, runs in results.items():
                status, seconds, rest, peak = max(runs, key=lambda r: r[3] - r[2])
                worst = max(worst, peak - rest)
                print(f"{name:22} {status or 'closed':>6} {seconds:10.2f}s {rest:8.0f}M "
                      f"{peak:8.0f}M {peak - rest:10.0f}M {peak / rest:9.2f}×")
            print(f"\nBudget: at most {BUDGET_MB} MB above rest while refusing; worst "
                  f"{worst:.0f} MB: {'met' if worst <= BUDGET_MB else 'NOT MET'}.")
        finally:
            if process is not None:
                process.terminate()
                process.wait(timeout=30)
            server.stop()


if __name__ == "__main__":
    main()
