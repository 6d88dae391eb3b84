"""Bulk work that makes many short-lived objects (tens of thousands of answers at once)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a piece of bulk work. The objects made are
    freed as they go anyway; the collector sweeping the whole heap meanwhile only slows the
    work down and, from a worker thread, stalls the window for a sweep's length."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
