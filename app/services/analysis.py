"""The analysts' pooled view: findings pooled across inspections by the central service
(``app.sync.pooled``), fetched with an analyst's sign-in and written where analysts work: a
workbook for Excel, a Parquet file for R, Stata and Python, or JSON.

Every output says the choices the figures were made by (``PooledFindings.statements``) and
holds no case, reference, date of birth or name: the service sends none.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from app.core.atomic_files import atomic_write
from app.core.pooling import (
    FINDINGS_COLUMNS,
    PooledFindings,
    PoolingChoice,
    findings_rows,
    findings_to_wire,
)
from app.errors import ValidationError
from app.io.excel_workbook import BarChart, Column, Sheet, write_workbook
from app.io.parquet_table import write_parquet
from app.sync.client import ServiceLink

#: what each column of the findings table is, as the workbook's notes and Parquet's kinds
_COLUMN_KINDS = {
    "question_key": "text", "question": "text", "split_by": "text", "group": "text",
    "sufficient": "whole", "judged": "whole", "share": "fraction", "share_low": "fraction",
    "share_high": "fraction", "too_few": "flag", "suppressed": "flag",
    "rest_share": "fraction", "difference": "fraction", "difference_low": "fraction",
    "difference_high": "fraction",
}
_COLUMN_NOTES = {
    "question_key": "The key question's stable key, the same across the family's versions.",
    "split_by": "What the cases are split by ('All cases': not split).",
    "sufficient": "Cases judged sufficient (Yes).",
    "judged": "Cases judged Yes or No (Not applicable and unanswered are not counted).",
    "share": "Sufficient as a share of judged.",
    "share_low": "The share's 95% Wilson score interval, lower end.",
    "share_high": "The share's 95% Wilson score interval, upper end.",
    "too_few": "Fewer judged cases than a figure can say much from.",
    "suppressed": "Fewer judged cases than the threshold for publication: nothing shown.",
    "rest_share": "The share among the rest of the cases judged on the question.",
    "difference": "The group's share less the rest's.",
    "difference_low": "The difference's 95% interval (Newcombe's hybrid score), lower end.",
    "difference_high": "The difference's 95% interval (Newcombe's hybrid score), upper end.",
}
OUTPUTS = (".xlsx", ".parquet", ".json")


class AnalysisService:
    """The pooled view as the window uses it: no database of the laptop's is touched."""

    def fetch(self, address: str, login: str, password: str,
              choice: PoolingChoice) -> PooledFindings:
        return fetch_pooled(address, login, password, choice)

    def save(self, findings: PooledFindings, path: Path) -> Path:
        return save_pooled(findings, path)


def change_password(address: str, login: str, current: str, new: str) -> None:
    """An analyst's own change of their password at the central service (after an
    administrator's reset, say); every session of theirs ends."""
    link = ServiceLink(address, login, current)
    try:
        link.change_password(new)
    finally:
        link.close()


def fetch_pooled(address: str, login: str, password: str,
                 choice: PoolingChoice) -> PooledFindings:
    """The findings the central service at ``address`` pools by ``choice``, asked with
    ``login``'s password (an analyst or an administrator)."""
    with ServiceLink(address, login, password) as link:
        return link.pooled(choice)


def save_pooled(findings: PooledFindings, path: Path, *,
                made_at: dt.datetime | None = None) -> Path:
    """Write ``findings`` to ``path``, as its suffix says: a workbook, a Parquet file of the
    findings table (the choices in its metadata), or JSON."""
    path = Path(path)
    suffix = path.suffix.lower()
    made = (made_at or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    if suffix == ".xlsx":
        return _workbook(findings, path, made)
    if suffix == ".parquet":
        return write_parquet(path, [(c, _COLUMN_KINDS[c]) for c in FINDINGS_COLUMNS],
                             findings_rows(findings), _notes(findings, made))
    if suffix == ".json":
        with atomic_write(path) as partial:
            partial.file.write(json.dumps(findings_to_wire(findings), indent=2,
                                          ensure_ascii=False).encode())
        return path
    raise ValidationError(f"'{path.name}' is not a kind of file pooled findings are "
                          "written as.", f"End its name with {', '.join(OUTPUTS)}.")


def _notes(findings: PooledFindings, made: dt.datetime) -> dict[str, str]:
    return {"title": "ASPIRE Casework pooled findings",
            "made_at": made.isoformat(), "framework_family": findings.choice.family or "",
            "inspections": str(findings.inspections), "cases": str(findings.cases),
            "choices": "\n".join(findings.statements),
            "left_out": "\n".join(f"{o.inspection}: {o.why}" for o in findings.left_out)}


def _workbook(findings: PooledFindings, path: Path, made: dt.datetime) -> Path:
    overall = [row for row in findings_rows(findings) if row[2] == "All cases"]
    key_questions = Sheet("Key questions", (
        Column("Question", width=60, wrap=True), Column("Key", width=22),
        Column("Sufficient", kind="number"), Column("Judged", kind="number"),
        Column("Share", kind="percent"), Column("95% low", kind="percent"),
        Column("95% high", kind="percent"), Column("Too few", note=_COLUMN_NOTES["too_few"])),
        [(r[1], r[0], r[4], r[5], r[6], r[7], r[8], r[9]) for r in overall])
    findings_sheet = Sheet("Findings", tuple(
        Column(c, kind=_workbook_kind(c), note=_COLUMN_NOTES.get(c, ""),
               **({"width": 50, "wrap": True} if c == "question" else {}))
        for c in FINDINGS_COLUMNS), findings_rows(findings), freeze_columns=1)
    about = Sheet("About", (Column("About these figures", width=100, wrap=True),), [
        ("ASPIRE Casework: key questions pooled across inspections",),
        (f"Made {made:%d/%m/%Y %H:%M} UTC from the central store.",),
        (f"{findings.inspections} inspection(s), {findings.cases} case form(s) counted.",),
        *((s,) for s in findings.statements),
        *((f"Left out: {o.inspection}, {o.why}.",) for o in findings.left_out),
        ("Shares are of cases judged Yes or No; intervals are 95% (Wilson score for a "
         "share, Newcombe's hybrid score for a group's difference from the rest).",),
    ], table=False)
    charts = [BarChart("Key questions", "Key questions: share judged sufficient", 1, 5, 2,
                       len(overall) + 1, "I2")] if overall else []
    return write_workbook(path, [key_questions, findings_sheet, about], charts).path


def _workbook_kind(column: str) -> str:
    return {"whole": "number", "fraction": "percent", "flag": "text"}.get(
        _COLUMN_KINDS[column], "text")
