"""A throwaway PostgreSQL server for the central store's tests.

The tests never depend on a shared server: each run starts its own cluster in a temporary folder
(``initdb`` then ``pg_ctl``) on a private port and socket, and throws it away at the end.

Authentication mirrors the central store: the superuser may connect without a password over the
private socket and from loopback; every other role must give its password over TCP
(scram-sha-256), so the per-person role tests exercise real passwords.

``initdb`` refuses to run as root. When the tests run as root (as in CI) the folder is handed to
the unprivileged ``postgres`` system user and every server command runs as that user.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

SUPERUSER = "central_owner"
SERVER_ACCOUNT = "postgres"
_SOCKET_PATH_LIMIT = 90  # unix socket paths are limited to ~107 bytes, including ".s.PGSQL.NNNNN"
_LOG_TAIL_LINES = 30


class PostgresUnavailable(RuntimeError):
    """The PostgreSQL server binaries are missing or the throwaway server would not start."""


def _has_server_binaries(folder: Path) -> bool:
    return all((folder / name).is_file() and os.access(folder / name, os.X_OK)
               for name in ("initdb", "pg_ctl"))


def _version_key(folder: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", folder.parent.name)) or (0,)


def server_binaries() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``, or None when PostgreSQL is not installed.

    Looks on PATH, then at ``pg_config --bindir``, then at the newest Debian versioned folder
    ``/usr/lib/postgresql/<version>/bin``.
    """
    candidates: list[Path] = []
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).resolve().parent)
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            bindir = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True,
                                    check=True, timeout=30).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            bindir = ""
        if bindir:
            candidates.append(Path(bindir))
    candidates.extend(sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version_key,
                             reverse=True))
    return next((folder for folder in candidates if _has_server_binaries(folder)), None)


def _running_as_root() -> bool:
    return os.geteuid() == 0


def _tail(path: Path, lines: int = _LOG_TAIL_LINES) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no server log)"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class ThrowawayServer:
    folder: Path
    port: int
    socket_dir: Path
    superuser: str
    bindir: Path | None = None

    @property
    def data_dir(self) -> Path:
        return self.folder / "data"

    @property
    def log_file(self) -> Path:
        return self.folder / "server.log"

    def url(self, database: str = "postgres", user: str | None = None,
            password: str | None = None) -> str:
        """A SQLAlchemy URL (psycopg 3) for ``database`` over loopback TCP."""
        credentials = user or self.superuser
        if password is not None:
            credentials += f":{password}"
        return f"postgresql+psycopg://{credentials}@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str = "postgres") -> psycopg.Connection:
        """An autocommit superuser connection over the private socket."""
        return psycopg.connect(host=str(self.socket_dir), port=self.port, user=self.superuser,
                               dbname=database, autocommit=True)

    def create_database(self, name: str, template: str | None = None) -> str:
        """Create a fresh database, empty or a copy of ``template``; return its superuser URL.

        A copy is made file by file (no one may be connected to the template meanwhile): a
        few tens of milliseconds where running the central migrations takes half a second.
        """
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        with self.connect() as conn:
            if template is not None:
                statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
                if conn.info.server_version >= 150000:  # before 15, file by file is the only way
                    statement += sql.SQL(" STRATEGY FILE_COPY")
            conn.execute(statement)
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop a database, first ending any session still connected to it."""
        with self.connect() as conn:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE datname = %s AND pid <> pg_backend_pid()", (name,))
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))

    def stop(self) -> None:
        """Stop the server at once and remove its folder."""
        if self.data_dir.exists() and self.bindir is not None:
            _run_server_command([str(self.bindir / "pg_ctl"), "stop", "-D", str(self.data_dir),
                                 "-m", "immediate", "-w"], cwd=self.folder, check=False)
        shutil.rmtree(self.folder, ignore_errors=True)
        if not self.socket_dir.is_relative_to(self.folder):
            shutil.rmtree(self.socket_dir, ignore_errors=True)


def _run_server_command(args: list[str], cwd: Path, check: bool = True,
                        log_file: Path | None = None) -> subprocess.CompletedProcess[str]:
    if _running_as_root():
        runuser = shutil.which("runuser") or "/usr/sbin/runuser"
        args = [runuser, "-u", SERVER_ACCOUNT, "--", *args]
    try:
        result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=120,
                                stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError) as exc:
        raise PostgresUnavailable(f"could not run {args[0]}: {exc}") from exc
    if check and result.returncode != 0:
        message = f"{' '.join(args)} failed ({result.returncode}):\n{result.stderr.strip()}"
        if log_file is not None:
            message += f"\n--- server log ---\n{_tail(log_file)}"
        raise PostgresUnavailable(message)
    return result


def _make_folders(base: Path) -> tuple[Path, Path]:
    """The server folder and its private socket folder, reachable by the server's account."""
    if _running_as_root():
        try:
            account = pwd.getpwnam(SERVER_ACCOUNT)
        except KeyError as exc:
            raise PostgresUnavailable(
                f"running as root but there is no {SERVER_ACCOUNT!r} system user") from exc
        # pytest's own temporary folders are private to root; use a fresh one the account can reach
        folder = Path(tempfile.mkdtemp(prefix="aspire-pg-", dir="/tmp"))
        folder.chmod(0o755)
    else:
        base.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix="aspire-pg-", dir=base))
    socket_dir = folder / "sock"
    if len(str(socket_dir)) > _SOCKET_PATH_LIMIT:
        socket_dir = Path(tempfile.mkdtemp(prefix="aspire-pg-sock-", dir="/tmp"))
    socket_dir.mkdir(mode=0o700, exist_ok=True)
    if _running_as_root():
        for path in (folder, socket_dir):
            os.chown(path, account.pw_uid, account.pw_gid)
    return folder, socket_dir


