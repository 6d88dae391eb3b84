"""Applicability rules as a line of text: read as the JSON rules they say, written back the
same, and every mistake named with where it is."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core.condition_text import condition_text, parse_condition_text
from app.core.conditions import ConditionSyntaxError, parse_condition


@pytest.mark.parametrize(("text", "expected"), [
    ("${victim_identified} = yes", {"answer": "victim_identified", "equals": "yes"}),
    ("phase in (custody, licence)", {"profile": "phase", "in": ["custody", "licence"]}),
    ("rosh not in (low)", {"profile": "rosh", "not_in": ["low"]}),
    ("${requirements} includes rar", {"answer": "requirements", "includes": "rar"}),
    ("${previous} is answered", {"answer": "previous", "answered": True}),
    ("${previous} IS NOT answered", {"answer": "previous", "answered": False}),
    ("gender != female", {"not": {"profile": "gender", "equals": "female"}}),
    ("${a} = 'two words'", {"answer": "a", "equals": "two words"}),
    ("${a} = yes and ${b} = no or ${c} = yes",
     {"any": [{"all": [{"answer": "a", "equals": "yes"}, {"answer": "b", "equals": "no"}]},
              {"answer": "c", "equals": "yes"}]}),
    ("${a} = yes and (${b} = no or not ${c} = yes)",
     {"all": [{"answer": "a", "equals": "yes"},
              {"any": [{"answer": "b", "equals": "no"},
                       {"not": {"answer": "c", "equals": "yes"}}]}]}),
    ("  ${ spaced } = yes  ", {"answer": "spaced", "equals": "yes"}),
])
def test_rules_read_as_the_json_they_say(text, expected):
    assert parse_condition_text(text) == expected
    parse_condition(expected)  # and the framework's own reader takes it


@pytest.mark.parametrize(("text", "said"), [
    ("", "the rule is empty"),
    ("${a} =", "the rule stops short: a value (a code, or text in quotes) was expected"),
    ("${a} yes", "at character 6: '=', 'in', 'not in', 'includes' or 'is answered' was "
                 "expected, not 'yes'"),
    ("${a = yes", "at character 1: '${a = yes' has no closing '}'"),
    ("${} = yes", "'${}' names no question"),
    ("phase in custody", "'(' and a list of values such as (custody, licence) was expected"),
    ("phase in (custody licence)", "at character 19: ',' or ')' was expected, not 'licence'"),
    ("(${a} = yes", "the rule stops short: ')' was expected"),
    ("${a} = yes ${b} = no", "at character 12: 'and', 'or' or the end of the rule was "
                             "expected, not '${b}'"),
    ("${a} = 'open", "the quoted text 'open has no closing quote"),
    ("${a} is given", "'answered' was expected, not 'given'"),
    ("and = yes", "a question as ${key} or a case profile field such as phase was expected"),
    ("${a} = yes; drop", "not ';'"),
])
def test_a_rule_that_cannot_be_read_says_where_and_what_was_expected(text, said):
    with pytest.raises(ConditionSyntaxError) as info:
        parse_condition_text(text)
    assert said in str(info.value)


_codes = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True).filter(
    lambda c: c not in {"and", "or", "not", "in", "includes", "is", "answered"})
_values = st.one_of(_codes, st.text(st.characters(blacklist_characters="'\"\n\r",
                                                  blacklist_categories=("Cs",)),
                                    min_size=1, max_size=12).map(str.strip).filter(bool))


def _leaves():
    answer = _codes.map(lambda k: {"answer": k})
    profile = _codes.map(lambda k: {"profile": k})
    return st.one_of(
        st.tuples(st.one_of(answer, profile), _values).map(lambda p: {**p[0], "equals": p[1]}),
        st.tuples(st.one_of(answer, profile), st.lists(_values, min_size=1, max_size=3),
                  st.sampled_from(["in", "not_in"])).map(lambda p: {**p[0], p[2]: p[1]}),
        st.tuples(answer, _values).map(lambda p: {**p[0], "includes": p[1]}),
        st.tuples(answer, st.booleans()).map(lambda p: {**p[0], "answered": p[1]}),
    )


_rules = st.recursive(_leaves(), lambda inner: st.one_of(
    st.lists(inner, min_size=2, max_size=3).map(lambda c: {"all": c}),
    st.lists(inner, min_size=2, max_size=3).map(lambda c: {"any": c}),
    inner.map(lambda c: {"not": c})), max_leaves=8)


@given(_rules)
def test_a_rule_written_as_text_reads_back_the_same(rule):
    assert parse_condition_text(condition_text(rule)) == rule
