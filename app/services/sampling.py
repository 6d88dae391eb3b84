"""The inspection's case sample: size it, draw it reproducibly, withdraw and replace cases.

The seed, the parameters and the result are stored with the inspection, so a draw can be
reproduced and explained; a redraw supersedes the old sample, which is kept.
"""

from __future__ import annotations

import secrets
import uuid
from typing import TYPE_CHECKING

from app.core import sampling as s
from app.core.dto import (
    SampleEventRecord,
    SampleMemberRecord,
    SamplePlan,
    SampleSummary,
    StratumRow,
)
from app.core.profile import PROFILE_FIELD_BY_NAME
from app.db import repositories as repo
from app.db.engine import Database
from app.errors import NotFoundError, ValidationError
from app.services.inspections import inspection_not_found

if TYPE_CHECKING:  # the sample as stored, read for its summary
    from app.db.models import Sample

MAX_SEED = 10**9


def stratum_label(fields: tuple[str, ...] | list[str], stratum: tuple | list) -> str:
    labels = []
    for name, code in zip(fields, stratum, strict=True):
        vocabulary = PROFILE_FIELD_BY_NAME[name].vocabulary
        labels.append(vocabulary.label(code) if vocabulary and code in vocabulary
                      else code.replace("_", " ").capitalize())
    return " · ".join(labels)


