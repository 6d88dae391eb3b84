"""Checking at start-up that the installed Qt binding keeps Python's reference counts.

PySide6 6.12.0 on Python 3.11 takes a reference from ``None`` at every call of a Qt method that
returns nothing, and one from ``True`` at every signal emitted, and never gives them back. After
a few hundred answers Python frees one of them and the process ends at once ("Fatal Python
error: none_dealloc"), taking the window with it. From Python 3.12 ``None``, ``True`` and
``False`` are immortal, so no binding can free them there.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import PySide6
from PySide6.QtCore import QMetaObject, QObject, QTimer, Signal, Slot

from app.core.memory import collector_paused

#: The PySide6 release every release of the app is tested with (see constraints.txt).
TESTED_QT = "6.11.3"

#: Rounds of the start-up probe. Each round makes six calls, so a leaky binding loses a few
#: dozen references at most: far from the hundreds that would free ``None`` or ``True``.
ROUNDS = 6

_WATCHED = (None, True, False)


class _Sender(QObject):
    flag = Signal(bool)
    bare = Signal()

    @Slot(bool)
    def take(self, value: bool) -> None:
        pass


def _ignore() -> None:
    pass


class BindingExercise:
    """The calls through which a binding can lose references, ``rounds`` times over on each call:
    void method calls, emits of Python-defined signals to Python and C++ slots, and a C++ slot
    called through Qt's meta-object system.

    The objects are made and connected beforehand, as PySide6 keeps a reference to ``None`` for
    every connection made; they go with the exercise."""

    def __init__(self, rounds: int = ROUNDS):
        self._rounds = rounds
        self._holder, self._timer, self._sender = QObject(), QTimer(), _Sender()
        self._sender.flag.connect(self._sender.take)
        self._sender.bare.connect(_ignore)
        self._sender.bare.connect(self._timer.stop)

    def __call__(self) -> None:
        holder, timer, sender = self._holder, self._timer, self._sender
        for _ in range(self._rounds):
            holder.setObjectName("probe")
            timer.stop()
            QMetaObject.invokeMethod(timer, "stop")
            sender.flag.emit(True)
            sender.flag.emit(False)
            sender.bare.emit()


def binding_problem(probe: Callable[[], object] | None = None) -> str | None:
    """Why the installed Qt binding cannot be trusted to run the window, or None if it can.

    Runs ``probe`` (by default a :class:`BindingExercise`, well under a millisecond) twice, the
    first time to let Qt and Python fill their caches, and compares the reference counts of
    ``None``, ``True`` and ``False`` around the second. Any change is a problem; references
    lost are given back, so the probe itself brings no crash nearer. The message says what is
    wrong and what to install. Always None on Python 3.12 and newer, where those three objects
    are immortal.

    Works with or without a QCoreApplication and makes no Qt object that outlives the call.
    Exact while no other Python thread runs, so call it before the first worker starts.
    """
    if sys.version_info >= (3, 12):
        # Counts may move even there (6.11.3 lowers True's for every True passed to a Python
        # slot), but an immortal object is never freed: nothing to report.
        return None
    if probe is None:
        probe = BindingExercise()
    # Paused: a collection would free objects that hold references to None and the rest.
    with collector_paused():
        probe()
        before = [sys.getrefcount(watched) for watched in _WATCHED]
        probe()
        after = [sys.getrefcount(watched) for watched in _WATCHED]
    changes = [now - then for now, then in zip(after, before, strict=True)]
    if not any(changes):
        return None
    for watched, change in zip(_WATCHED, changes, strict=True):
        # Both runs lost the same: given back, the count is what the objects' holders expect.
        _give_back(watched, -2 * change)
    return (
        f"The Qt binding installed, PySide6 {PySide6.__version__} on Python "
        f"{sys.version.split()[0]}, mishandles Python's reference counts, so the window "
        "would close unexpectedly after a few hundred answers. Reinstall ASPIRE Casework "
        f"with the versions it is tested with (PySide6-Essentials {TESTED_QT}), in the folder "
        "it was installed from:\n\n"
        "    python -m pip install -c constraints.txt .\n\n"
        "or use Python 3.12 or newer."
    )


def _give_back(watched: object, count: int) -> None:
    """Adds ``count`` references to ``watched`` for good (none if ``count`` is not positive)."""
    if count <= 0:
        return
    import ctypes  # only ever needed on a leaky binding

    for _ in range(count):
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(watched))
