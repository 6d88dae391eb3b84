"""Running the central service: where it listens, and never in plain HTTP beyond this computer.

Plain HTTP is accepted only on a loopback address (tests, trying the service out on one
machine). Anywhere else the service needs a certificate and its key and serves HTTPS, or sits
behind a proxy that terminates TLS and reaches it over loopback.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from app.core.addresses import is_loopback
from app.errors import ValidationError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Listen:
    host: str
    port: int
    cert: Path | None = None
    key: Path | None = None

    @property
    def tls(self) -> bool:
        return self.cert is not None


def listen_on(address: str, cert: Path | None = None, key: Path | None = None) -> Listen:
    """Where to listen, from ``HOST:PORT`` (``[::1]:PORT`` for IPv6), checked: a port in
    range, a certificate with its key or neither, and TLS unless the host is a loopback."""
    host, sep, port_text = address.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not sep or not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValidationError(f"'{address}' is not an address to listen on.",
                              "Give it as HOST:PORT, for example 127.0.0.1:8443 or "
                              "0.0.0.0:443.")
    if (cert is None) != (key is None):
        raise ValidationError("A certificate needs its private key, and a key its "
                              "certificate.", "Give both --tls-cert and --tls-key.")
    for path in (cert, key):
        if path is not None and not path.is_file():
            raise ValidationError(f"{path} is not a file.",
                                  "Give the certificate and key files in PEM format.")
    if cert is None and not is_loopback(host):
        raise ValidationError(
            f"Plain HTTP is refused on {host}: case data would cross the network unencrypted.",
            "Give --tls-cert and --tls-key to serve HTTPS, or listen on 127.0.0.1 behind a "
            "proxy that terminates TLS.")
    return Listen(host, int(port_text), cert, key)


def serve(database_url: str, listen: Listen) -> None:
    """Run the service until it is stopped (Ctrl+C, or SIGTERM from systemd or a container)."""
    import uvicorn

    from app.server.web import create_app

    log.info("central service listening on %s:%s (%s)", listen.host, listen.port,
             "HTTPS" if listen.tls else "HTTP, loopback only")
    uvicorn.run(create_app(database_url), host=listen.host, port=listen.port,
                ssl_certfile=str(listen.cert) if listen.cert else None,
                ssl_keyfile=str(listen.key) if listen.key else None,
                log_level="warning", access_log=False, server_header=False,
                proxy_headers=False)
