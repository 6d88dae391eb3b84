"""The case form as a PDF: it exists, its page count is what its pages say, and its text
(read back from the file) holds the profile, every question, answers, reasons, evidence,
queries and the workflow history."""

from __future__ import annotations

import json
import os
import re

import pytest
from pypdf import PdfReader

from app.core.dto import NewInspection
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
    # each question numbered as the case form numbers it (section, then question)
    assert all(f"{framework.numbers[q.key]}. {' '.join(q.text.split())}" in flat
               for q in framework.questions())
    assert "2.1. " in flat
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
    wrong = aspire("export-pdf", "--case", "X9", "-o", str(target), db=db_path)
    assert wrong.returncode == 1
    assert "There is no case with reference 'X9'" in wrong.stderr


def test_export_pdf_by_reference_several_and_all(reviewed, db_path, tmp_path):
    services, case = reviewed
    inspection = case.inspection_id
    make_case(services, "X2/B", inspection=services.inspections.get(inspection))
    one = tmp_path / "x1.pdf"
    assert aspire("export-pdf", "--case", " x1 ", "-o", str(one), db=db_path).returncode == 0
    assert "Case X1" in PdfReader(one).pages[0].extract_text()

    folder = tmp_path / "forms"
    made = aspire("export-pdf", "--case", "X1", "X2/B", "-o", str(folder), "--json",
                  db=db_path)
    assert made.returncode == 0, made.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["X1.pdf", "X2-B.pdf"]
    assert [f["reference"] for f in json.loads(made.stdout)["files"]] == ["X1", "X2/B"]

    shared = tmp_path / "shared"
    everything = aspire("export-pdf", "--all", "--inspection", str(inspection), "-o",
                        str(shared), "--pseudonymise", db=db_path)
    assert everything.returncode == 0, everything.stderr
    names = sorted(p.name for p in shared.iterdir())
    assert len(names) == 2 and all(re.fullmatch(r"P-[0-9A-F]{10}\.pdf", n) for n in names)
    assert "Wrote 2 case form(s)" in everything.stdout
    assert len(services.exports.log()) == 5  # every PDF written is in the export log

    no_inspection = aspire("export-pdf", "--all", "-o", str(shared), db=db_path)
    assert no_inspection.returncode == 1 and "--all needs the inspection" in no_inspection.stderr


def test_a_reference_in_two_inspections_needs_the_inspection(reviewed, db_path, tmp_path):
    services, case = reviewed
    other = make_inspection(services)
    make_case(services, "X1", inspection=other)
    both = aspire("export-pdf", "--case", "X1", "-o", str(tmp_path / "x.pdf"), db=db_path)
    assert both.returncode == 1 and "'X1' is a case in 2 inspections" in both.stderr
    assert "--inspection" in both.stderr
    chosen = aspire("export-pdf", "--case", "X1", "--inspection", str(case.inspection_id),
                    "-o", str(tmp_path / "x.pdf"), db=db_path)
    assert chosen.returncode == 0, chosen.stderr


def test_welsh_letters_print_in_an_embedded_font(mini, tmp_path):
    inspection = mini.inspections.create(NewInspection(
        name="Gwasanaeth Cyfiawnder Ieuenctid Tŵr", programme="adult_probation",
        organisation="Cyngor Sŷn", framework_key="mini"))
    case = make_case(mini, "CY-ŴŶ1", inspection=inspection)
    mini.forms.record_answer(case_id=case.id, question_key="victim", value="no",
                             evidence="Gwelwyd yn y tŷ; dŵr ar y llawr — ŵyr y dioddefwr")
    path = tmp_path / "cy.pdf"
    mini.review.export_pdf(case.id, path)
    reader = PdfReader(path)
    text = " ".join(page.extract_text() for page in reader.pages)
    for words in ("Tŵr", "CY-ŴŶ1", "Gwelwyd yn y tŷ; dŵr ar y llawr", "ŵyr"):
        assert words in text, words
    fonts = {str(font["/BaseFont"]) for page in reader.pages
             for font in page["/Resources"]["/Font"].values()}
    assert fonts and all("CaseSans" in f or "DejaVu" in f for f in fonts), fonts
    assert all(not f.endswith(("Helvetica", "Helvetica-Bold")) for f in fonts)
