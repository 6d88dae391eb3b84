"""Pseudonyms for case references and people, and free text with references, dates of
birth and names taken out."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import uuid

import pytest

from app.core.pseudonyms import (
    BIRTH_DATE_REMOVED,
    LABEL,
    NAME_REMOVED,
    OFFICER,
    Pseudonymiser,
    case_pseudonym,
    case_pseudonyms,
    person_pseudonym,
)

ONE = uuid.UUID("5d0c7a52-43d3-4c1e-9f0b-2a8e61c4b7d9")
OTHER = uuid.UUID("a3f1e9c6-0b7d-4e52-8c14-7f2d9b6e3a01")
BORN = dt.date(1987, 4, 3)


def test_a_pseudonym_is_an_hmac_of_the_reference_keyed_by_the_inspection():
    pseudonym = case_pseudonym(ONE, "X123456")
    assert re.fullmatch(r"P-[0-9A-F]{10}", pseudonym)
    expected = hmac.new(ONE.bytes, LABEL + b"X123456", hashlib.sha256).hexdigest()
    assert pseudonym == "P-" + expected[:10].upper()
    assert case_pseudonym(ONE, " x123456 ") == pseudonym  # references match ignoring case
    assert case_pseudonym(OTHER, "X123456") != pseudonym
    assert case_pseudonym(ONE, "X123457") != pseudonym


def test_coinciding_pseudonyms_are_lengthened_so_none_is_shared():
    references = [f"X{i}" for i in range(40)]
    short = case_pseudonyms(ONE, references, digits=2)  # 256 possible: some coincide
    assert len(set(short.values())) == 40
    assert {len(p) for p in short.values()} == {4, 22}
    assert case_pseudonyms(ONE, references) == {r: case_pseudonym(ONE, r) for r in references}


@pytest.fixture
def masker():
    case_id = uuid.uuid4()
    return case_id, Pseudonymiser(ONE, ["X123", "AB-77/2", "Q9"], dt.date(2026, 3, 1),
                                  {case_id: BORN})


@pytest.mark.parametrize("text", [
    "Seen with X123 at the office", "x123's order", "(X123)", "X123.", "X123-related",
    "see AB-77/2 and X123", "ab-77/2",
])
def test_references_in_free_text_become_pseudonyms(masker, text):
    case_id, m = masker
    masked = m.text(text, case_id)
    assert "x123" not in masked.lower() and "ab-77/2" not in masked.lower()
    assert re.search(r"P-[0-9A-F]{10}", masked)


@pytest.mark.parametrize("text", ["X1234 is another case", "QX123", "AB-77/23", "Q99"])
def test_a_longer_word_containing_a_reference_is_left_alone(masker, text):
    case_id, m = masker
    assert m.text(text, case_id) == text


@pytest.mark.parametrize("written", [
    "03/04/1987", "3/4/1987", "3.4.87", "03-04-1987", "3 April 1987", "3rd April 1987",
    "3 Apr. 1987", "3rd of April, 1987", "April 3, 1987", "Apr 3, 1987", "Apr. 3 1987",
    "1987-04-03", "03 APRIL 1987", "3 Ebrill 1987", "3ydd o Ebrill 1987", "03 Ebr 1987",
])
def test_the_cases_date_of_birth_in_free_text_is_removed(masker, written):
    case_id, m = masker
    assert m.text(f"Born {written}, seen weekly", case_id) == (
        f"Born {BIRTH_DATE_REMOVED}, seen weekly")


def test_other_dates_and_other_cases_texts_are_left_alone(masker):
    case_id, m = masker
    assert m.text("Seen on 04/03/1987 and 3 May 1987", case_id) == (
        "Seen on 04/03/1987 and 3 May 1987")
    assert m.text("Born 03/04/1987", uuid.uuid4()) == "Born 03/04/1987"


def test_an_age_band_on_the_inspections_first_day(masker):
    from app.core.dto import CaseSummary
    from app.core.profile import CaseProfile

    _case_id, m = masker

    def case(born):
        return CaseSummary(uuid.uuid4(), ONE, "X123", CaseProfile(date_of_birth=born),
                           "not_started")

    assert m.age_band(case(BORN)) == "35–49"
    assert m.age_band(case(dt.date(2008, 3, 2))) == "Under 18"  # 18 the day after
    assert m.age_band(case(dt.date(2008, 3, 1))) == "18–24"
    assert m.age_band(case(None)) == "Not recorded"
    masked = m.case(case(BORN))
    assert masked.reference == case_pseudonym(ONE, "X123")
    assert masked.profile.date_of_birth is None


def test_names_in_free_text_become_the_persons_pseudonym():
    inspection = uuid.uuid4()
    masker = Pseudonymiser(inspection, [], None, {}, officers=["D. Campbell", "Sarah McDonald"],
                           others=["a.smith", "Ann Campbell", "Jo"])
    officer = person_pseudonym(inspection, "d. campbell", OFFICER)
    mcdonald = person_pseudonym(inspection, "Sarah McDonald", OFFICER)
    smith = person_pseudonym(inspection, "A.SMITH")
    assert masker.person("D.  CAMPBELL") == officer and masker.person("a.smith") == smith
    assert masker.text("Spoke to d. campbell, then MCDONALD and McDonald; Smith agreed") == (
        f"Spoke to {officer}, then {mcdonald} and {mcdonald}; {smith} agreed")
    # a part two people share names neither; a lower-case word is not a name; nor is Jo
    assert masker.text("Ms Campbell said campbell soup; Jo left") == (
        f"Ms {NAME_REMOVED} said campbell soup; Jo left")
    assert masker.person("Someone Else") == person_pseudonym(inspection, "someone else")
    assert masker.person("") == "" and masker.person(None) == ""
