"""What an inspection says about itself for pooling across inspections: its year, the kind of
organisation inspected, its region (coded, so that one region is one group), whether its
sample was drawn at random or targeted, and which earlier inspection it re-inspects.

The annual reports pool case assessments across inspections by these, with rules of their own
(only the latest data where a unit was re-inspected; targeted samples never pooled with random
ones). One check of the values, used by the laptop when an inspection is set up or edited and
by the central store for every inspection a laptop sends.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from app.core.profile import PROGRAMMES
from app.core.vocab import vocabulary

ORGANISATION_TYPE = vocabulary(
    "organisation_type",
    [
        ("nps", "National Probation Service (NPS)"),
        ("crc", "Community Rehabilitation Company (CRC)"),
        ("pdu", "Probation delivery unit (PDU)"),
        ("probation_region", "Probation Service region"),
        ("yot", "Youth offending team or service (YOT)"),
        ("other", "Other"),
    ],
)

#: the regions inspections are reported by: the Probation Service's regions of England and
#: Wales (youth offending services are placed in the same areas)
REGION = vocabulary(
    "region",
    [
        ("north_east", "North East"),
        ("north_west", "North West"),
        ("yorkshire_humber", "Yorkshire and the Humber"),
        ("greater_manchester", "Greater Manchester"),
        ("east_midlands", "East Midlands"),
        ("west_midlands", "West Midlands"),
        ("east_of_england", "East of England"),
        ("london", "London"),
        ("kent_surrey_sussex", "Kent, Surrey and Sussex"),
        ("south_central", "South Central"),
        ("south_west", "South West"),
        ("wales", "Wales"),
    ],
)

RANDOM, TARGETED = "random", "targeted"
SAMPLE_DESIGN = vocabulary(
    "sample_design",
    [
        (RANDOM, "Random sample"),
        (TARGETED, "Targeted sample (a full joint inspection, say)"),
    ],
)

#: the years an inspection's year may be
FIRST_YEAR, LAST_YEAR = 2000, 2100


def details_problems(values: Mapping, own_id: object = None) -> list[str]:
    """Why an inspection's values cannot be kept, one line each ("field: problem"); empty
    when they can. ``values`` as a record holds them (codes, the year as a whole number, the
    re-inspected inspection's id); ``own_id``, the inspection's own id."""
    problems = []
    programme = values.get("programme")
    if programme not in PROGRAMMES:
        problems.append(f"programme: '{programme}' is not one of "
                        f"{', '.join(PROGRAMMES.codes())}")
    year = values.get("year")
    if year is not None and (not isinstance(year, int) or isinstance(year, bool)
                             or not FIRST_YEAR <= year <= LAST_YEAR):
        problems.append(f"year: '{year}' is not a year from {FIRST_YEAR} to {LAST_YEAR}")
    kind = values.get("organisation_type") or ""
    if kind and kind not in ORGANISATION_TYPE:
        problems.append(f"organisation type: '{kind}' is not one of "
                        f"{', '.join(ORGANISATION_TYPE.codes())}")
    region = values.get("region") or ""
    if region and region not in REGION:
        problems.append(f"region: '{region}' is not one of {', '.join(REGION.codes())}")
    design = values.get("sample_design")
    if design not in SAMPLE_DESIGN:
        problems.append(f"sample: '{design}' is not one of {', '.join(SAMPLE_DESIGN.codes())}")
    earlier = values.get("reinspects_id")
    if earlier is not None and own_id is not None and _same_id(earlier, own_id):
        problems.append("re-inspects: an inspection cannot re-inspect itself")
    return problems


def pooling_words(details) -> str:
    """An inspection's pooling details in a line ("2019; CRC; North; random sample; no
    earlier inspection"); ``details``, a ``PoolingDetails``."""
    kind = ORGANISATION_TYPE.label(details.organisation_type) or "organisation type not given"
    earlier = (f"re-inspects {details.reinspects_id}" if details.reinspects_id
               else "re-inspects none")
    return "; ".join([
        f"year {details.year}" if details.year else "year of its start date", kind,
        REGION.label(details.region) or "region not given",
        SAMPLE_DESIGN.label(details.sample_design).split(" (")[0].lower(), earlier])


def _same_id(a: object, b: object) -> bool:
    try:
        return uuid.UUID(str(a)) == uuid.UUID(str(b))
    except ValueError:
        return False
