"""Small builders shared by integration and window tests."""

from __future__ import annotations

import hashlib
from pathlib import Path

from app.core.dto import CaseSummary, InspectionSummary, NewInspection
from app.core.profile import CaseProfile
from app.services.registry import Services


def make_inspection(services: Services, framework: str = "mini",
                    programme: str = "adult_probation") -> InspectionSummary:
    return services.inspections.create(NewInspection(
        name="Northshire", programme=programme, organisation="Northshire CRC",
        framework_key=framework))


def make_case(services: Services, reference: str = "X100001", inspection=None,
              **profile) -> CaseSummary:
    inspection = inspection or (services.inspections.list() or [make_inspection(services)])[0]
    profile = {"phase": "community", "provider": "crc", "gender": "male", **profile}
    return services.cases.add(inspection_id=inspection.id, reference=reference,
                              profile=CaseProfile(**profile))


def sha(path: Path) -> str:
    """A fingerprint of a file's bytes, to show that something was left untouched."""
    return hashlib.sha256(path.read_bytes()).hexdigest()
