"""The key that encrypts the local database, and where it comes from.

A database is encrypted with a random 256-bit key kept in the operating system's keyring
(Windows Credential Manager, macOS Keychain, the Secret Service on Linux). Where no keyring is
available the key is derived from a passphrase the user sets, with scrypt and the database
file's own random salt (SQLCipher keeps it in the file's first 16 bytes), so no other file is
needed to open it. The key lives only in memory: it is never written to disk in plain text
and never logged (``repr`` hides it).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from app.errors import DatabaseError, KeyNeededError, ValidationError, WrongKeyError

log = logging.getLogger(__name__)

SQLITE_HEADER = b"SQLite format 3\x00"
SMALLEST_DATABASE = 512  # one page of the smallest page size
KEY_BYTES = 32
SALT_BYTES = 16
MIN_PASSPHRASE = 10
KEYRING_SERVICE = "ASPIRE Casework database key"
#: scrypt cost: about 0.1 s and 32 MiB on a laptop, once per start (and per unlock).
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1


class KeySource(Enum):
    KEYRING = "keyring"
    PASSPHRASE = "passphrase"


@dataclass(frozen=True, repr=False)
class DatabaseKey:
    """Raw key material for SQLCipher. ``salt`` is set for passphrase keys."""

    raw: bytes = field(repr=False)
    source: KeySource
    salt: bytes | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if len(self.raw) != KEY_BYTES:
            raise ValueError("a database key is 32 bytes")
        if self.salt is not None and len(self.salt) != SALT_BYTES:
            raise ValueError("a database salt is 16 bytes")

    def __repr__(self) -> str:
        return f"DatabaseKey(source={self.source.value}, key=<hidden>)"

    def pragma_value(self) -> str:
        """The value for ``PRAGMA key``: a raw key (no key derivation on every connection),
        with the salt when a new passphrase-keyed file is created."""
        material = self.raw.hex() + (self.salt.hex() if self.salt else "")
        return f"\"x'{material}'\""

    def matches(self, other: DatabaseKey) -> bool:
        return hmac.compare_digest(self.raw, other.raw)


def stretch(passphrase: str, salt: bytes) -> bytes:
    """A 256-bit key from a passphrase (scrypt): the database's, and a transfer file's."""
    return hashlib.scrypt(passphrase.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R,
                          p=SCRYPT_P, maxmem=64 * 1024 * 1024, dklen=KEY_BYTES)


def derive(passphrase: str, salt: bytes) -> DatabaseKey:
    return DatabaseKey(stretch(passphrase, salt), KeySource.PASSPHRASE, salt)


def new_salt() -> bytes:
    return secrets.token_bytes(SALT_BYTES)


def random_key() -> DatabaseKey:
    return DatabaseKey(secrets.token_bytes(KEY_BYTES), KeySource.KEYRING)


def passphrase_problem(passphrase: str) -> str | None:
    """Why a new passphrase will not do, or None."""
    if len(passphrase) < MIN_PASSPHRASE:
        return f"A passphrase needs at least {MIN_PASSPHRASE} characters."
    if len(set(passphrase)) < 4:
        return "A passphrase needs more than a few different characters."
    return None


def apply_key(dbapi_connection, key: DatabaseKey | None) -> None:
    """The key must be the first thing a connection is given. The statement is sent to the
    driver directly, so it never passes through SQLAlchemy's statement logging."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA cipher_log_level = NONE")  # a wrong key is reported, not printed
    if key is not None:
        cursor.execute(f"PRAGMA key = {key.pragma_value()}")
    cursor.close()


def wrong_key_error(path: Path, key: DatabaseKey) -> WrongKeyError:
    if key.source is KeySource.PASSPHRASE:
        problem, advice = "with this passphrase", (
            "Type the passphrase again (capital letters count). If it is lost, the database "
            "cannot be read by anyone: keep the file, and ask your administrator; what was "
            "synced can be brought back from the central store.")
    else:
        problem, advice = "with the key kept in this computer's keyring", (
            "If the database was copied from another computer or account, open it there. "
            "Otherwise keep the file and ask your administrator; what was synced can be "
            "brought back from the central store.")
    return WrongKeyError(
        f"The database {path} cannot be opened {problem}: either the key is wrong or the "
        "file is not an ASPIRE Casework database. It has not been changed.", advice)


