"""The one policy for Python's cyclic garbage collector: bulk work that makes tens of thousands
of short-lived objects at once may pause it, and so may the start-up check of the Qt binding
(``app/ui/qt_runtime.py``), which must count references undisturbed; nothing else switches it.

Measured (``benchmarks/bench_collector.py``): rating a 2,000-case inspection takes a third
to a half less time with the collector paused (2.0 s against 3.1–3.6 s: left alone it
sweeps the whole growing heap 8–9 times), and a 1,000-case push up to a fifth less; a pull
gains nothing measurable, so it does not pause. Checking a 50,000-row case list's rows
(``app.io.case_lists``) in a process whose heap is already large takes a third less time
paused (1.1 s against 1.3–1.8 s in ``bench_import.py``). The collector is switched for the whole
process, and pauses may overlap on several threads (the push reads the outbox on one and
applies at the central store on another), so pauses are counted: the collector comes back
when the last one ends, and only if it was on when the first began.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_pauses = 0
_was_enabled = True


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic collector for a piece of bulk work (the objects made are freed as
    they go anyway; cycles left are collected once the collector is back)."""
    global _pauses, _was_enabled
    with _lock:
        if _pauses == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _lock:
            _pauses -= 1
            if _pauses == 0 and _was_enabled:
                gc.enable()
