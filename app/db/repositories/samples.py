"""The sample drawn for an inspection: its members, reserves and events."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db import models as m


def current_sample(session: Session, inspection_id: uuid.UUID) -> m.Sample | None:
    return session.scalar(select(m.Sample).where(m.Sample.inspection_id == inspection_id,
                                                 m.Sample.status == "current"))


def sample_members(session: Session, sample_id: uuid.UUID) -> list[m.SampleMember]:
    return list(session.scalars(select(m.SampleMember)
                                .where(m.SampleMember.sample_id == sample_id)
                                .order_by(m.SampleMember.draw_rank)))


def sample_member(session: Session, sample_id: uuid.UUID,
                  case_id: uuid.UUID) -> m.SampleMember | None:
    return session.scalar(select(m.SampleMember).where(m.SampleMember.sample_id == sample_id,
                                                       m.SampleMember.case_id == case_id))


def reserve_members(session: Session, sample_id: uuid.UUID, stratum: list) -> list[m.SampleMember]:
    """The stratum's reserve cases (used or not), in draw order."""
    return [mb for mb in sample_members(session, sample_id)
            if mb.role == "reserve" and mb.stratum == stratum]


def sample_events(session: Session, sample_id: uuid.UUID) -> list[m.SampleEvent]:
    return list(session.scalars(select(m.SampleEvent)
                                .where(m.SampleEvent.sample_id == sample_id)
                                .order_by(m.SampleEvent.updated_at)))


def sampled_cases_with_answers(session: Session, sample_id: uuid.UUID) -> int:
    return session.scalar(
        select(func.count(func.distinct(m.Answer.case_id)))
        .join(m.SampleMember, m.SampleMember.case_id == m.Answer.case_id)
        .where(m.SampleMember.sample_id == sample_id, m.SampleMember.status == "in_sample",
               m.Answer.value.is_not(None))) or 0


def sample_statuses(session: Session, inspection_id: uuid.UUID) -> dict[uuid.UUID, str] | None:
    """Each case's place in the current sample; None when no sample has been drawn."""
    sample = current_sample(session, inspection_id)
    if sample is None:
        return None
    return dict(session.execute(select(m.SampleMember.case_id, m.SampleMember.status)
                                .where(m.SampleMember.sample_id == sample.id)).all())


def add_sample(session: Session, *, inspection_id: uuid.UUID, members: list[tuple],
               drawn: str, **settings: object) -> m.Sample:
    """A sample drawn for the inspection and made its current one: ``settings`` (seed,
    confidence, margin, sizes, strata and allocation), ``members`` as (case id, stratum,
    role, draw rank) in draw order, and the event that says how it was drawn."""
    sample = m.Sample(id=uuid.uuid4(), inspection_id=inspection_id, **settings)
    session.add(sample)
    for case_id, stratum, role, rank in members:
        session.add(m.SampleMember(sample_id=sample.id, case_id=case_id, stratum=list(stratum),
                                   role=role, draw_rank=rank,
                                   status="in_sample" if role == "selected" else "reserve"))
    session.add(m.SampleEvent(sample_id=sample.id, kind="drawn", reason=drawn))
    session.flush()
    return sample


def supersede_sample(session: Session, sample: m.Sample, reason: str) -> None:
    """The sample is no longer the inspection's current one."""
    sample.status = "superseded"
    session.add(m.SampleEvent(sample_id=sample.id, kind="superseded", reason=reason))
    session.flush()  # the new sample must not count as current twice


def withdraw_member(session: Session, member: m.SampleMember, reason: str) -> None:
    """A case taken out of its sample, with the reason, kept in its history."""
    member.status, member.withdrawn_reason = "withdrawn", reason
    session.add(m.SampleEvent(sample_id=member.sample_id, kind="withdrawn",
                              case_id=member.case_id, reason=reason))
    session.flush()  # the history keeps the withdrawal before the replacement


def bring_in_reserve(session: Session, reserve: m.SampleMember, instead_of: uuid.UUID,
                     reason: str) -> None:
    """A reserve case joins the sample in place of ``instead_of``."""
    reserve.status = "in_sample"
    session.add(m.SampleEvent(sample_id=reserve.sample_id, kind="replaced",
                              case_id=instead_of, other_case_id=reserve.case_id,
                              reason=reason))
    session.flush()
