"""A case form as a PDF for reading and filing (reportlab), written whole or not at all
(``app.core.atomic_files``).

Every page carries the protective marking, the case and its page number out of the total,
so a printed page that goes astray says what it is.
"""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import registerFontFamily
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from app.config import resources_dir
from app.core.atomic_files import atomic_write
from app.core.case_document import CaseDocument, DocumentQuestion
from app.core.faults import unwritable_folder, written_fault
from app.errors import UserFacingError
from app.io.files import TargetProblem, target_problem

MARKING = "OFFICIAL-SENSITIVE"
MARGIN = 18 * mm
#: A font embedded in every PDF that has every letter of Welsh and of the names in case
#: lists (the built-in Helvetica prints ŵ and ŷ as black boxes): DejaVu Sans, shipped
#: under its licence in resources/fonts.
FONT, BOLD, OBLIQUE = "CaseSans", "CaseSans-Bold", "CaseSans-Oblique"
_FONT_FILES = {FONT: "DejaVuSans.ttf", BOLD: "DejaVuSans-Bold.ttf",
               OBLIQUE: "DejaVuSans-Oblique.ttf"}
_BASE = getSampleStyleSheet()
STYLES = {
    "title": ParagraphStyle("title", parent=_BASE["Title"], alignment=TA_LEFT, fontSize=18,
                            spaceAfter=2 * mm, fontName=BOLD),
    "subtitle": ParagraphStyle("subtitle", parent=_BASE["Normal"], textColor=colors.grey,
                               fontName=FONT),
    "section": ParagraphStyle("section", parent=_BASE["Heading2"], spaceBefore=5 * mm,
                              textColor=colors.HexColor("#1f3864"), keepWithNext=True,
                              fontName=BOLD),
    "question": ParagraphStyle("question", parent=_BASE["Normal"], fontName=BOLD,
                               spaceBefore=2.5 * mm, leading=13),
    "answer": ParagraphStyle("answer", parent=_BASE["Normal"], leftIndent=6 * mm, leading=13,
                             fontName=FONT),
    "muted": ParagraphStyle("muted", parent=_BASE["Normal"], leftIndent=6 * mm,
                            textColor=colors.grey, fontName=FONT),
    "query": ParagraphStyle("query", parent=_BASE["Normal"], leftIndent=10 * mm,
                            fontName=OBLIQUE, textColor=colors.HexColor("#7a4b00")),
    "cell": ParagraphStyle("cell", parent=_BASE["Normal"], fontSize=9, leading=11,
                           fontName=FONT),
}


def _register_fonts() -> None:
    """The embedded font, registered once (bold and oblique as its family's)."""
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    folder = resources_dir() / "fonts"
    for name, file in _FONT_FILES.items():
        pdfmetrics.registerFont(TTFont(name, str(folder / file)))
    registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=OBLIQUE, boldItalic=BOLD)


class CasePdfError(UserFacingError):
    """The PDF could not be saved; the message names the file and says what to do."""


def write_case_pdf(document: CaseDocument, path: Path) -> int:
    """Write the document to ``path``, replacing it only once complete; returns the number
    of pages. Raises ``CasePdfError`` when the file cannot be saved (missing or read-only
    folder, read-only target, target open in another program, disk full); the target is
    then exactly what it was before, and no partial file is left."""
    path = Path(path)
    _check_target(path)
    _register_fonts()
    pages = _Counter()
    try:
        with atomic_write(path) as partial:
            template = SimpleDocTemplate(
                str(partial.path), pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN,
                topMargin=MARGIN + 6 * mm, bottomMargin=MARGIN + 4 * mm,
                title=document.title, subject=document.subtitle, author=document.produced,
                creator="ASPIRE Casework")
            template.build(
                _story(document),
                canvasmaker=lambda *a, **k: _NumberedCanvas(document, pages, *a, **k))
            try:
                partial.commit()
            except PermissionError as exc:
                raise CasePdfError(
                    f"{path} is open in another program, so it cannot be replaced.",
                    f"Close {path.name} (in your PDF reader or wherever it is open) and "
                    "save it again, or save the PDF under another name.") from exc
    except OSError as exc:
        raise CasePdfError(*written_fault("The PDF", path, exc, "save it again")) from exc
    return pages.total


