"""Where the database lives unless told otherwise, and what overrides it."""

from __future__ import annotations

from pathlib import Path

import platformdirs

from app.config import APP_AUTHOR, APP_NAME, DB_FILENAME, resolve_settings


def test_default_is_the_per_user_local_data_folder(monkeypatch):
    monkeypatch.delenv("ASPIRE_DATA_DIR", raising=False)
    monkeypatch.delenv("ASPIRE_DB", raising=False)
    expected = Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR, roaming=False))
    assert resolve_settings().db_path == expected / DB_FILENAME


def test_environment_then_option_override(monkeypatch, tmp_path):
    monkeypatch.setenv("ASPIRE_DB", str(tmp_path / "env.db"))
    assert resolve_settings().db_path == tmp_path / "env.db"
    assert resolve_settings(str(tmp_path / "arg.db")).db_path == tmp_path / "arg.db"


def test_user_name_is_recorded_from_the_environment(monkeypatch):
    monkeypatch.setenv("ASPIRE_USER", "j.smith")
    assert resolve_settings().user == "j.smith"
