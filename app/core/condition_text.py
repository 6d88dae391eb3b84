"""Applicability rules written as a line of text, for a framework authored in a workbook.

The rule a question's ``applies_if`` holds (``app.core.conditions``) is a JSON object; in a
workbook cell it is written the way people who write forms already write them (as in
XLSForm's ``relevant`` column): an earlier question's answer is named as ``${key}``, a case
profile field by its name.

    ${victim_identified} = yes
    ${requirements} includes rar
    ${previous_question} is answered          ${previous_question} is not answered
    phase in (custody, licence)               rosh not in (low)
    gender = female and not (${psr_prepared} = yes)
    ${a} = yes or (${b} = no and ${c} = yes)

``and`` binds tighter than ``or``; ``not`` applies to what follows it; brackets group. A
value is a code (letters, digits, ``_``, ``.``, ``-``) or quoted text ('like this').
``!=`` is accepted as ``not (... = ...)``. ``condition_text`` writes a rule back in the same
words, so a rule read from text and written again reads the same.
"""

from __future__ import annotations

import re

from app.core.conditions import MOST_DEPTH, ConditionSyntaxError

_TOKEN = re.compile(r"""
    \s*(?:
      (?P<answer>\$\{[^}]*\}?)
    | (?P<quoted>'[^']*'?|"[^"]*"?)
    | (?P<op>!=|=|\(|\)|,)
    | (?P<word>[A-Za-z0-9_.\-]+)
    | (?P<other>\S)
    )""", re.VERBOSE)
_CODE = re.compile(r"^[A-Za-z0-9_.\-]+$")
_KEYWORDS = {"and", "or", "not", "in", "includes", "is", "answered"}


class _Token:
    __slots__ = ("at", "kind", "text")

    def __init__(self, kind: str, text: str, at: int):
        self.kind, self.text, self.at = kind, text, at

    def is_word(self, *words: str) -> bool:
        return self.kind == "word" and self.text.lower() in words


def _tokens(text: str) -> list[_Token]:
    found, at = [], 0
    while at < len(text):
        match = _TOKEN.match(text, at)
        if match is None or match.end() == at:  # only spaces were left
            break
        kind = match.lastgroup or "other"
        found.append(_Token(kind, match.group(kind), match.start(kind) + 1))
        at = match.end()
    return found


def parse_condition_text(text: str) -> dict:
    """The JSON condition a line of text says. Raises ``ConditionSyntaxError`` naming where
    (the character counted from 1) and what was expected."""
    tokens = _tokens(text)
    if not tokens:
        raise ConditionSyntaxError("the rule is empty")
    parser = _Parser(tokens, text)
    result = parser.any_of()
    if parser.position < len(tokens):
        parser.fail("'and', 'or' or the end of the rule")
    return result