def _check_target(path: Path) -> None:
    """Refuse, before writing anything, a target that cannot be saved or replaced."""
    folder = path.parent
    problem = target_problem(path)
    if problem is None:
        return
    if problem is TargetProblem.READ_ONLY_FOLDER:
        raise CasePdfError(*unwritable_folder("The PDF", path, "save it again"))
    retry = "and save it again."
    raise CasePdfError(*{
        TargetProblem.NO_FOLDER: (
            f"The PDF cannot be saved as {path}: the folder {folder} does not exist.",
            f"Choose a folder that exists (or create this one) {retry}"),
        TargetProblem.NOT_A_FOLDER: (
            f"The PDF cannot be saved as {path}: {folder} is a file, not a folder.",
            f"Choose a folder to save the PDF in {retry}"),
        TargetProblem.IS_A_FOLDER: (
            f"The PDF cannot be saved as {path}: that is the name of a folder.",
            f"Choose another file name {retry}"),
        TargetProblem.READ_ONLY_FILE: (
            f"{path} is read-only, so it cannot be replaced.",
            f"Choose another file name or folder, or make the file writable, {retry}"),
    }[problem])


def _story(document: CaseDocument) -> list:
    story = [Paragraph(_text(document.title), STYLES["title"]),
             Paragraph(_text(document.subtitle), STYLES["subtitle"]), Spacer(1, 4 * mm),
             _table([("Case profile", ""), *document.profile], header=True)]
    for section in document.sections:
        heading = (section.title if section.stage.lower() in section.title.lower()
                   else f"{section.title} · {section.stage}")
        story.append(Paragraph(_text(heading), STYLES["section"]))
        story += [KeepTogether(_question(q)) for q in section.questions]
    story.append(Paragraph("Workflow history", STYLES["section"]))
    if document.history:
        story.append(_table([("When", "Who", "What", "Comment, reason or sign-off"),
                             *document.history], header=True,
                            widths=(32 * mm, 30 * mm, 55 * mm, None)))
    else:
        story.append(Paragraph("Not yet submitted for review.", STYLES["muted"]))
    story += [Spacer(1, 6 * mm), Paragraph(_text(document.produced), STYLES["subtitle"])]
    return story


def _question(q: DocumentQuestion) -> list:
    parts = [Paragraph(f"{q.number}. {_text(q.text)}", STYLES["question"]),
             Paragraph(_text(q.answer), STYLES["answer" if q.applies else "muted"])]
    if q.reasons:
        parts.append(Paragraph(f"<b>Reasons:</b> {_text(q.reasons)}", STYLES["answer"]))
    if q.evidence:
        parts.append(Paragraph(f"<b>Evidence:</b> {_text(q.evidence)}", STYLES["answer"]))
    for heading, byline, text in q.queries:
        parts.append(Paragraph(f"<b>{_text(heading)}</b> ({_text(byline)}): {_text(text)}",
                               STYLES["query"]))
    return parts


def _table(rows, header: bool = False, widths=None) -> Table:
    width = A4[0] - 2 * MARGIN
    if widths is None:
        widths = (45 * mm, width - 45 * mm)
    else:
        widths = tuple(w if w is not None else width - sum(x for x in widths if x)
                       for w in widths)
    cells = [[Paragraph(_text(str(v)), STYLES["cell"]) for v in row] for row in rows]
    table = Table(cells, colWidths=widths, repeatRows=1 if header else 0)
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.25, colors.lightgrey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8edf5") if header else None),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("FONTNAME", (0, 0), (-1, -1), FONT),  # a table's own font, though its cells set theirs
    ]))
    return table


def _text(value: str) -> str:
    """Plain text for a paragraph: markup characters escaped, line breaks kept."""
    return escape(value).replace("\n", "<br/>")


class _Counter:
    total = 0


class _NumberedCanvas(Canvas):
    """Draws each page's marking and 'Page n of N' once the total is known."""

    def __init__(self, document: CaseDocument, counter: _Counter, *args, **kwargs):
        super().__init__(*args, **{**kwargs, "initialFontName": FONT})
        self._document, self._counter, self._pages = document, counter, []

    def showPage(self):
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        self._counter.total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self._decorate(len(self._pages))
            super().showPage()
        super().save()

    def _decorate(self, total: int) -> None:
        width, height = A4
        self.saveState()
        self.setFont(BOLD, 9)
        self.drawCentredString(width / 2, height - 10 * mm, MARKING)
        self.drawCentredString(width / 2, 8 * mm, MARKING)
        self.setFont(FONT, 8)
        self.setFillColor(colors.grey)
        self.drawString(MARGIN, 14 * mm, self._document.title)
        self.drawRightString(width - MARGIN, 14 * mm,
                             f"Page {self._pageNumber} of {total}")
        self.restoreState()