def passphrase_needed(path: Path) -> str | None:
    """Before opening: "new" when a passphrase must be chosen, "existing" when the file's
    passphrase must be typed, None when the keyring holds the key (a new database's key is
    put there now) or the file cannot be opened anyway (opening then says why)."""
    try:
        resolve_key(path.expanduser().absolute(), None)
    except KeyNeededError as exc:
        return "new" if exc.new else "existing"
    except DatabaseError:
        return None
    return None


def passphrase_problem_for(path: Path, passphrase: str, *, new: bool) -> str | None:
    """Why ``passphrase`` will not do for the database at ``path`` (a new one too short, an
    existing one that does not open it), or None. Reads the file, never writes it."""
    if new:
        return passphrase_problem(passphrase)
    import contextlib

    from sqlcipher3 import dbapi2 as sqlcipher

    path = path.expanduser().absolute()
    key = derive(passphrase, file_salt(path))
    try:
        with contextlib.closing(sqlcipher.connect(f"{path.as_uri()}?mode=ro", uri=True)) as conn:
            apply_key(conn, key)
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlcipher.DatabaseError as exc:
        from app.db.storage_errors import is_fault, storage_error

        if is_fault(path, exc):  # a full disk or a held file is not a wrong passphrase
            return storage_error(path, exc, "opened").message
        return wrong_key_error(path, key).message
    return None


def file_salt(path: Path) -> bytes:
    """The salt an encrypted database keeps in its first 16 bytes."""
    with path.open("rb") as handle:
        return handle.read(SALT_BYTES)


def is_encrypted_file(path: Path) -> bool:
    """A non-empty file without SQLite's plain header (what else it may be is checked when it
    is opened)."""
    if not path.is_file() or path.stat().st_size == 0:
        return False
    with path.open("rb") as handle:
        return handle.read(len(SQLITE_HEADER)) != SQLITE_HEADER


def resolve_key(path: Path, passphrase: str | None) -> DatabaseKey:
    """The key for the database at ``path``, creating one for a new (or plain) database.

    In order: the keyring's key for this file; the passphrase of an encrypted file; a new
    random key kept in the keyring; a key from a new passphrase. Raises ``KeyNeededError``
    when a passphrase is needed and none was given.
    """
    stored = keyring_key(path)
    if stored is not None:
        return stored
    if is_encrypted_file(path):
        if path.stat().st_size < SMALLEST_DATABASE:
            raise DatabaseError(
                f"{path} is not an ASPIRE Casework database (it is too small to be one). It "
                "has not been changed.",
                "Choose the right file with --db, or a new file name to start a new database.")
        if not passphrase:
            raise KeyNeededError(
                f"The database {path.name} is protected by a passphrase.",
                "Type its passphrase to open it.")
        return derive(passphrase, file_salt(path))
    if passphrase is None and keyring_available():
        key = random_key()
        try:
            store_in_keyring(path, key)
            return key
        except Exception as exc:  # refused or locked: fall back to a passphrase
            log.warning("the key could not be kept in the keyring: %s", type(exc).__name__)
    if not passphrase:
        raise KeyNeededError(
            f"The database {path.name} will be encrypted, and this computer has no keyring "
            "to keep its key in.",
            "Choose a passphrase; it will be asked for each time ASPIRE Casework starts.",
            new=True)
    problem = passphrase_problem(passphrase)
    if problem:
        raise ValidationError(problem, "Choose a longer passphrase.")
    return derive(passphrase, new_salt())


# -- the operating system's keyring ----------------------------------------------------------

def _entry(path: Path) -> str:
    return str(path.expanduser().absolute())


def keyring_available() -> bool:
    """Whether a usable keyring backend is configured (no prompt, no read)."""
    try:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
        return not isinstance(backend, fail.Keyring) and backend.priority > 0
    except Exception as exc:  # a broken backend is the same as none
        log.info("no keyring available: %s", type(exc).__name__)
        return False


def keyring_key(path: Path) -> DatabaseKey | None:
    """The key kept in the keyring for the database at ``path``, or None."""
    if not keyring_available():
        return None
    import keyring

    try:
        stored = keyring.get_password(KEYRING_SERVICE, _entry(path))
    except Exception as exc:  # locked, refused or broken: ask for a passphrase instead
        log.warning("the keyring could not be read: %s", type(exc).__name__)
        return None
    if not stored:
        return None
    try:
        return DatabaseKey(bytes.fromhex(stored), KeySource.KEYRING)
    except ValueError:
        log.warning("the keyring entry for the database is not a key; ignored")
        return None


def store_in_keyring(path: Path, key: DatabaseKey) -> None:
    import keyring

    keyring.set_password(KEYRING_SERVICE, _entry(path), key.raw.hex())