_HBA = """\
# TYPE  DATABASE  USER  ADDRESS  METHOD
local   all  all  trust
host    all  {superuser}  127.0.0.1/32  trust
host    all  all  127.0.0.1/32  scram-sha-256
"""

_SETTINGS = """
# throwaway test server
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = '{socket_dir}'
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 16MB
max_connections = 50
password_encryption = 'scram-sha-256'
"""


def start_server(base: Path, attempts: int = 3) -> ThrowawayServer:
    """Create a cluster under ``base`` (or /tmp when root) and start it on a free port."""
    bindir = server_binaries()
    if bindir is None:
        raise PostgresUnavailable(
            "PostgreSQL server binaries (initdb, pg_ctl) not found on PATH, via "
            "`pg_config --bindir`, or under /usr/lib/postgresql/*/bin")
    folder, socket_dir = _make_folders(base)
    server = ThrowawayServer(folder=folder, port=0, socket_dir=socket_dir, superuser=SUPERUSER,
                             bindir=bindir)
    try:
        _run_server_command(
            [str(bindir / "initdb"), "-D", str(server.data_dir), "-U", SUPERUSER,
             "--auth-local=trust", "--auth-host=scram-sha-256", "--no-locale", "-E", "UTF8",
             "--no-sync"], cwd=folder)
        (server.data_dir / "pg_hba.conf").write_text(_HBA.format(superuser=SUPERUSER))
        conf = server.data_dir / "postgresql.conf"
        original = conf.read_text()
        for attempt in range(1, attempts + 1):
            server.port = _free_port()
            conf.write_text(original + _SETTINGS.format(port=server.port, socket_dir=socket_dir))
            started = _run_server_command(
                [str(bindir / "pg_ctl"), "start", "-w", "-t", "60", "-D", str(server.data_dir),
                 "-l", str(server.log_file)], cwd=folder, check=False)
            if started.returncode == 0:
                break
            port_taken = "could not bind" in _tail(server.log_file, 5)
            if attempt == attempts or not port_taken:  # only a port taken meanwhile is retried
                raise PostgresUnavailable(
                    f"pg_ctl start failed ({started.returncode}):\n{started.stderr.strip()}\n"
                    f"--- server log ---\n{_tail(server.log_file)}")
        with server.connect() as conn:
            conn.execute("SELECT 1")
    except PostgresUnavailable:
        server.stop()
        raise
    except Exception as exc:
        log = _tail(server.log_file)
        server.stop()
        raise PostgresUnavailable(f"throwaway server unusable: {exc}\n--- server log ---\n{log}") \
            from exc
    return server
