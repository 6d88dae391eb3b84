"""What each entry of a case's history is, and what it is called wherever it is shown (the
case form's history, the case PDF): a review move (``workflow.ACTION``), or a mark that asks
for more review of the case without moving it (dip sampling, second marking); and the values
a change in the history held, in the words the form uses."""

from __future__ import annotations

from collections.abc import Callable

from app.core.frameworks import Framework
from app.core.profile import PROFILE_FIELD_BY_NAME
from app.core.second_marking import SECOND_MARKING
from app.core.vocab import vocabulary
from app.core.workflow import ACTION, CASE_STATUS

#: the case event by which a supervisor marks a case for dip sampling
DIP_SAMPLE = "dip_sample"
#: events that mark a case for more review rather than move it
MARKING_EVENTS = frozenset({DIP_SAMPLE, SECOND_MARKING})

CASE_EVENT = vocabulary("case_event", [
    *((choice.code, choice.label) for choice in ACTION.choices),
    (DIP_SAMPLE, "Marked for dip sampling"),
    (SECOND_MARKING, "Asked for second marking"),
])


def value_in_words(framework: Framework, question_key: str | None, field: str,
                   value: object) -> str:
    """A value a change held (an answer's value or reasons, a case's status or profile), as
    the form shows it: "Yes", "Not timely", "In progress", never the stored code; nothing
    given is "—"."""
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    label: Callable[[str], str] = str
    if question_key is not None:
        if field in ("value", "reasons") and question_key in framework.question_keys():
            label = framework.question(question_key).option_label
    elif field == "status":
        label = CASE_STATUS.label
    elif (profile := PROFILE_FIELD_BY_NAME.get(field)) is not None and profile.vocabulary:
        label = profile.vocabulary.label
    if isinstance(value, list):
        return ", ".join(label(str(v)) for v in value)
    if isinstance(value, dict):  # a need-area matrix: each row and its judgement
        return "; ".join(f"{label(str(row))}: {label(str(cell))}" for row, cell in value.items())
    return label(value) if isinstance(value, str) else str(value)
