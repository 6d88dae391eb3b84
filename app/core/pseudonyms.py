"""Pseudonymised exports, for sharing beyond the inspection team: each case reference is
replaced by a stable pseudonym, each date of birth by an age band, and each person the
inspection names (responsible officers, the team, whoever recorded something) by a stable
pseudonym of their own, in the fields that name them and in free text.

A pseudonym is "P-" and the first ten hex digits of HMAC-SHA256, keyed by the inspection's
id, over a fixed label and the reference. The same case therefore gets the same pseudonym in
every export of its inspection (so two workbooks can be joined), and the same reference in
another inspection gets another. The key is kept out of every pseudonymised export; without
it a pseudonym cannot be traced back by trying likely references. The inspection team and
the central store hold the key, so pseudonyms guard against readers beyond the team, not
within it.

People's pseudonyms are made the same way under another label: "Officer-" and eight hex
digits for a responsible officer, "Team-" and eight for anyone else. In free text a person's
name as held is replaced by their pseudonym, and so is each part of it of three letters or
more written with a capital (so "Ms Campbell" loses "Campbell" when "D. Campbell" is an
officer); a part two people share becomes "[name removed]". This removes more than names at
times ("Will" at the start of a sentence, when someone is called Will): for a shared
workbook that is the safer mistake.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import uuid
from collections.abc import Collection, Iterable, Mapping
from dataclasses import replace

from app.core.dto import (
    CaseEventRecord,
    CaseSummary,
    PracticeExampleRecord,
    QueryThread,
)
from app.core.export import CaseData
from app.core.month_names import written_forms
from app.core.ratings import age_band, age_on

#: keeps these pseudonyms apart from any other use of the same key
LABEL = b"ASPIRE Casework case pseudonym v1\x00"
PERSON_LABEL = b"ASPIRE Casework person pseudonym v1\x00"
DIGITS = 10
PERSON_DIGITS = 8
OFFICER, TEAM = "Officer-", "Team-"
NAME_REMOVED = "[name removed]"
_NAME_PART = re.compile(r"[^\W\d_]{3,}")
#: digits given instead to references whose first ten would coincide within one inspection
COLLISION_DIGITS = 20
BIRTH_DATE_REMOVED = "[date of birth removed]"
_WORD = re.compile(r"[^\W_]+")


def case_pseudonym(inspection_id: uuid.UUID, reference: str, digits: int = DIGITS) -> str:
    """The case's pseudonym, e.g. "P-7F3A9C21D4"; references are compared ignoring case and
    surrounding spaces, as everywhere else.

    The key is the inspection's id: a version 4 UUID (``uuid.uuid4()``, drawn when the
    inspection is created), so 122 of its 128 bits are random. A time-ordered id
    (``app.core.ids``) would not do: only 74 of its bits are random, the rest a timestamp.
    """
    message = LABEL + _normalised(reference).encode("utf-8")
    digest = hmac.new(inspection_id.bytes, message, hashlib.sha256).hexdigest()
    return "P-" + digest[:digits].upper()


def person_pseudonym(inspection_id: uuid.UUID, name: str, prefix: str = TEAM) -> str:
    """A person's pseudonym in one inspection, e.g. "Officer-3F9A21C4"; names are compared
    ignoring case and spacing."""
    message = PERSON_LABEL + _person_key(name).encode("utf-8")
    digest = hmac.new(inspection_id.bytes, message, hashlib.sha256).hexdigest()
    return prefix + digest[:PERSON_DIGITS].upper()


def case_pseudonyms(inspection_id: uuid.UUID, references: Iterable[str],
                    digits: int = DIGITS) -> dict[str, str]:
    """Each reference's pseudonym (keyed by the reference as compared), no two alike: any
    whose first digits coincide get twenty instead. A pseudonym would therefore lengthen if
    a case added later shared its first ten digits; for an inspection of 1,000 cases the
    chance of any coincidence is about one in two million."""
    short: dict[str, list[str]] = {}
    for reference in {_normalised(r) for r in references}:
        short.setdefault(case_pseudonym(inspection_id, reference, digits), []).append(reference)
    return {reference: (pseudonym if len(same) == 1
                        else case_pseudonym(inspection_id, reference, COLLISION_DIGITS))
            for pseudonym, same in short.items() for reference in same}


class Pseudonymiser:
    """What one pseudonymised export shows of an inspection's cases.

    ``references`` are those of every case in the inspection (one case's evidence may name
    another); ``birth_dates`` those of the cases exported, by case id, to be found in their
    free text. Ages are taken on ``on``, the inspection's first day (today if it has none).
    ``officers`` and ``others`` are the names of everyone the inspection's records name
    (``repositories.people_named``), to be found in free text.
    """

    def __init__(self, inspection_id: uuid.UUID, references: Iterable[str],
                 on: dt.date | None, birth_dates: Mapping[uuid.UUID, dt.date | None],
                 officers: Iterable[str] = (), others: Iterable[str] = ()):
        self.on = on or dt.date.today()
        self._inspection_id = inspection_id
        self._people: dict[str, str] = {}
        written = set()
        for names, prefix in ((others, TEAM), (officers, OFFICER)):  # an officer stays one
            for name in names:
                if _person_key(name):
                    self._people[_person_key(name)] = person_pseudonym(inspection_id, name,
                                                                       prefix)
                    written.add(name)
        self._names = _names_pattern(written)
        self._pseudonyms = case_pseudonyms(inspection_id, references)
        self._birth_dates = {case_id: born for case_id, born in birth_dates.items() if born}
        self._patterns: dict[uuid.UUID, re.Pattern[str]] = {}
        # references found in free text by their first word, longest first
        self._by_word: dict[str, list[tuple[int, str, str]]] = {}
        for reference, pseudonym in sorted(self._pseudonyms.items(), key=lambda p: -len(p[0])):
            word = _WORD.search(reference)
            if word is not None:
                self._by_word.setdefault(word.group(), []).append(
                    (word.start(), reference, pseudonym))

    def pseudonym(self, reference: str) -> str:
        return self._pseudonyms[_normalised(reference)]

    def age_band(self, case: CaseSummary) -> str:
        return age_band(age_on(case.profile.date_of_birth, self.on))

    def person(self, name: str | None) -> str:
        """The pseudonym of the person ``name`` names (blank stays blank)."""
        if not name or not name.strip():
            return name or ""
        return (self._people.get(_person_key(name))
                or person_pseudonym(self._inspection_id, name))

    def case(self, case: CaseSummary) -> CaseSummary:
        """The case with its pseudonym for a reference, no date of birth, and pseudonyms for
        the people it names."""
        profile = case.profile
        return replace(case, reference=self.pseudonym(case.reference),
                       profile=replace(profile, date_of_birth=None,
                                       responsible_officer=self.person(
                                           profile.responsible_officer) or None,
                                       assignee=self.person(profile.assignee) or None),
                       notes=self.text(case.notes, case.id), updated_by=self.person(
                           case.updated_by))

    def text(self, text: str, case_id: uuid.UUID | None = None) -> str:
        """Free text with every case reference replaced by its pseudonym and, when the text
        belongs to a case, that case's date of birth as it is commonly written removed."""
        if not text:
            return text
        text = self._references(text)
        if self._names is not None:
            text = self._names.sub(self._name_found, text)
        born = self._birth_dates.get(case_id)
        if born is None or f"{born.year % 100:02d}" not in text:  # every spelling has the year
            return text
        if case_id not in self._patterns:
            self._patterns[case_id] = _birth_date_pattern(born)
        return self._patterns[case_id].sub(BIRTH_DATE_REMOVED, text)

    def case_data(self, data: CaseData, free_text: Collection[str]) -> CaseData:
        """A case's row data; ``free_text`` names the questions answered in words."""
        case_id = data.case.id
        answers = {}
        for key, record in data.answers.items():
            evidence = self.text(record.evidence, case_id)
            value = record.value
            if key in free_text and isinstance(value, str):
                value = self.text(value, case_id)
            answers[key] = replace(record, evidence=evidence, value=value,
                                   answered_by=self.person(record.answered_by))
        return CaseData(self.case(data.case), answers, data.state)

    def example(self, example: PracticeExampleRecord) -> PracticeExampleRecord:
        return replace(example, title=self.text(example.title, example.case_id),
                       narrative=self.text(example.narrative, example.case_id),
                       updated_by=self.person(example.updated_by))

    def thread(self, thread: QueryThread) -> QueryThread:
        return replace(thread, messages=tuple(replace(m, text=self.text(m.text, thread.case_id),
                                                      by=self.person(m.by))
                                              for m in thread.messages))

    def event(self, event: CaseEventRecord, case_id: uuid.UUID) -> CaseEventRecord:
        return replace(event, note=self.text(event.note, case_id), by=self.person(event.by))

    def _name_found(self, match: re.Match[str]) -> str:
        found = match.group()
        whole = self._people.get(_person_key(found))
        if whole is not None:
            return whole
        owners = {pseudonym for key, pseudonym in self._people.items()
                  if found.casefold() in _NAME_PART.findall(key)}
        return owners.pop() if len(owners) == 1 else NAME_REMOVED

    def _references(self, text: str) -> str:
        pieces, done = [], 0
        for word in _WORD.finditer(text):
            for offset, reference, pseudonym in self._by_word.get(word.group().upper(), ()):
                start = word.start() - offset
                end = start + len(reference)
                if (start >= done and text[start:end].upper() == reference
                        and not (start > 0 and text[start - 1].isalnum())
                        and not (end < len(text) and text[end].isalnum())):
                    pieces += [text[done:start], pseudonym]
                    done = end
                    break
        if not pieces:
            return text
        pieces.append(text[done:])
        return "".join(pieces)


