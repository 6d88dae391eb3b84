"""What each entry of a case's history is, and what it is called wherever it is shown (the
case form's history, the case PDF): a review move (``workflow.ACTION``), or a mark that asks
for more review of the case without moving it (dip sampling, second marking)."""

from __future__ import annotations

from app.core.second_marking import SECOND_MARKING
from app.core.vocab import vocabulary
from app.core.workflow import ACTION

#: the case event by which a supervisor marks a case for dip sampling
DIP_SAMPLE = "dip_sample"
#: events that mark a case for more review rather than move it
MARKING_EVENTS = frozenset({DIP_SAMPLE, SECOND_MARKING})

CASE_EVENT = vocabulary("case_event", [
    *((choice.code, choice.label) for choice in ACTION.choices),
    (DIP_SAMPLE, "Marked for dip sampling"),
    (SECOND_MARKING, "Asked for second marking"),
])
