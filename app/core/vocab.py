"""Controlled vocabularies: a code that is stored, and the label people read."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Choice:
    code: str
    label: str
    group: str = ""
    exclusive: bool = False  # in a multiple choice, chosen only on its own ("None of these")


@dataclass(frozen=True)
class Vocabulary:
    name: str
    choices: tuple[Choice, ...]

    def codes(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.choices)

    def label(self, code: str | None) -> str:
        if code is None:
            return ""
        for choice in self.choices:
            if choice.code == code:
                return choice.label
        return code

    def __contains__(self, code: object) -> bool:
        return any(c.code == code for c in self.choices)


def vocabulary(name: str, pairs: Iterable[tuple[str, str] | tuple[str, str, str]]) -> Vocabulary:
    return Vocabulary(name, tuple(Choice(*p) for p in pairs))
