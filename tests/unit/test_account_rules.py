"""The rules for signing in to the central service: back-off, lock-out, passwords."""

from __future__ import annotations

import datetime as dt

import pytest

from app.core.accounts import locked_out, password_problem, wait_after


def test_the_first_wrong_passwords_cost_nothing_then_the_wait_doubles_up_to_an_hour():
    minutes = [wait_after(n) / dt.timedelta(minutes=1) for n in range(0, 13)]
    assert minutes == [0, 0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 60, 60]
    assert not locked_out(19) and locked_out(20)


@pytest.mark.parametrize(("password", "problem"), [
    ("short pass", "too short"),
    ("x" * 1025, "too long"),
    ("J.Smith-2026-spring", "must not contain the login name"),
    ("abababababababab", "repeats too few characters"),
])
def test_a_password_that_will_not_do_says_why(password, problem):
    assert problem in password_problem(password, "j.smith")


def test_a_good_password_passes():
    assert password_problem("correct horse battery", "j.smith") is None
