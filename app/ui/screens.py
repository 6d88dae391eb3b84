"""Room on the screen: a window opens within the screen it is on (a 1366×768 laptop at 125%
gives 1093×614) and where it was left, and a dialog is never larger than its window."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings, QSize
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

#: where the main window's place and size are kept between runs
GEOMETRY_KEY = "window/geometry"
#: the share of the screen a window takes when it opens for the first time
FIRST_SHARE = 0.92


def room_for(widget: QWidget) -> QSize:
    """The most a window or dialog may take: a dialog, its window's size; a window, the
    screen's area left by the taskbar."""
    parent = widget.parentWidget()
    if parent is not None and parent.window() is not widget:
        return parent.window().size()
    screen = widget.screen() or QGuiApplication.primaryScreen()
    return screen.availableGeometry().size()


def fitted(widget: QWidget, width: int, height: int) -> QSize:
    """``width`` × ``height``, or less where there is less room."""
    room = room_for(widget)
    return QSize(min(width, room.width()), min(height, room.height()))


def place_window(window: QWidget, width: int, height: int) -> None:
    """Where the window was left last time, if that is still on a screen; else
    ``width`` × ``height`` (or most of a smaller screen), in the middle of it."""
    saved = QSettings().value(GEOMETRY_KEY)
    if isinstance(saved, QByteArray | bytes) and window.restoreGeometry(saved):
        frame = window.frameGeometry()
        if any(s.availableGeometry().intersects(frame) for s in QGuiApplication.screens()):
            return
    screen = window.screen() or QGuiApplication.primaryScreen()
    area = screen.availableGeometry()
    size = QSize(min(width, int(area.width() * FIRST_SHARE)),
                 min(height, int(area.height() * FIRST_SHARE)))
    window.resize(size)
    window.move(area.center().x() - size.width() // 2, area.center().y() - size.height() // 2)


def remember_window(window: QWidget) -> None:
    QSettings().setValue(GEOMETRY_KEY, window.saveGeometry())


def grow_to_words(dialog: QWidget, least_width: int = 440) -> None:
    """A dialog as tall as its words need at its width (which grows with the text size), so
    a message shown in it later is not cut off."""
    width = max(dialog.width(), least_width, dialog.fontMetrics().averageCharWidth() * 62)
    width = fitted(dialog, width, 1).width()
    layout = dialog.layout()
    layout.activate()
    needed = (layout.totalHeightForWidth(width) if layout.hasHeightForWidth()
              else dialog.sizeHint().height())
    dialog.resize(width, max(needed, dialog.minimumSizeHint().height()))
