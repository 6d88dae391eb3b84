"""A plugin of the test suite (``-p tests.cheap_hashing`` in pyproject.toml), loaded before
anything imports the app: passwords are hashed at the lowest cost in the test run and in
every process it starts (``sitecustomize`` here says why)."""

import os
from pathlib import Path

from tests.cheap_hashing import sitecustomize  # noqa: F401  (the test run's own)

os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [
    str(Path(__file__).parent), os.environ.get("PYTHONPATH")]))
