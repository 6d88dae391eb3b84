"""The user guide, shipped as a resource (``resources/help/guide.md``) and shown in the
window: the workflow and every shortcut. F1 opens it from anywhere."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout

from app.config import resources_dir
from app.ui.screens import fitted

GUIDE = "help/guide.md"


def guide_text() -> str:
    return (resources_dir() / GUIDE).read_text(encoding="utf-8")


class HelpDialog(QDialog):
    """Not modal: the guide can stay open beside the form it explains."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("ASPIRE Casework guide"))
        self.text = QTextBrowser()
        self.text.setOpenExternalLinks(False)
        self.text.setAccessibleName(self.tr("User guide"))
        self.text.setMarkdown(guide_text())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
        self.resize(fitted(self, 760, 680))
