"""The case form as a PDF: it exists, its page count is what its pages say, and its text
(read back from the file) holds the profile, every question, answers, reasons, evidence,
queries and the workflow history."""

from __future__ import annotations

import json
import os
import re

import pytest
from pypdf import PdfReader

from app.io.case_pdf import CasePdfError
from tests.cli import aspire
from tests.conftest import MINI_FRAMEWORKS, open_as
from tests.integration.helpers import make_case, make_inspection
from tests.integration.test_review import complete


@pytest.fixture
def reviewed(mini, db_path):
    inspection = make_inspection(mini)
    mini.inspections.add_member(inspection_id=inspection.id, person="supervisor.sam",
                                role="supervisor")
    case = make_case(mini, "X1", inspection=inspection, gender="female")
    complete(mini, case.id)
    mini.forms.record_answer(case_id=case.id, question_key="victim", value="no",
                             evidence="No victim <named> & none in the police log")
    mini.review.submit(case.id)
    supervisor = open_as(db_path, "supervisor.sam", MINI_FRAMEWORKS)
    supervisor.review.raise_query(case_id=case.id, question_key="victim",
                                  text="Was the police call-out log read?")
    supervisor.review.return_case(case.id, "Please confirm the victim question")
    supervisor.close()
    return mini, case


def text_of(path) -> tuple[int, str]:
    reader = PdfReader(path)
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def partials(folder) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(".")]


def test_the_pdf_holds_the_whole_case_form(reviewed, tmp_path):
    services, case = reviewed
    target = tmp_path / "X1.pdf"
    pages = services.review.export_pdf(case.id, target)
    count, text = text_of(target)
    assert count == pages >= 2
    assert re.findall(r"Page (\d+) of (\d+)", text) == [(str(n), str(count))
                                                          for n in range(1, count + 1)]
    assert text.count("OFFICIAL-SENSITIVE") == 2 * count
    flat = " ".join(text.split())
    for expected in ("Case X1", "Female", "Returned", "Is there an identifiable victim?",
                     "No victim <named> & none in the police log",
                     "Query (", "Was the police call-out log read?",
                     "Workflow history", "Submit for review", "supervisor.sam",
                     "Please confirm the victim question", "Produced"):
        assert expected in flat, expected
    framework = services.forms.open(case.id).framework
    assert all(" ".join(q.text.split()) in flat for q in framework.questions())
    assert partials(tmp_path) == []


def test_an_unwritable_place_is_refused_and_nothing_is_left(reviewed, tmp_path):
    services, case = reviewed
    with pytest.raises(CasePdfError) as raised:
        services.review.export_pdf(case.id, tmp_path / "missing" / "X1.pdf")
    assert "does not exist" in raised.value.problem and "folder" in raised.value.advice
    assert not (tmp_path / "missing").exists()


def test_a_read_only_pdf_is_not_replaced(reviewed, tmp_path):
    services, case = reviewed
    target = tmp_path / "X1.pdf"
    target.write_bytes(b"an earlier copy")
    target.chmod(0o444)
    try:
        with pytest.raises(CasePdfError) as raised:
            services.review.export_pdf(case.id, target)
    finally:
        target.chmod(0o644)
    assert str(target) in raised.value.problem and "read-only" in raised.value.problem
    assert target.read_bytes() == b"an earlier copy"
    assert partials(tmp_path) == []


def test_a_pdf_open_elsewhere_is_left_as_it_was(reviewed, tmp_path, monkeypatch):
    services, case = reviewed
    target = tmp_path / "X1.pdf"
    target.write_bytes(b"an earlier copy")

    def locked(source, destination):
        raise PermissionError(13, "The process cannot access the file", str(destination))

    monkeypatch.setattr(os, "replace", locked)
    with pytest.raises(CasePdfError) as raised:
        services.review.export_pdf(case.id, target)
    monkeypatch.undo()
    assert "open in another program" in raised.value.problem
    assert "Close X1.pdf" in raised.value.advice
    assert target.read_bytes() == b"an earlier copy"
    assert partials(tmp_path) == []


def test_a_pdf_replaces_an_earlier_one_whole(reviewed, tmp_path):
    services, case = reviewed
    target = tmp_path / "X1.pdf"
    target.write_bytes(b"an earlier copy")
    pages = services.review.export_pdf(case.id, target)
    assert len(PdfReader(target).pages) == pages
    assert partials(tmp_path) == []


def test_export_pdf_command(reviewed, db_path, tmp_path):
    _services, case = reviewed
    target = tmp_path / "case.pdf"
    result = aspire("export-pdf", "--case", str(case.id), "-o", str(target), "--json",
                    db=db_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["pages"] == len(PdfReader(target).pages)
    wrong = aspire("export-pdf", "--case", "not-an-id", "-o", str(target), db=db_path)
    assert wrong.returncode != 0 and "not an id" in wrong.stderr
