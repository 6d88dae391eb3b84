"""Practice examples and quotations attached to a case."""

from __future__ import annotations

from app.core.vocab import vocabulary

EXAMPLE_KIND = vocabulary(
    "practice_example_kind",
    [
        ("good_practice", "Good practice"),
        ("poor_practice", "Poor practice"),
        ("quotation", "Quotation"),
    ],
)

SPEAKER_ROLE = vocabulary(
    "speaker_role",
    [
        ("", "—"),
        ("service_user", "Service user"),
        ("child_or_young_person", "Child or young person"),
        ("parent_or_carer", "Parent or carer"),
        ("practitioner", "Responsible officer or case manager"),
        ("manager", "Manager"),
        ("partner", "Partner agency"),
        ("sentencer", "Sentencer"),
        ("victim", "Victim"),
    ],
)
