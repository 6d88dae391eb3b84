"""The ratings an inspection's lead inspector records rather than the arithmetic gives: the
rating of a standard judged on the evidence (organisational delivery, policy and provision),
and an override, with its reason, where the inspectorate's judgement departs from the
arithmetic for a standard rated from its key questions or for the service overall.

An inspection keeps them as one record of its own (``rating_decisions``: target -> decision),
which travels with the inspection. One check of that record, used by the laptop before it
keeps a decision and by the central store for every inspection a laptop sends.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from app.core.frameworks import KEY_PATTERN, Framework, RatedBy

#: the four-point scale every standard, and the service, is rated on (the inspectorate's
#: published words)
RATING_SCALE = ("Outstanding", "Good", "Requires improvement", "Inadequate")
#: the target of a decision on the service's rating overall
OVERALL = "overall"
#: the most decisions an inspection keeps, and the longest reason
MOST_DECISIONS = 40
MOST_REASON = 2000
_MOST_NAME = 120
_FIELDS = frozenset({"rating", "reason", "by", "at"})
#: how far ahead of the store's clock a laptop's clock may be when it records a rating
CLOCK_ALLOWANCE = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class RatingDecision:
    """A rating recorded for ``target`` (a standard's key, or ``OVERALL``) by ``by`` at
    ``at``, for ``reason``."""

    target: str
    rating: str
    reason: str
    by: str
    at: dt.datetime

    def as_record(self) -> dict:
        return {"rating": self.rating, "reason": self.reason, "by": self.by,
                "at": self.at.isoformat()}

    def words(self, calculated: str | None) -> str:
        """How the decision reads beside the arithmetic's rating (None: there is none)."""
        when = self.at.date().isoformat()
        if calculated is None:
            return f"recorded by {self.by} on {when}: {self.reason}"
        if calculated == self.rating:
            return f"as the arithmetic gives; recorded by {self.by} on {when}: {self.reason}"
        return (f"the arithmetic gives {calculated}; rated {self.rating} by {self.by} on "
                f"{when}: {self.reason}")


def rated_targets(framework: Framework) -> dict[str, str]:
    """What a rating may be recorded for, by key, with its title: each standard the
    framework rates (those judged on the evidence among them), and the service overall."""
    targets = {s.key: s.title for s in framework.standards
               if s.rated_by == RatedBy.JUDGEMENT}
    for question in framework.questions():
        if question.key_question and question.standard:
            targets.setdefault(question.standard,
                               framework.standard_title(question.standard) or question.standard)
    ordered = {s.key: targets[s.key] for s in framework.standards if s.key in targets}
    return {**ordered, **targets, OVERALL: "The service overall"}


def decision_problems(record: object) -> list[str]:
    """Why an inspection's recorded ratings cannot be kept, one line each ("target: problem");
    empty when they can. ``record`` as the inspection holds it (target -> decision)."""
    if record is None:
        return []
    if not isinstance(record, Mapping):
        return ["recorded ratings: not a set of ratings by standard"]
    if len(record) > MOST_DECISIONS:
        return [f"recorded ratings: at most {MOST_DECISIONS} (this has {len(record)})"]
    problems = []
    for target, decision in record.items():
        name = str(target)[:80]
        if not isinstance(target, str) or not (target == OVERALL or (
                len(target) <= 80 and KEY_PATTERN.fullmatch(target))):
            problems.append(f"{name}: not a standard's key nor '{OVERALL}'")
            continue
        if not isinstance(decision, Mapping) or set(decision) != _FIELDS:
            problems.append(f"{name}: a recorded rating has a rating, a reason, who recorded "
                            "it and when")
            continue
        problems += _field_problems(name, decision)
    return problems


def _field_problems(name: str, decision: Mapping) -> list[str]:
    problems = []
    if decision["rating"] not in RATING_SCALE:
        problems.append(f"{name}: '{str(decision['rating'])[:40]}' is not one of "
                        f"{', '.join(RATING_SCALE)}")
    reason = decision["reason"]
    if not isinstance(reason, str) or not reason.strip():
        problems.append(f"{name}: a recorded rating needs its reason")
    elif len(reason) > MOST_REASON:
        problems.append(f"{name}: the reason is at most {MOST_REASON} characters (this has "
                        f"{len(reason)})")
    by = decision["by"]
    if not isinstance(by, str) or not by.strip() or len(by) > _MOST_NAME:
        problems.append(f"{name}: who recorded it is a person's name")
    if _moment(decision["at"]) is None:
        problems.append(f"{name}: when it was recorded is not a moment")
    return problems


def _moment(value: object) -> dt.datetime | None:
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def decisions_from(record: object) -> dict[str, RatingDecision]:
    """The decisions of a record as the inspection holds it; a record that does not pass
    ``decision_problems`` gives none of its decisions rather than some."""
    if not record or decision_problems(record):
        return {}
    return {target: RatingDecision(target, d["rating"], d["reason"].strip(), d["by"],
                                   _moment(d["at"]))
            for target, d in record.items()}


def changed_problems(before: object, after: object, person: str,
                     targets: Mapping[str, str] | None, now: dt.datetime | None) -> list[str]:
    """Why the decisions ``after`` adds or changes (against ``before``) cannot be made by
    ``person``: in someone else's name, for a target the framework does not rate
    (``targets``; None: not known here), or recorded later than ``now`` (and the clock
    allowance)."""
    was = before if isinstance(before, Mapping) else {}
    now_record = after if isinstance(after, Mapping) else {}
    problems = []
    if others := changed_by_others(was, now_record, person):
        problems.append("a rating is recorded in its author's own name (not so for "
                        + ", ".join(others) + ")")
    changed = [t for t, d in now_record.items() if was.get(t) != d]
    if targets is not None and (unknown := sorted(str(t) for t in changed
                                                  if t not in targets)):
        problems.append("the framework rates no standard " + ", ".join(unknown))
    if now is not None:
        later = sorted(str(t) for t in changed if isinstance(now_record[t], Mapping)
                       and (moment := _moment(now_record[t].get("at"))) is not None
                       and moment > now + CLOCK_ALLOWANCE)
        if later:
            problems.append("a rating is recorded when it is recorded, not later (not so "
                            "for " + ", ".join(later) + ")")
    return problems


def changed_by_others(before: object, after: object, person: str) -> list[str]:
    """The targets whose decision ``after`` adds or changes in someone else's name than
    ``person``'s (a decision is recorded in its author's own name)."""
    was = before if isinstance(before, Mapping) else {}
    now = after if isinstance(after, Mapping) else {}
    return sorted(str(target) for target, decision in now.items()
                  if was.get(target) != decision
                  and not (isinstance(decision, Mapping) and decision.get("by") == person))
