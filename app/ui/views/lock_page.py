"""The page the main window shows while it is locked: no case data, only who is signed in
and the way back in."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

INK = "#1f2a33"
QUIET = "#56626c"
ACCENT = "#1f4e79"
PROBLEM = "#a4262c"

STYLE = f"""
#lockPage {{ background: #e9edf0; }}
#lockCard {{ background: #ffffff; border: 1px solid #c9d1d8; border-radius: 8px; }}
#lockCard QLabel {{ color: {INK}; background: transparent; }}
#lockCard QLabel#lockApp {{ color: {QUIET}; font-size: 11px; font-weight: 600;
                            letter-spacing: 2px; }}
#lockCard QLabel#lockTitle {{ font-size: 24px; font-weight: 600; }}
#lockCard QLabel#lockExplain, #lockCard QLabel#lockUser {{ color: {QUIET}; }}
#lockCard QLabel#lockPrompt {{ font-weight: 600; }}
#lockCard QLabel#lockMessage {{ color: {PROBLEM}; }}
#lockCard QLineEdit {{ padding: 6px 8px; border: 1px solid #8a969f; border-radius: 4px;
                       background: #ffffff; color: {INK}; }}
#lockCard QLineEdit:focus {{ border: 2px solid {ACCENT}; padding: 5px 7px; }}
#lockCard QPushButton {{ padding: 7px 22px; border-radius: 4px; border: 1px solid {ACCENT};
                         background: {ACCENT}; color: #ffffff; font-weight: 600; }}
#lockCard QPushButton:focus {{ border: 2px solid #0b0c0c; }}
#lockCard QPushButton:disabled {{ background: #9fb3c6; border-color: #9fb3c6; }}
"""


class Padlock(QWidget):
    """A closed padlock, drawn rather than loaded so the page needs no resources."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setFixedSize(44, 52)

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        colour = QColor(ACCENT)
        painter.setPen(QPen(colour, 5))
        painter.drawArc(QRectF(10, 3, 24, 30), 0, 180 * 16)
        painter.drawLine(10, 18, 10, 24)
        painter.drawLine(34, 18, 34, 24)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawRoundedRect(QRectF(3, 22, 38, 28), 4, 4)
        painter.setBrush(QColor("#ffffff"))
        painter.drawEllipse(QRectF(18.5, 30, 7, 7))
        painter.drawRect(QRectF(20.5, 35, 3, 8))


class LockPage(QWidget):
    """Emits ``unlock_requested(passphrase)`` (an empty passphrase when none is asked for).

    ``kind`` is how the database is unlocked: "passphrase", "keyring" or "none".
    """

    unlock_requested = Signal(str)

    def __init__(self, *, user: str, kind: str, parent=None):
        super().__init__(parent)
        self.kind = kind
        self.setObjectName("lockPage")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.setStyleSheet(STYLE)
        self._wait = 0
        self._reason = ""
        self._countdown = QTimer(self, interval=1000)
        self._countdown.timeout.connect(self._tick)
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setAccessibleName(self.tr("Database passphrase"))
        self.passphrase.setVisible(kind == "passphrase")
        self.passphrase.returnPressed.connect(self._request)
        self.unlock_button = QPushButton(self.tr("Unlock"))
        self.unlock_button.setAutoDefault(True)
        self.unlock_button.clicked.connect(self._request)
        self.message = QLabel()
        self.message.setObjectName("lockMessage")
        self.message.setWordWrap(True)
        self.message.setAccessibleName(self.tr("Unlock message"))
        self._build(user)

    def _build(self, user: str) -> None:
        card = QFrame()
        card.setObjectName("lockCard")
        card.setFixedWidth(420)
        inner = QVBoxLayout(card)
        inner.setContentsMargins(36, 32, 36, 30)
        inner.setSpacing(8)
        top = QHBoxLayout()
        top.setSpacing(16)
        top.addWidget(Padlock(), 0, Qt.AlignmentFlag.AlignTop)
        names = QVBoxLayout()
        names.setSpacing(2)
        names.addWidget(self._label(self.tr("ASPIRE CASEWORK"), "lockApp", wrap=False))
        names.addWidget(self._label(self.tr("Locked"), "lockTitle", wrap=False))
        top.addLayout(names, 1)
        inner.addLayout(top)
        inner.addSpacing(10)
        inner.addWidget(self._label(self.tr(
            "Case data is hidden while you are away. Everything typed before the lock "
            "has been saved."), "lockExplain"))
        inner.addWidget(self._label(self.tr("Signed in as {user}").format(user=user),
                                    "lockUser"))
        inner.addSpacing(14)
        how = {"passphrase": self.tr("Database passphrase"),
               "keyring": self.tr("Unlocking reads the database key from this computer's "
                                  "keyring, which may ask you to confirm it is you."),
               "none": self.tr("This database is not encrypted.")}[self.kind]
        prompt = self._label(how, "lockPrompt" if self.kind == "passphrase" else "lockExplain")
        prompt.setBuddy(self.passphrase)
        inner.addWidget(prompt)
        row = QHBoxLayout()
        row.setSpacing(8)
        row.addWidget(self.passphrase, 1)
        row.addWidget(self.unlock_button, 0 if self.kind == "passphrase" else 1)
        inner.addLayout(row)
        inner.addWidget(self.message)
        middle = QHBoxLayout()
        middle.addStretch(1)
        middle.addWidget(card)
        middle.addStretch(1)
        outer = QVBoxLayout(self)
        outer.addStretch(2)
        outer.addLayout(middle)
        outer.addStretch(3)

    def _label(self, text: str, name: str, *, wrap: bool = True) -> QLabel:
        label = QLabel(text)
        label.setObjectName(name)
        label.setWordWrap(wrap)
        return label

    def focus_entry(self) -> None:
        entry = self.passphrase if self.kind == "passphrase" else self.unlock_button
        entry.setFocus(Qt.FocusReason.OtherFocusReason)

    def set_checking(self) -> None:
        """The passphrase or keyring is being checked."""
        self.message.setText(self.tr("Checking…"))
        self._enable(False)

    def refuse(self, message: str, wait_seconds: int = 0) -> None:
        """Stay locked, say why, and perhaps make the next try wait."""
        self.passphrase.clear()
        self._reason = message
        self._wait = wait_seconds
        self._show_wait()
        if wait_seconds > 0:
            self._enable(False)
            self._countdown.start()
        else:
            self._enable(True)

    def waiting(self) -> bool:
        return self._wait > 0

    def _tick(self) -> None:
        self._wait -= 1
        self._show_wait()
        if self._wait <= 0:
            self._countdown.stop()
            self._enable(True)

    def _show_wait(self) -> None:
        text = self._reason
        if self._wait > 0:
            text += " " + self.tr("You can try again in {n} s.").format(n=self._wait)
        self.message.setText(text)

    def _enable(self, on: bool) -> None:
        self.passphrase.setEnabled(on)
        self.unlock_button.setEnabled(on)
        if on:
            self.focus_entry()

    def _request(self) -> None:
        if self.unlock_button.isEnabled() and not self.waiting():
            self.unlock_requested.emit(self.passphrase.text())
