"""The question frameworks stored here."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import models as m


def framework_row(session: Session, key: str, version: str) -> m.Framework | None:
    return session.scalar(
        select(m.Framework).where(m.Framework.framework_key == key, m.Framework.version == version)
    )


def framework_rows(session: Session) -> list[m.Framework]:
    return list(session.scalars(select(m.Framework).order_by(m.Framework.framework_key)))


def add_framework(session: Session, *, framework_id: uuid.UUID, key: str, version: str,
                  title: str, programme: str, content: str, sha256: str) -> m.Framework:
    """A framework version kept here, as the inspections pinned to it will read it."""
    row = m.Framework(id=framework_id, framework_key=key, version=version, title=title,
                      programme=programme, content=content, content_sha256=sha256)
    session.add(row)
    return row
