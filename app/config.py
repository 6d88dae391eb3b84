"""Where the app keeps its files and who is using it. No Qt, no database."""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "ASPIRE Casework"
APP_AUTHOR = "HMI Probation"
DB_FILENAME = "casework.db"

#: Environment variables that override the defaults (also used by the tests).
ENV_DB = "ASPIRE_DB"
ENV_USER = "ASPIRE_USER"
ENV_DATA_DIR = "ASPIRE_DATA_DIR"
ENV_FRAMEWORKS_DIR = "ASPIRE_FRAMEWORKS_DIR"
ENV_RATING_RULES = "ASPIRE_RATING_RULES"  # a rating rules file of the inspectorate's own
ENV_CASE_LIST_NAMES = "ASPIRE_CASE_LIST_NAMES"  # other names for case list columns
ENV_CENTRAL = "ASPIRE_CENTRAL"  # the central store's address, without its password
ENV_PASSWORD = "ASPIRE_CENTRAL_PASSWORD"  # for automation; people are asked instead
ENV_NEW_PASSWORD = "ASPIRE_NEW_PASSWORD"  # for automation of 'central add-user'
ENV_PASSPHRASE = "ASPIRE_PACKAGE_PASSPHRASE"  # for automation of transfer files
ENV_DB_PASSPHRASE = "ASPIRE_DB_PASSPHRASE"  # for automation where no keyring holds the key


def package_root() -> Path:
    """The folder that holds the ``app`` package."""
    return Path(__file__).resolve().parent


def _shipped_folder(name: str) -> Path:
    """A folder shipped with the app: inside the package when installed from a wheel,
    beside it when running from a source checkout."""
    inside = package_root() / name
    if inside.is_dir():
        return inside
    return package_root().parent / name


def resources_dir() -> Path:
    return _shipped_folder("resources")


def migrations_dir() -> Path:
    return _shipped_folder("migrations")


def rating_rules_file() -> Path:
    """The rating rules: the shipped defaults, unless an administrator points
    ``ASPIRE_RATING_RULES`` at the inspectorate's own."""
    override = os.environ.get(ENV_RATING_RULES)
    return Path(override) if override else resources_dir() / "ratings" / "default.json"


def case_list_names_file() -> Path:
    """The other names case lists give columns and coded values: the shipped file, unless an
    administrator points ``ASPIRE_CASE_LIST_NAMES`` at the inspectorate's own."""
    override = os.environ.get(ENV_CASE_LIST_NAMES)
    return Path(override) if override else resources_dir() / "case_lists" / "aliases.json"


def frameworks_dir() -> Path:
    """Where question frameworks are read from: the shipped folder, unless an administrator
    points ``ASPIRE_FRAMEWORKS_DIR`` at a folder of the inspectorate's own."""
    override = os.environ.get(ENV_FRAMEWORKS_DIR)
    return Path(override) if override else resources_dir() / "frameworks"


def user_data_dir() -> Path:
    """The per-user local (not roaming) data folder."""
    override = os.environ.get(ENV_DATA_DIR)
    if override:
        return Path(override)
    return Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR, roaming=False))


def user_log_dir() -> Path:
    override = os.environ.get(ENV_DATA_DIR)
    if override:
        return Path(override) / "logs"
    return Path(platformdirs.user_log_dir(APP_NAME, APP_AUTHOR))


def default_db_path() -> Path:
    return user_data_dir() / DB_FILENAME


def current_user() -> str:
    """The name recorded as ``updated_by`` on every change made on this laptop."""
    name = os.environ.get(ENV_USER)
    if name:
        return name
    try:
        return getpass.getuser()
    except Exception:  # no login name available (rare service accounts)
        return "unknown"


@dataclass(frozen=True)
class Settings:
    db_path: Path
    user: str


def resolve_settings(db_arg: str | None = None) -> Settings:
    """``--db`` wins over ``ASPIRE_DB``, which wins over the per-user default."""
    raw = db_arg or os.environ.get(ENV_DB)
    path = Path(raw).expanduser() if raw else default_db_path()
    return Settings(db_path=path, user=current_user())