class SampleService:
    def __init__(self, db: Database):
        self._db = db

    def plan(self, *, inspection_id: uuid.UUID, confidence: float = s.DEFAULT_CONFIDENCE,
             margin: float = s.DEFAULT_MARGIN) -> SamplePlan:
        """The size and allocation a draw with these settings would give."""
        _check_settings(confidence, margin)
        with self._db.read() as session:
            profiles = self._caseload(session, inspection_id)
        counts = _strata_counts(profiles.values())
        size = s.sample_size(len(profiles), confidence, margin)
        allocation = s.allocate(counts, size)
        rows = tuple(StratumRow(stratum, stratum_label(s.DEFAULT_STRATA, stratum), count,
                                allocation.sizes.get(stratum, 0))
                     for stratum, count in _largest_first(counts))
        return SamplePlan(population=len(profiles), confidence=confidence, margin=margin,
                          size=size, total=allocation.total,
                          raised_for_minimum=allocation.raised_for_minimum,
                          strata_fields=s.DEFAULT_STRATA, strata=rows)

    def draw(self, *, inspection_id: uuid.UUID, confidence: float = s.DEFAULT_CONFIDENCE,
             margin: float = s.DEFAULT_MARGIN, seed: int | None = None,
             reserve_per_stratum: int = s.DEFAULT_RESERVE_PER_STRATUM) -> SampleSummary:
        """Draw (or redraw, before fieldwork starts) the sample and store it."""
        _check_settings(confidence, margin)
        if seed is None:
            seed = secrets.randbelow(MAX_SEED)
        elif not 0 <= seed < MAX_SEED:
            raise ValidationError(f"The seed {seed} is out of range.",
                                  f"Use a whole number from 0 to {MAX_SEED - 1:,}.")
        with self._db.write() as session:
            profiles = self._caseload(session, inspection_id)
            if not profiles:
                raise ValidationError("The inspection has no cases to sample from.",
                                      "Import the case list first.")
            previous = repo.current_sample(session, inspection_id)
            if previous is not None:
                self._supersede(session, previous)
            references = repo.case_reference_map(session, inspection_id)
            units = [s.SampleUnit(str(cid), references[cid], s.stratum_of(profile))
                     for cid, profile in profiles.items()]
            size = s.sample_size(len(units), confidence, margin)
            drawn = s.draw_sample(units, size, seed, reserve_per_stratum)
            counts = _strata_counts(profiles.values())
            strata = {u.case_id: u.stratum for u in units}
            members = [(uuid.UUID(case_id), strata[case_id], "selected", rank)
                       for rank, case_id in enumerate(drawn.selected)]
            for stratum in sorted(drawn.reserve):
                for case_id in drawn.reserve[stratum]:
                    members.append((uuid.UUID(case_id), stratum, "reserve", len(members)))
            sample = repo.add_sample(
                session, inspection_id=inspection_id, members=members,
                drawn=f"seed {seed}, confidence {confidence:.0%}, "
                      f"margin ±{margin * 100:g} points",
                seed=seed, confidence=confidence, margin=margin,
                proportion=s.DEFAULT_PROPORTION, strata_fields=list(s.DEFAULT_STRATA),
                reserve_per_stratum=reserve_per_stratum, population=len(units),
                size_requested=size, size_total=drawn.allocation.total,
                allocation=[{"stratum": list(stratum), "caseload": count,
                             "allocated": drawn.allocation.sizes.get(stratum, 0)}
                            for stratum, count in _largest_first(counts)])
            return self._summary(session, sample)

    def current(self, inspection_id: uuid.UUID) -> SampleSummary | None:
        with self._db.read() as session:
            if repo.get_inspection(session, inspection_id) is None:
                raise inspection_not_found(inspection_id)
            sample = repo.current_sample(session, inspection_id)
            return self._summary(session, sample) if sample is not None else None

    def withdraw(self, *, case_id: uuid.UUID, reason: str) -> SampleSummary:
        """Take a case out of the sample, with a reason, and bring in the next reserve case
        of the same stratum (if one is left). The history keeps both."""
        reason = (reason or "").strip()
        if not reason:
            raise ValidationError("Say why the case is withdrawn from the sample.",
                                  "Type the reason, for example 'transferred out of area'.")
        with self._db.write() as session:
            case = repo.get_case(session, case_id)
            if case is None:
                raise NotFoundError(f"There is no case with id {case_id}.",
                                    "Run 'aspire cases list --inspection ID' to see the cases.")
            sample = repo.current_sample(session, case.inspection_id)
            member = repo.sample_member(session, sample.id, case_id) if sample else None
            if member is None or member.status != "in_sample":
                raise ValidationError(f"Case {case.reference} is not in the current sample.",
                                      "Only a case in the sample can be withdrawn from it.")
            repo.withdraw_member(session, member, reason)
            reserve = repo.reserve_members(session, sample.id, member.stratum)
            used = {str(r.case_id) for r in reserve if r.status != "reserve"}
            chosen = s.replacement_for([str(r.case_id) for r in reserve], used)
            if chosen is not None:
                repo.bring_in_reserve(session, next(r for r in reserve
                                                    if str(r.case_id) == chosen),
                                      case_id, "next reserve case of the same stratum")
            return self._summary(session, sample)

    # -- helpers ------------------------------------------------------------------------
    def _caseload(self, session, inspection_id: uuid.UUID) -> dict[uuid.UUID, dict]:
        if repo.get_inspection(session, inspection_id) is None:
            raise inspection_not_found(inspection_id)
        return repo.case_profiles(session, inspection_id)

    def _supersede(self, session, previous: Sample) -> None:
        if repo.sampled_cases_with_answers(session, previous.id):
            raise ValidationError(
                "Fieldwork has started on the current sample (some of its cases have "
                "answers), so it cannot be drawn again.",
                "Withdraw and replace individual cases instead.",
            )
        repo.supersede_sample(session, previous, "a new sample was drawn")

    def _summary(self, session, sample: Sample) -> SampleSummary:
        fields = tuple(sample.strata_fields)
        members = repo.sample_members(session, sample.id)
        references = repo.case_reference_map(session, sample.inspection_id)
        profiles = repo.case_profiles(session, sample.inspection_id)
        in_sample = [mb for mb in members if mb.status == "in_sample"]
        strata = []
        for entry in sample.allocation:
            stratum = tuple(entry["stratum"])
            mine = [mb for mb in members if tuple(mb.stratum) == stratum]
            strata.append(StratumRow(
                stratum, stratum_label(fields, stratum), entry["caseload"], entry["allocated"],
                in_sample=sum(1 for mb in mine if mb.status == "in_sample"),
                reserve_left=sum(1 for mb in mine if mb.status == "reserve")))
        return SampleSummary(
            id=sample.id, inspection_id=sample.inspection_id, seed=sample.seed,
            confidence=sample.confidence, margin=sample.margin, proportion=sample.proportion,
            population=sample.population, size_requested=sample.size_requested,
            size_total=sample.size_total, strata_fields=fields, strata=tuple(strata),
            members=tuple(SampleMemberRecord(
                case_id=mb.case_id, reference=references[mb.case_id],
                stratum_label=stratum_label(fields, mb.stratum), role=mb.role,
                status=mb.status, draw_rank=mb.draw_rank, withdrawn_reason=mb.withdrawn_reason)
                for mb in members),
            proportions=tuple(s.compare_proportions(
                list(profiles.values()), [profiles[mb.case_id] for mb in in_sample])),
            history=tuple(SampleEventRecord(
                at=e.updated_at, by=e.updated_by, kind=e.kind,
                reference=references.get(e.case_id, "") if e.case_id else "",
                other_reference=references.get(e.other_case_id, "") if e.other_case_id else "",
                reason=e.reason) for e in repo.sample_events(session, sample.id)),
            drawn_at=sample.updated_at, drawn_by=sample.updated_by,
        )


def _strata_counts(profiles) -> dict[tuple, int]:
    counts: dict[tuple, int] = {}
    for profile in profiles:
        stratum = s.stratum_of(profile)
        counts[stratum] = counts.get(stratum, 0) + 1
    return counts


def _largest_first(counts: dict[tuple, int]) -> list[tuple[tuple, int]]:
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def _check_settings(confidence: float, margin: float) -> None:
    problems = []
    if not 0.5 <= confidence < 1:
        problems.append(f"confidence {confidence:.0%} must be at least 50% and below 100%")
    if not 0 < margin <= 0.5:
        problems.append(f"margin ±{margin * 100:g} points must be above 0 and at most 50")
    if problems:
        raise ValidationError("The sample settings are not usable: " + "; ".join(problems)
                              + ".", "Choose a confidence level such as 80% or 95% and a "
                              "margin such as 5 points.", details=problems)