class _Parser:
    def __init__(self, tokens: list[_Token], text: str):
        self.tokens, self.text, self.position = tokens, text, 0
        self.depth = 0

    def deeper(self) -> None:
        self.depth += 1
        if self.depth > MOST_DEPTH:
            raise ConditionSyntaxError(f"the rule is nested more than {MOST_DEPTH} deep "
                                       "(brackets and 'not'); write it more simply")

    def peek(self) -> _Token | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.peek()
        if token is None:
            raise ConditionSyntaxError(f"the rule '{self.text}' stops short")
        self.position += 1
        return token

    def fail(self, expected: str):
        token = self.peek()
        if token is None:
            raise ConditionSyntaxError(f"the rule stops short: {expected} was expected at "
                                       "its end")
        raise ConditionSyntaxError(f"at character {token.at}: {expected} was expected, not "
                                   f"'{token.text}'")

    def any_of(self) -> dict:
        parts = [self.all_of()]
        while (token := self.peek()) is not None and token.is_word("or"):
            self.take()
            parts.append(self.all_of())
        return parts[0] if len(parts) == 1 else {"any": parts}

    def all_of(self) -> dict:
        parts = [self.negated()]
        while (token := self.peek()) is not None and token.is_word("and"):
            self.take()
            parts.append(self.negated())
        return parts[0] if len(parts) == 1 else {"all": parts}

    def negated(self) -> dict:
        token = self.peek()
        if token is not None and token.is_word("not"):
            self.take()
            self.deeper()
            inner = self.negated()
            self.depth -= 1
            return {"not": inner}
        if token is not None and token.text == "(":
            self.take()
            self.deeper()
            inner = self.any_of()
            self.depth -= 1
            if (closing := self.peek()) is None or closing.text != ")":
                self.fail("')'")
            self.take()
            return inner
        return self.test()

    def test(self) -> dict:
        token = self.peek()
        if token is None or not (token.kind == "answer" or (token.kind == "word"
                                 and token.text.lower() not in _KEYWORDS)):
            self.fail("a question as ${key} or a case profile field such as phase")
        self.take()
        if token.kind == "answer":
            key = token.text[2:-1].strip() if token.text.endswith("}") else ""
            if not token.text.endswith("}"):
                raise ConditionSyntaxError(f"at character {token.at}: '{token.text}' has no "
                                           "closing '}'")
            if not key:
                raise ConditionSyntaxError(f"at character {token.at}: '${{}}' names no "
                                           "question")
            subject = {"answer": key}
        else:
            subject = {"profile": token.text}
        operator = self.peek()
        if operator is None:
            self.fail("'=', 'in', 'not in', 'includes' or 'is answered'")
        if operator.text in ("=", "!="):
            self.take()
            leaf = {**subject, "equals": self.value()}
            return {"not": leaf} if operator.text == "!=" else leaf
        if operator.is_word("in"):
            self.take()
            return {**subject, "in": self.values()}
        if operator.is_word("includes"):
            self.take()
            return {**subject, "includes": self.value()}
        if operator.is_word("not"):
            self.take()
            if (following := self.peek()) is None or not following.is_word("in"):
                self.fail("'in' after 'not'")
            self.take()
            return {**subject, "not_in": self.values()}
        if operator.is_word("is"):
            self.take()
            answered = True
            if (following := self.peek()) is not None and following.is_word("not"):
                self.take()
                answered = False
            if (following := self.peek()) is None or not following.is_word("answered"):
                self.fail("'answered'")
            self.take()
            return {**subject, "answered": answered}
        self.fail("'=', 'in', 'not in', 'includes' or 'is answered'")
        raise AssertionError  # fail always raises

    def value(self) -> str:
        token = self.peek()
        if token is None or token.kind not in ("word", "quoted"):
            self.fail("a value (a code, or text in quotes)")
        self.take()
        if token.kind == "quoted":
            if len(token.text) < 2 or token.text[-1] != token.text[0]:
                raise ConditionSyntaxError(f"at character {token.at}: the quoted text "
                                           f"{token.text} has no closing quote")
            return token.text[1:-1]
        return token.text

    def values(self) -> list[str]:
        if (opening := self.peek()) is None or opening.text != "(":
            self.fail("'(' and a list of values such as (custody, licence)")
        self.take()
        found = [self.value()]
        while (token := self.peek()) is not None and token.text == ",":
            self.take()
            found.append(self.value())
        if (closing := self.peek()) is None or closing.text != ")":
            self.fail("',' or ')'")
        self.take()
        return found


def condition_text(raw: dict) -> str:
    """A JSON condition (``app.core.conditions``) as a line of text that
    ``parse_condition_text`` reads back as the same condition."""
    return _written(raw, top=True)


def _written(raw: dict, *, top: bool = False) -> str:
    for combinator, joiner in (("all", " and "), ("any", " or ")):
        if combinator in raw:
            text = joiner.join(_written(part) for part in raw[combinator])
            return text if top else f"({text})"
    if "not" in raw:
        return f"not ({_written(raw['not'], top=True)})"
    subject = f"${{{raw['answer']}}}" if "answer" in raw else str(raw["profile"])
    if "equals" in raw:
        return f"{subject} = {_value(raw['equals'])}"
    if "includes" in raw:
        return f"{subject} includes {_value(raw['includes'])}"
    if "in" in raw or "not_in" in raw:
        test = "in" if "in" in raw else "not in"
        values = raw.get("in", raw.get("not_in"))
        return f"{subject} {test} ({', '.join(_value(v) for v in values)})"
    return f"{subject} is {'' if raw.get('answered') else 'not '}answered"


def _value(value: object) -> str:
    text = str(value)
    if _CODE.match(text) and text.lower() not in _KEYWORDS:
        return text
    return f'"{text}"' if "'" in text else f"'{text}'"
