"""The rules for people signing in to the central service: passwords, back-off and lock-out,
and how long a sign-in lasts. Pure: the service applies them to what its database holds."""

from __future__ import annotations

import datetime as dt

#: Wrong passwords in a row that cost nothing; after them each one makes the next try wait.
FREE_FAILURES = 4
#: The longest wait between tries once failures mount.
LONGEST_WAIT = dt.timedelta(hours=1)
#: Wrong passwords in a row after which only an administrator's reset lets the person in.
LOCK_OUT_AFTER = 20
#: How long a sign-in lasts: a sync or two. Signing in again costs the person nothing, as the
#: laptop keeps no password.
SESSION_LENGTH = dt.timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 12
#: The most requests one person makes of the central service in a minute (a sync of a
#: thousand fully answered cases takes about 120).
REQUESTS_PER_MINUTE = 600
MAX_PASSWORD_LENGTH = 1024  # hashing a huge "password" costs the service, not the attacker


def wait_after(failures: int) -> dt.timedelta:
    """How long the next try must wait after ``failures`` wrong passwords in a row: nothing
    for the first few, then one minute, doubling each time, up to an hour."""
    beyond = failures - FREE_FAILURES
    if beyond <= 0:
        return dt.timedelta(0)
    return min(dt.timedelta(minutes=2 ** (beyond - 1)), LONGEST_WAIT)


def locked_out(failures: int) -> bool:
    """Whether the account is locked until an administrator resets its password."""
    return failures >= LOCK_OUT_AFTER


def password_problem(password: str, login: str) -> str | None:
    """Why ``password`` will not do for ``login``, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"The password is too short: use at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"The password is too long: use at most {MAX_PASSWORD_LENGTH} characters."
    if login and login.lower() in password.lower():
        return "The password must not contain the login name."
    if len(set(password)) < 4:
        return "The password repeats too few characters: choose a less guessable one."
    return None
