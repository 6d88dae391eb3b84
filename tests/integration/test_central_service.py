"""The central service, run for real (``aspire central serve``) over a throwaway PostgreSQL:
where it listens, TLS, and the health and version endpoints."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy.engine import make_url

from app import __version__
from app.errors import ValidationError
from app.server.serve import listen_on
from app.sync.central import init_central
from app.sync.protocol import PROTOCOL_VERSION
from tests.service import free_port, run_serve


def test_a_new_store_is_healthy_and_says_its_versions_before_and_after_init(
        central_url, start_service):
    service = start_service(central_url)
    assert service.get("/health") == (200, {"status": "ok"})
    assert service.get("/version") == (200, {"app": __version__, "protocol": PROTOCOL_VERSION,
                                             "schema": []})
    heads = init_central(central_url)
    assert service.get("/version")[1]["schema"] == heads != []


def test_a_database_that_does_not_answer_makes_the_service_unavailable_not_dead(
        central_url, start_service):
    missing = make_url(central_url).set(database="no_such_store").render_as_string(
        hide_password=False)
    service = start_service(missing)
    assert service.get("/health") == (503, {"status": "unavailable"})
    assert service.get("/version")[1]["schema"] is None
    assert service.process.poll() is None  # still running: it recovers when the store is back


def self_signed(folder: Path, host: str = "127.0.0.1") -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address(host))]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "service.crt", folder / "service.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_with_a_certificate_it_serves_https_only(central_url, start_service, tmp_path):
    cert, key = self_signed(tmp_path)
    trusting = ssl.create_default_context(cafile=str(cert))
    service = start_service(central_url, "--tls-cert", str(cert), "--tls-key", str(key),
                            scheme="https", context=trusting)
    assert service.get("/health", trusting) == (200, {"status": "ok"})
    with pytest.raises(urllib.error.URLError):  # an unknown certificate is not trusted
        service.get("/health", ssl.create_default_context())
    plain = service.base.replace("https://", "http://")
    with pytest.raises((urllib.error.URLError, ConnectionError, http_errors())):
        urllib.request.urlopen(plain + "/health", timeout=10).close()


def http_errors() -> type[Exception]:
    import http.client

    return http.client.HTTPException


def test_plain_http_beyond_this_computer_is_refused_before_anything_is_asked(tmp_path):
    port = free_port()
    refused = run_serve(tmp_path, "--url", "postgresql://aspire_service@db.example/aspire",
                        "--listen", f"0.0.0.0:{port}", password=False)
    _out, err = refused.communicate(timeout=60)
    assert refused.returncode != 0
    assert "Plain HTTP is refused on 0.0.0.0" in err and "--tls-cert" in err
    with socket.socket() as probe:  # and nothing listens there
        assert probe.connect_ex(("127.0.0.1", port)) != 0


@pytest.mark.parametrize(("address", "problem"), [
    ("8443", "is not an address to listen on"),
    ("127.0.0.1:0", "is not an address to listen on"),
    ("127.0.0.1:70000", "is not an address to listen on"),
    ("service.example:443", "Plain HTTP is refused on service.example"),
    ("10.1.2.3:8443", "Plain HTTP is refused on 10.1.2.3"),
])
def test_listen_addresses_are_checked(address, problem):
    with pytest.raises(ValidationError, match=problem):
        listen_on(address)


def test_loopback_addresses_may_serve_plain_http_and_tls_needs_both_files(tmp_path):
    assert listen_on("[::1]:8443").host == "::1"
    assert listen_on("localhost:8443").port == 8443
    cert, key = self_signed(tmp_path)
    assert listen_on("0.0.0.0:443", cert, key).tls
    with pytest.raises(ValidationError, match="needs its private key"):
        listen_on("0.0.0.0:443", cert, None)
    with pytest.raises(ValidationError, match="is not a file"):
        listen_on("0.0.0.0:443", cert, tmp_path / "missing.key")


def test_the_services_database_sessions_run_under_time_limits(central_url):
    from sqlalchemy import text

    from app.sync.central import SERVICE_LIMITS_MS, central_engine

    engine = central_engine(central_url, service=True)
    try:
        with engine.connect() as conn:
            shown = {name: conn.execute(text(f"SHOW {name}")).scalar()
                     for name in SERVICE_LIMITS_MS}
    finally:
        engine.dispose()
    assert shown == {"statement_timeout": "30s", "lock_timeout": "10s",
                     "idle_in_transaction_session_timeout": "1min"}
