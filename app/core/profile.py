"""The case profile: the attributes used for applicability and for breakdowns.

Ethnicity follows the 2021 census categories for England and Wales, recorded disaggregated,
with "not recorded" and "prefer not to say" kept apart.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from enum import StrEnum

from app.core.vocab import Vocabulary, vocabulary


class Programme(StrEnum):
    ADULT_PROBATION = "adult_probation"
    YOUTH_OFFENDING = "youth_offending"
    THEMATIC = "thematic"


PROGRAMMES = vocabulary(
    "programme",
    [
        (Programme.ADULT_PROBATION, "Adult probation"),
        (Programme.YOUTH_OFFENDING, "Youth offending"),
        (Programme.THEMATIC, "Thematic"),
    ],
)

PROVIDER = vocabulary(
    "provider",
    [
        ("nps", "National Probation Service (NPS)"),
        ("crc", "Community Rehabilitation Company (CRC)"),
        ("probation_service", "Probation Service"),
        ("yot", "Youth offending team (YOT/YOS)"),
        ("other", "Other provider"),
    ],
)

SENTENCE_TYPE = vocabulary(
    "sentence_type",
    [
        ("community_order", "Community order", "adult"),
        ("suspended_sentence_order", "Suspended sentence order", "adult"),
        ("licence", "Licence (post-release)", "adult"),
        ("post_sentence_supervision", "Post-sentence supervision", "adult"),
        ("referral_order", "Referral order", "youth"),
        ("youth_rehabilitation_order", "Youth rehabilitation order", "youth"),
        ("yro_iss", "Youth rehabilitation order with intensive supervision and surveillance",
         "youth"),
        ("detention_training_order", "Detention and training order", "youth"),
        ("custodial_sentence", "Other custodial sentence", "youth"),
        ("youth_conditional_caution", "Youth conditional caution", "youth out of court"),
        ("youth_caution", "Youth caution", "youth out of court"),
        ("community_resolution", "Community resolution", "youth out of court"),
        ("other", "Other"),
    ],
)

PHASE = vocabulary(
    "phase",
    [
        ("community", "Community"),
        ("custody", "Custody"),
        ("licence", "Licence"),
    ],
)

GENDER = vocabulary(
    "gender",
    [
        ("male", "Male"),
        ("female", "Female"),
        ("other", "Another gender identity"),
        ("not_recorded", "Not recorded"),
    ],
)

ETHNICITY = vocabulary(
    "ethnicity",
    [
        ("asian_indian", "Indian", "Asian or Asian British"),
        ("asian_pakistani", "Pakistani", "Asian or Asian British"),
        ("asian_bangladeshi", "Bangladeshi", "Asian or Asian British"),
        ("asian_chinese", "Chinese", "Asian or Asian British"),
        ("asian_other", "Any other Asian background", "Asian or Asian British"),
        ("black_caribbean", "Caribbean", "Black, Black British, Caribbean or African"),
        ("black_african", "African", "Black, Black British, Caribbean or African"),
        ("black_other", "Any other Black, Black British or Caribbean background",
         "Black, Black British, Caribbean or African"),
        ("mixed_white_black_caribbean", "White and Black Caribbean",
         "Mixed or multiple ethnic groups"),
        ("mixed_white_black_african", "White and Black African",
         "Mixed or multiple ethnic groups"),
        ("mixed_white_asian", "White and Asian", "Mixed or multiple ethnic groups"),
        ("mixed_other", "Any other Mixed or multiple ethnic background",
         "Mixed or multiple ethnic groups"),
        ("white_british", "English, Welsh, Scottish, Northern Irish or British", "White"),
        ("white_irish", "Irish", "White"),
        ("white_gypsy_traveller", "Gypsy or Irish Traveller", "White"),
        ("white_roma", "Roma", "White"),
        ("white_other", "Any other White background", "White"),
        ("other_arab", "Arab", "Other ethnic group"),
        ("other_any", "Any other ethnic group", "Other ethnic group"),
        ("not_recorded", "Not recorded", "Not known"),
        ("prefer_not_to_say", "Prefer not to say", "Not known"),
    ],
)

RISK_LEVEL = vocabulary(
    "risk_level",
    [
        ("low", "Low"),
        ("medium", "Medium"),
        ("high", "High"),
        ("very_high", "Very high"),
        ("not_recorded", "Not recorded"),
    ],
)

MAPPA = vocabulary(
    "mappa",
    [
        ("none", "Not managed under MAPPA"),
        ("level_1", "MAPPA level 1"),
        ("level_2", "MAPPA level 2"),
        ("level_3", "MAPPA level 3"),
        ("not_recorded", "Not recorded"),
    ],
)

DISABILITY = vocabulary(
    "disability",
    [
        ("yes", "Yes"),
        ("no", "No"),
        ("not_recorded", "Not recorded"),
        ("prefer_not_to_say", "Prefer not to say"),
    ],
)


@dataclass(frozen=True)
class ProfileField:
    name: str
    label: str
    vocabulary: Vocabulary | None = None
    is_date: bool = False


PROFILE_FIELDS: tuple[ProfileField, ...] = (
    ProfileField("provider", "Provider", PROVIDER),
    ProfileField("sentence_type", "Sentence or disposal", SENTENCE_TYPE),
    ProfileField("phase", "Custody or community phase", PHASE),
    ProfileField("gender", "Gender", GENDER),
    ProfileField("ethnicity", "Ethnicity", ETHNICITY),
    ProfileField("date_of_birth", "Date of birth", is_date=True),
    ProfileField("rosh", "Risk of serious harm", RISK_LEVEL),
    ProfileField("mappa", "MAPPA", MAPPA),
    ProfileField("vulnerability", "Vulnerability", RISK_LEVEL),
    ProfileField("disability", "Disability", DISABILITY),
    ProfileField("responsible_officer", "Responsible officer"),
    ProfileField("assignee", "Inspector"),
)

PROFILE_FIELD_BY_NAME = {f.name: f for f in PROFILE_FIELDS}


@dataclass(frozen=True)
class CaseProfile:
    """Everything known about a case before its form is answered."""

    provider: str | None = None
    sentence_type: str | None = None
    phase: str | None = None
    gender: str | None = None
    ethnicity: str | None = None
    date_of_birth: dt.date | None = None
    rosh: str | None = None
    mappa: str | None = None
    vulnerability: str | None = None
    disability: str | None = None
    responsible_officer: str | None = None
    assignee: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def validate_profile(profile: CaseProfile) -> list[str]:
    """Problems with a profile's coded values, each naming the field and the value."""
    problems = []
    for field in PROFILE_FIELDS:
        value = getattr(profile, field.name)
        if value is None or field.vocabulary is None:
            continue
        if value not in field.vocabulary:
            allowed = ", ".join(field.vocabulary.codes())
            problems.append(f"{field.label}: '{value}' is not one of {allowed}")
    return problems
