"""The question frameworks stored here."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import models as m


def framework_row(session: Session, key: str, version: str) -> m.Framework | None:
    return session.scalar(
        select(m.Framework).where(m.Framework.framework_key == key, m.Framework.version == version)
    )


def framework_rows(session: Session) -> list[m.Framework]:
    return list(session.scalars(select(m.Framework).order_by(m.Framework.framework_key)))