def _normalised(reference: str) -> str:
    return reference.strip().upper()


def _person_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _names_pattern(people: Collection[str]) -> re.Pattern[str] | None:
    """Whole names in any case and spacing, longest first, then their parts of three letters
    or more as names are written (Campbell, CAMPBELL), each as a word of its own."""
    wholes = sorted({" ".join(name.split()) for name in people
                     if sum(c.isalpha() for c in name) >= 3}, key=len, reverse=True)
    if not wholes:
        return None
    parts = sorted({part for name in people for part in _NAME_PART.findall(name)},
                   key=len, reverse=True)
    whole = "|".join(r"\s+".join(re.escape(w) for w in name.split()) for name in wholes)
    written = "|".join(f"{re.escape(p[0].upper() + p[1:])}|{re.escape(p.upper())}"
                       for p in parts)
    forms = f"(?i:{whole})" + (f"|{written}" if written else "")
    return re.compile(f"(?<![^\\W_])(?:{forms})(?![^\\W_])")


def _birth_date_pattern(born: dt.date) -> re.Pattern[str]:
    """The date written as people write dates: 03/04/1990, 3.4.90, 3rd April 1990,
    3 Apr. 1990, April 3, 1990, Apr 3 1990, 1990-04-03, 3 Ebrill 1990, 3ydd o Ebrill 1990."""
    day = f"0?{born.day}(?:st|nd|rd|th|af|il|ydd|ed|fed|ain)?"
    names = sorted(written_forms(born.month), key=len, reverse=True)
    in_words = "(?:" + "|".join(f"{re.escape(n)}\\.?" for n in names) + ")"
    month = f"(?:0?{born.month}|{in_words})"
    year = f"(?:{born.year}|{born.year % 100:02d})"
    gap = r"[\s/.\-]+"
    forms = (f"{day}{gap}(?:of\\s+|o\\s+)?{month},?{gap}{year}",
             f"{in_words}\\s+{day},?\\s+{year}",
             f"{born.year}{gap}0?{born.month}{gap}0?{born.day}")
    return re.compile(f"(?<![^\\W_])(?:{'|'.join(forms)})(?![^\\W_])", re.IGNORECASE)
