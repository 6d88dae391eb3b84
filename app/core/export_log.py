"""The export log: every file that takes case data out of the protected store (an analysts'
workbook, a case form as a PDF, a transfer file) is recorded once it is complete, with who,
when, which cases and the file's SHA-256, in an append-only log that syncs."""

from __future__ import annotations

from enum import StrEnum

from app.core.vocab import vocabulary


class ExportKind(StrEnum):
    WORKBOOK = "workbook"
    PDF = "pdf"
    TRANSFER = "transfer"
    TABLE = "table"


EXPORT_KIND = vocabulary(
    "export_kind",
    [
        (ExportKind.WORKBOOK, "Workbook for analysts"),
        (ExportKind.PDF, "Case form (PDF)"),
        (ExportKind.TABLE, "Table for analysts (Parquet or CSV)"),
        (ExportKind.TRANSFER, "Transfer file"),
    ],
)

#: what the person is told after every export
LEAVES_THE_STORE = (
    "This file is outside ASPIRE Casework's encrypted store. Keep it on approved storage, "
    "share it only as your instructions allow, and delete it when no longer needed.")
