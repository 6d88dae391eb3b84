"""Modal dialogs that are let go once answered."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog


def run_modal(dialog: QDialog) -> int:
    """Show ``dialog`` until it is answered and return how (``exec``'s result); Qt then
    deletes it when control returns to the event loop.

    A dialog made with the window as its parent would otherwise live as long as the window,
    one more for every time it is opened, and be torn down only when the app ends, in an
    order Qt does not promise. What the caller reads from the dialog after it is answered
    (its result, the record it saved) is still there until this slot returns.
    """
    try:
        return dialog.exec()
    finally:
        dialog.deleteLater()
