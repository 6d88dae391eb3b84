"""Second marking: the judgements of a case's key questions side by side, and the judgement
the two markers agreed, recorded by a supervisor."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from app.cli.common import case_json, cases_by_reference, uuid_arg
from app.core.second_marking import JUDGEMENTS

if TYPE_CHECKING:
    from app.services.registry import Services


def add_commands(sub, common) -> None:
    """Add this group's commands to ``sub``, each taking the ``common`` options."""
    marking = sub.add_parser("second-marking", parents=[common],
                             help="second marking: the judgements side by side, and the "
                                  "agreed judgement")
    marking_sub = marking.add_subparsers(dest="action", metavar="ACTION", required=True)
    waiting = marking_sub.add_parser("to-agree", parents=[common],
                                     help="cases second marked whose agreed judgements are "
                                          "still to record")
    waiting.add_argument("--inspection", required=True, type=uuid_arg, metavar="ID")
    shown = marking_sub.add_parser("judgements", parents=[common],
                                   help="a case's first, second and agreed judgements")
    agree = marking_sub.add_parser("agree", parents=[common],
                                   help="record the judgement both markers agreed on "
                                        "(supervisors)")
    for parser in (shown, agree):
        parser.add_argument("--inspection", required=True, type=uuid_arg, metavar="ID")
        parser.add_argument("--case", required=True, metavar="REFERENCE")
    agree.add_argument("--question", required=True, metavar="KEY",
                       help="the key question (as 'judgements' lists it)")
    agree.add_argument("--judgement", required=True, choices=JUDGEMENTS)
    agree.add_argument("--note", required=True, help="how the judgement was agreed")


def _to_agree(s: Services, args) -> tuple[object, str]:
    waiting = s.moderation.to_agree(args.inspection)
    lines = [f"{case.reference:<12} {n} key question{'s' if n != 1 else ''} to agree"
             for case, n in waiting]
    return ([{**case_json(case), "to_agree": n} for case, n in waiting],
            "\n".join(lines) or "No second marked case is waiting for its agreed judgements.")


def _judgements(s: Services, args) -> tuple[object, str]:
    [case] = cases_by_reference(s, args.inspection, [args.case])
    judged = s.moderation.judgements(case.id)
    lines = [f"{key}: first {entry.get('first') or '—'}, second {entry.get('second') or '—'}, "
             f"agreed {entry.get('agreed') or '—'}  ({entry['question']})"
             for key, entry in judged.items()]
    return ({"case": case.reference, "judgements": judged},
            "\n".join(lines) or f"No key question of case {case.reference} is second marked.")


def _agree(s: Services, args) -> tuple[object, str]:
    [case] = cases_by_reference(s, args.inspection, [args.case])
    s.moderation.agree(case_id=case.id, question_key=args.question, value=args.judgement,
                       note=args.note)
    return ({"case": case.reference, "question": args.question, "agreed": args.judgement},
            f"Agreed judgement for {args.question} of case {case.reference}: "
            f"{args.judgement}.")


#: What each command does, by (command, action).
HANDLERS: dict[tuple[str, str | None], Callable] = {
    ("second-marking", "to-agree"): _to_agree,
    ("second-marking", "judgements"): _judgements,
    ("second-marking", "agree"): _agree,
}
#: Commands that open no database.
NO_DATABASE: frozenset = frozenset()
