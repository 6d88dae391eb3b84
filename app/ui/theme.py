"""Colours that read in every theme: each is worked out from the palette in use (light, dark
or a Windows high-contrast one), never fixed, and made to stand at least 4.5:1 against the
background it is drawn on (WCAG 2's ratio for text).

A colour is chosen for its meaning (a problem is red, a finished question green, a notice
amber) and then moved towards the palette's own text colour until it reads; a tinted
background (the question being answered, a notice) is the palette's base with a little of
that colour in it, so a dark theme gets dark tints and a high-contrast theme barely any.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QLabel, QWidget

#: WCAG 2's least contrast for text of ordinary size
LEAST_CONTRAST = 4.5
#: what each meaning starts from, before it is made to read (light theme, dark theme)
_MEANT = {
    "problem": ("#a4262c", "#ff8c8c"),
    "done": ("#0b6a0b", "#7ddc7d"),
    "quiet": ("#505a5f", "#b8c0c6"),
    "notice": ("#6b3d00", "#ffd27a"),
    "returned": ("#a35200", "#ffb066"),
    "submitted": ("#1f5fa8", "#8cc2ff"),
}
_TINT = {"current": ("#1f5fa8", 0.10), "notice": ("#f0b400", 0.22),
         "query": ("#f08c00", 0.22)}


def luminance(colour: QColor) -> float:
    """WCAG 2's relative luminance."""
    def channel(value: float) -> float:
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4
    return (0.2126 * channel(colour.redF()) + 0.7152 * channel(colour.greenF())
            + 0.0722 * channel(colour.blueF()))


def contrast(one: QColor, other: QColor) -> float:
    """WCAG 2's contrast ratio, from 1 (none) to 21 (black on white)."""
    lighter, darker = sorted((luminance(one), luminance(other)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def mixed(one: QColor, other: QColor, share: float) -> QColor:
    """``one`` with ``share`` of ``other`` in it."""
    return QColor.fromRgbF(*(a + (b - a) * share for a, b in zip(
        one.getRgbF()[:3], other.getRgbF()[:3], strict=True)))


def readable(colour: QColor, background: QColor, towards: QColor,
             least: float = LEAST_CONTRAST) -> QColor:
    """``colour``, moved towards ``towards`` (the palette's text colour) only as far as it
    takes to read against ``background``."""
    for step in range(11):
        tried = mixed(colour, towards, step / 10)
        if contrast(tried, background) >= least:
            return tried
    return QColor(towards)


@dataclass(frozen=True)
class Tones:
    """The colours the window draws meanings in, for one palette."""

    text: QColor
    base: QColor
    problem: QColor
    done: QColor
    quiet: QColor
    returned: QColor
    submitted: QColor
    current_background: QColor
    notice_background: QColor
    notice: QColor
    query_background: QColor
    query: QColor


def tones(palette: QPalette | None = None) -> Tones:
    """The colours for ``palette`` (the application's when None); worked out once per
    palette, since every question of a form asks for them each time it is painted."""
    palette = palette or QGuiApplication.palette()
    roles = (QPalette.ColorRole.Base, QPalette.ColorRole.Text, QPalette.ColorRole.Window)
    return _tones(*(palette.color(role).rgba() for role in roles))


@functools.lru_cache(maxsize=16)
def _tones(base_rgba: int, text_rgba: int, window_rgba: int) -> Tones:
    base, text = QColor.fromRgba(base_rgba), QColor.fromRgba(text_rgba)
    window = QColor.fromRgba(window_rgba)
    dark = base.lightness() < 128

    def meant(name: str, on: QColor) -> QColor:
        return readable(QColor(_MEANT[name][dark]), on, text)

    def tint(name: str) -> QColor:
        colour, share = _TINT[name]
        return mixed(base, QColor(colour), share * (1.6 if dark else 1))

    notice_background, query_background = tint("notice"), tint("query")
    return Tones(
        text=text, base=base, problem=meant("problem", base), done=meant("done", base),
        quiet=meant("quiet", window),
        returned=meant("returned", base), submitted=meant("submitted", base),
        current_background=tint("current"), notice_background=notice_background,
        notice=readable(QColor(_MEANT["notice"][dark]), notice_background, text),
        query_background=query_background,
        query=readable(QColor(_MEANT["notice"][dark]), query_background, text))


def paint_text(widget: QWidget, colour: QColor, background: QColor | None = None) -> None:
    """Draw ``widget``'s text in ``colour`` (on ``background``, filled), by its palette:
    no style sheet, so a change of theme can paint it again."""
    palette = widget.palette()
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive,
                  QPalette.ColorGroup.Disabled):
        palette.setColor(group, QPalette.ColorRole.WindowText, colour)
        palette.setColor(group, QPalette.ColorRole.Text, colour)
        if background is not None:
            palette.setColor(group, QPalette.ColorRole.Window, background)
    widget.setPalette(palette)
    if background is not None:
        widget.setAutoFillBackground(True)


def readable_when_locked(widget: QWidget) -> None:
    """A control that cannot be changed (a submitted or approved form) keeps its text as
    readable as when it could: disabled, its text is drawn in the palette's text colour
    rather than greyed to 1.9:1."""
    palette = widget.palette()
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text,
                 QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role,
                         palette.color(QPalette.ColorGroup.Active, role))
    widget.setPalette(palette)


def as_heading(widget: QWidget, scale: float = 1.0) -> QWidget:
    """``widget``'s text bold and ``scale`` times the system's text size, which it follows
    (a heading in fixed pixels would not grow with 150% text)."""
    font = widget.font()
    font.setBold(True)
    if scale != 1.0:
        font.setPointSizeF(QGuiApplication.font().pointSizeF() * scale)
    widget.setFont(font)
    return widget


def notice_label(label: QLabel, kind: str = "notice") -> QLabel:
    """A label drawn as a notice (amber) or a query (orange) in the current theme; call again
    when the theme changes."""
    t = tones()
    if kind == "query":
        paint_text(label, t.query, t.query_background)
    else:
        paint_text(label, t.notice, t.notice_background)
    label.setMargin(5)
    return label
