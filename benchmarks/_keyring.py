"""A keyring kept in a file of the benchmark's own folder, for the benchmarks that start the
app in processes of their own: they run the same on a machine with no keyring (a server, a
build machine) and never touch the keyring of the person running them. It holds only the
keys of the benchmark's own databases of made-up cases. Chosen with
``PYTHON_KEYRING_BACKEND=_keyring.FileKeyring`` and ``ASPIRE_BENCH_KEYRING=FILE``."""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

#: what the benchmark sets in its children's environment to use this keyring
BACKEND = "_keyring.FileKeyring"
FILE = "ASPIRE_BENCH_KEYRING"


def environment(file: Path) -> dict[str, str]:
    """What a child process's environment needs to keep its keys in ``file``."""
    here = str(Path(__file__).resolve().parent)
    path = os.pathsep.join(p for p in (here, os.environ.get("PYTHONPATH", "")) if p)
    return {"PYTHON_KEYRING_BACKEND": BACKEND, FILE: str(file), "PYTHONPATH": path}


class FileKeyring(KeyringBackend):
    priority = 1

    @property
    def _file(self) -> Path:
        return Path(os.environ[FILE])

    def _items(self) -> dict[str, str]:
        try:
            return json.loads(self._file.read_text())
        except FileNotFoundError:
            return {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._items().get(f"{service}\n{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        items = self._items()
        items[f"{service}\n{username}"] = password
        self._file.write_text(json.dumps(items))

    def delete_password(self, service: str, username: str) -> None:
        items = self._items()
        if items.pop(f"{service}\n{username}", None) is None:
            raise PasswordDeleteError(username)
        self._file.write_text(json.dumps(items))
