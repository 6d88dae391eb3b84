"""Noticing that nobody is at the keyboard: the screen lock's trigger."""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication

#: What counts as someone using the app. Timers, painting, sync and other background work
#: never keep it awake.
INPUT_EVENTS = frozenset({
    QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonDblClick,
    QEvent.Type.MouseMove, QEvent.Type.Wheel, QEvent.Type.TouchBegin,
    QEvent.Type.TouchUpdate, QEvent.Type.TabletPress, QEvent.Type.TabletMove,
    QEvent.Type.InputMethod, QEvent.Type.NativeGesture,
})


def _now() -> tuple[float, float]:
    return time.monotonic(), time.time()


def _seconds_since(then: tuple[float, float]) -> float:
    """Time since ``then``. The wall clock also counts a laptop's sleep, which the monotonic
    clock may not; the monotonic clock guards against the wall clock being set back."""
    monotonic, wall = _now()
    return max(monotonic - then[0], wall - then[1])


class IdleWatch(QObject):
    """Emits ``idle`` once nobody has used the keyboard, mouse or screen for ``limit_ms``.

    The watch listens to every event of the application, so to cost next to nothing while
    someone is working it stops listening at the first input it hears and listens again at
    its next check. A lock therefore comes at most one check (a tenth of the limit, five
    seconds at most) late. The wall clock counts too (it includes a laptop's sleep), so a
    clock set forward locks early, the safe way round.
    """

    idle = Signal()

    def __init__(self, limit_ms: int, parent: QObject | None = None):
        super().__init__(parent)
        self._heard = False
        self._listening = False
        self._last_input = _now()
        self._check = QTimer(self)
        self._check.timeout.connect(self._tick)
        self.set_limit(limit_ms)

    @property
    def limit_ms(self) -> int:
        return self._limit_ms

    def set_limit(self, limit_ms: int) -> None:
        self._limit_ms = max(1, int(limit_ms))
        self._check.setInterval(min(5000, max(10, self._limit_ms // 10)))

    def start(self) -> None:
        """Count from now."""
        self._last_input = _now()
        self._heard = False
        self._listen(True)
        self._check.start()

    def stop(self) -> None:
        self._check.stop()
        self._listen(False)

    def is_running(self) -> bool:
        return self._check.isActive()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in INPUT_EVENTS:
            self._heard = True
            self._listen(False)  # heard enough until the next check
        return False

    def _listen(self, on: bool) -> None:
        app = QApplication.instance()
        if on == self._listening or app is None:
            return
        self._listening = on
        if on:
            app.installEventFilter(self)
        else:
            app.removeEventFilter(self)

    def _tick(self) -> None:
        if self._heard:
            self._heard = False
            self._last_input = _now()
            self._listen(True)
        elif _seconds_since(self._last_input) * 1000 >= self._limit_ms:
            self.idle.emit()
