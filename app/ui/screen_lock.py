"""The screen lock: after a spell without input (or on Ctrl+L) the window hides every case
until the person signed in unlocks it again.

Locking first saves whatever is being typed, then puts the window's screens away behind the
lock page, disables the menus and takes every other window of the app off the screen. A
dialog waiting for an answer (``exec``) cannot simply be hidden, since hiding it would end it
and lose what it holds; it is taken off the screen with ``WA_DontShowOnScreen`` instead, still
open, and the main window is made modal above it so the lock page can be typed into.
Unlocking puts everything back as it was.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QEvent, QObject, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDockWidget,
    QInputDialog,
    QMainWindow,
    QToolBar,
    QToolTip,
    QWidget,
)

from app.errors import UserFacingError
from app.ui.idle_watch import IdleWatch
from app.ui.tasks import Lane, TaskManager
from app.ui.views.lock_page import LockPage

if TYPE_CHECKING:  # the window shows before the storage layer is loaded
    from app.services.database import DatabaseService

log = logging.getLogger(__name__)

LOCK_MINUTES_KEY = "security/lock_minutes"
DEFAULT_MINUTES, FEWEST_MINUTES, MOST_MINUTES = 5, 1, 60
LOCK_SHORTCUT = "Ctrl+L"
_PASSING = (Qt.WindowType.Popup, Qt.WindowType.ToolTip)


def lock_minutes() -> int:
    """The idle time before the lock, as the person set it (1–60 minutes, 5 unless set)."""
    try:
        minutes = int(QSettings().value(LOCK_MINUTES_KEY, DEFAULT_MINUTES))
    except (TypeError, ValueError):
        minutes = DEFAULT_MINUTES
    return min(MOST_MINUTES, max(FEWEST_MINUTES, minutes))


def wait_after(failures: int) -> int:
    """Seconds before the next try after ``failures`` refused unlocks in a row: none for the
    first two slips, then 2, 4, 8… up to a minute."""
    return 0 if failures < 3 else min(60, 2 ** (failures - 2))


def _alive(widget: QWidget | None) -> bool:
    return widget is not None and shiboken6.isValid(widget)


@dataclass
class _PutAway:
    """A window taken off the screen, and how it was."""

    window: QWidget
    enabled: bool
    focus: QWidget | None


@dataclass
class _Locked:
    """What the lock hid, to be put back exactly as it was."""

    content: QWidget
    focus: QWidget | None
    title: str
    active: QWidget | None
    actions: list[QAction] = field(default_factory=list)
    bars: list[QWidget] = field(default_factory=list)
    windows: list[_PutAway] = field(default_factory=list)
    modal: bool = False


class ScreenLock(QObject):
    """Locks ``window`` when nobody has used the app for the set time, or on request."""

    locked = Signal()

    def __init__(self, window: QMainWindow, tasks: TaskManager):
        super().__init__(window)
        self._window = window
        self._tasks = tasks
        self._database: DatabaseService | None = None
        self._user = ""
        self._save_typing: Callable[[], None] = lambda: None
        self._state: _Locked | None = None
        self.page: LockPage | None = None
        self._failures = 0
        self._checking = False
        self.idle = IdleWatch(lock_minutes() * 60_000, self)
        self.idle.idle.connect(self.lock)
        self.lock_action = QAction(self.tr("&Lock now"), window)
        self.lock_action.setShortcut(QKeySequence(LOCK_SHORTCUT))
        # from the dashboard and the other windows beside the main one, too
        self.lock_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        self.lock_action.triggered.connect(self.lock)
        self.settings_action = QAction(self.tr("Screen &lock…"), window)
        self.settings_action.triggered.connect(self.choose_lock_time)
        for action in (self.lock_action, self.settings_action):
            action.setEnabled(False)

    def attach(self, database: DatabaseService, user: str,
               save_typing: Callable[[], None]) -> None:
        """Arm the lock over an open ``database`` (it checks the passphrase or the
        keyring), for ``user``; ``save_typing`` saves typing in progress."""
        self._database, self._user = database, user
        self._save_typing = save_typing
        self.lock_action.setEnabled(True)
        self.settings_action.setEnabled(True)
        self.idle.start()

    @property
    def is_locked(self) -> bool:
        return self._state is not None

    @property
    def checking(self) -> bool:
        """Whether a passphrase or the keyring is being checked."""
        return self._checking

    def choose_lock_time(self) -> None:
        minutes, ok = QInputDialog.getInt(
            self._window, self.tr("Screen lock"),
            self.tr("Lock the window after this many minutes without use of the keyboard or "
                    "mouse:"), lock_minutes(), FEWEST_MINUTES, MOST_MINUTES, 1)
        if not ok:
            return
        QSettings().setValue(LOCK_MINUTES_KEY, minutes)
        self.idle.set_limit(minutes * 60_000)
        self.idle.start()
        self._window.statusBar().showMessage(self.tr(
            "The window will lock after {n} minute(s) without use.").format(n=minutes), 10000)

    # -- locking --------------------------------------------------------------------------
    def lock(self) -> None:
        if self._database is None or self._state is not None or not self._window.isVisible():
            return  # no database open yet, locked already, or the window has closed
        self.idle.stop()
        try:
            self._save_typing()  # before anything is hidden: nothing typed may be lost
        except Exception:
            # the typing stays in its field, to be saved after the unlock; the lock goes on
            log.exception("typing in progress could not be saved before the lock")
        _close_passing_windows()
        window = self._window
        self._state = self._cover_window()
        for top in QApplication.topLevelWidgets():
            if top is not window and top.isVisible() and self._belongs(top):
                self._put_away(top)
        QApplication.instance().installEventFilter(self)
        self._bring_forward()
        log.info("window locked")
        self.locked.emit()

    def _cover_window(self) -> _Locked:
        """The lock page in place of the screens; menus, bars and shortcuts off."""
        window = self._window
        focus, active = window.focusWidget(), QApplication.activeWindow()
        state = _Locked(content=window.takeCentralWidget(), focus=focus,
                        title=window.windowTitle(), active=active)
        state.content.setParent(window)
        state.content.hide()
        self.page = LockPage(user=self._user, kind=self._database.unlock_kind)
        self.page.unlock_requested.connect(self._try_unlock)
        window.setCentralWidget(self.page)
        self.page.show()  # at once, not when the layout next gets round to it
        window.setWindowTitle(self.tr("ASPIRE Casework — Locked"))
        window.menuBar().setEnabled(False)
        direct = Qt.FindChildOption.FindDirectChildrenOnly
        state.actions = [a for a in window.findChildren(QAction, options=direct)
                         if a.isEnabled()]
        for action in state.actions:
            action.setEnabled(False)
        bars = [window.statusBar(), *window.findChildren(QToolBar, options=direct),
                *window.findChildren(QDockWidget, options=direct)]
        state.bars = [bar for bar in bars if bar.isVisible()]
        for bar in state.bars:
            bar.hide()
        return state

    def _belongs(self, top: QWidget) -> bool:
        """Whether a window is this main window's (or the app's own), and not the lock's."""
        widget = top
        while widget.parentWidget() is not None:
            if widget is self.page:
                return False
            widget = widget.parentWidget()
        return not (isinstance(widget, QMainWindow) and widget is not self._window)

    def _put_away(self, top: QWidget) -> None:
        if top.windowType() in _PASSING:
            top.close()
            return
        if top.testAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen):
            # a dialog drawn by the system (a file chooser) cannot be kept open unseen:
            # it is cancelled, which loses no more than the choice of a file
            if isinstance(top, QDialog):
                top.reject()
            else:
                top.close()
            return
        self._state.windows.append(_PutAway(
            top, not top.testAttribute(Qt.WidgetAttribute.WA_ForceDisabled), top.focusWidget()))
        top.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
        top.setEnabled(False)

    def _bring_forward(self) -> None:
        """With a dialog still open (off the screen) the main window is modal above it, so
        the lock page takes the keyboard and the mouse."""
        state = self._state
        if state is None:
            return
        modal = QApplication.activeModalWidget()
        if modal is not None and modal is not self._window:
            self._set_modal(True)
            state.modal = True
        self._window.activateWindow()
        self._window.raise_()
        if self.page is not None:
            self.page.focus_entry()

    def _set_modal(self, on: bool) -> None:
        # a window's modality changes only as it is shown
        window = self._window
        window.setVisible(False)
        window.setWindowModality(Qt.WindowModality.ApplicationModal if on
                                 else Qt.WindowModality.NonModal)
        window.setVisible(True)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # installed on the application only while locked
        kind = event.type()
        if (kind == QEvent.Type.Show and isinstance(watched, QWidget) and watched.isWindow()
                and watched is not self._window and watched.windowType() not in _PASSING
                and self._belongs(watched)):
            # something finished in the background and opened a window: keep it unseen
            self._put_away(watched)
            if watched.isModal():
                QTimer.singleShot(0, self._bring_forward)
        elif kind == QEvent.Type.Close and watched is self._window and self._state:
            self._let_go()
        return False

    def _let_go(self) -> None:
        """The window is closing while locked: end the unseen dialogs so the app can stop."""
        for hidden in self._state.windows:
            top = hidden.window
            if _alive(top):
                top.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, False)
                if isinstance(top, QDialog):
                    top.reject()
                else:
                    top.close()
        self._state.windows.clear()

    # -- unlocking ------------------------------------------------------------------------
    def _try_unlock(self, passphrase: str) -> None:
        if self._checking or self._state is None:
            return
        self.page.set_checking()
        database = self._database
        # a key derivation, or the keyring's own prompt: off the GUI thread either way
        self._checking = True
        self._tasks.run(lambda: database.unlock(passphrase or None), self._checked,
                        lane=Lane.IO, on_error=self._check_failed)

    def _checked(self, right: object) -> None:
        self._checking = False
        if self._state is None or not _alive(self.page):
            return
        if right:
            self._failures = 0
            self._restore()
            return
        self._failures += 1
        log.info("unlock refused (%d in a row)", self._failures)
        reason = (self.tr("That passphrase is not right. The window stays locked.")
                  if self.page.kind == "passphrase" else
                  self.tr("The database key could not be read from the keyring. The window "
                          "stays locked."))
        self.page.refuse(reason, wait_after(self._failures))

    def _check_failed(self, exc: BaseException) -> None:
        self._checking = False
        if self._state is None or not _alive(self.page):
            return
        problem = exc.problem if isinstance(exc, UserFacingError) else str(exc)
        self.page.refuse(self.tr("The unlock could not be checked: {problem}").format(
            problem=problem))

    def _restore(self) -> None:
        state, self._state = self._state, None
        QApplication.instance().removeEventFilter(self)
        window = self._window
        if state.modal:
            self._set_modal(False)
        self._uncover_window(state)
        for hidden in state.windows:
            _bring_back(hidden)
        if _alive(state.focus) and state.focus.isVisible():
            state.focus.setFocus(Qt.FocusReason.OtherFocusReason)
        front = state.active if _alive(state.active) and state.active.isVisible() else window
        front.activateWindow()
        front.raise_()
        log.info("window unlocked")
        self.idle.start()

    def _uncover_window(self, state: _Locked) -> None:
        window = self._window
        window.takeCentralWidget().deleteLater()
        self.page = None
        window.setCentralWidget(state.content)
        state.content.show()
        window.menuBar().setEnabled(True)
        for action in state.actions:
            action.setEnabled(True)
        for bar in state.bars:
            bar.show()
        window.setWindowTitle(state.title)


def _bring_back(hidden: _PutAway) -> None:
    top = hidden.window
    if not _alive(top):
        return
    top.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, False)
    top.setEnabled(hidden.enabled)
    if top.isVisible() and top.windowHandle() is not None:
        top.windowHandle().setVisible(True)
        if _alive(hidden.focus):
            hidden.focus.setFocus(Qt.FocusReason.OtherFocusReason)


def _close_passing_windows() -> None:
    """Menus, lists dropped down and tooltips close rather than wait for the unlock."""
    QToolTip.hideText()
    while (popup := QApplication.activePopupWidget()) is not None:
        popup.close()
        if QApplication.activePopupWidget() is popup:
            break
