"""Typed errors shared by every layer.

Services raise these; the command line prints them and the window shows them in one place.
A ``UserFacingError`` carries a message that says what is wrong and what to do about it.
"""

from __future__ import annotations


class AppError(Exception):
    """Base class for every error the application raises on purpose."""


class Cancelled(AppError):
    """Work stopped because the person asked it to: nothing went wrong, nothing to report."""


class UserFacingError(AppError):
    """An error whose message is written for the person using the app.

    ``problem`` says what is wrong; ``advice`` says what to do next.
    """

    def __init__(self, problem: str, advice: str = "", *, details: list[str] | None = None):
        self.problem = problem
        self.advice = advice
        self.details = list(details or [])
        super().__init__(self.message)

    @property
    def message(self) -> str:
        text = self.problem
        if self.advice:
            text = f"{text}\n{self.advice}"
        return text

    @property
    def more(self) -> list[str]:
        """The details to show beneath the problem: those it does not already say."""
        return [line for line in self.details if line not in self.problem]

    def as_dict(self) -> dict[str, object]:
        return {
            "error": type(self).__name__,
            "problem": self.problem,
            "advice": self.advice,
            "details": self.details,
        }


class ValidationError(UserFacingError):
    """Input that breaks a rule: a value, a reference, a field."""


class WorkflowError(UserFacingError):
    """A move in the case review workflow that this person may not make, or not yet."""


class NotFoundError(UserFacingError):
    """Something asked for by id or reference does not exist."""


class DuplicateError(ValidationError):
    """A value that must be unique is already taken (for example a case reference)."""


class FrameworkError(UserFacingError):
    """A question framework is invalid; ``details`` lists every problem found, and
    ``problems`` says where each is (``app.core.framework_loader.FrameworkProblem``, or for a
    workbook ``app.core.framework_sheets.SheetProblem``) when it was found in the framework's
    content."""

    problems: list = []  # noqa: RUF012 - replaced, never changed in place

    def as_dict(self) -> dict[str, object]:
        found = super().as_dict()
        if self.problems:
            from dataclasses import asdict

            found["problems"] = [asdict(p) for p in self.problems]
        return found


class DatabaseError(UserFacingError):
    """The local database cannot be opened, read or written."""


class NewerDatabaseError(DatabaseError):
    """The database was written by a newer version of the app."""


class MigrationError(DatabaseError):
    """Upgrading the database failed; it has been restored from the backup."""


class WrongKeyError(DatabaseError):
    """The database cannot be opened with the key or passphrase given; it is unchanged."""


class KeyNeededError(DatabaseError):
    """A passphrase is needed and none was given: ``new`` when one must be chosen for a new
    database (no keyring to keep a key in), otherwise the existing database's passphrase."""

    def __init__(self, problem: str, advice: str = "", *, new: bool = False):
        super().__init__(problem, advice)
        self.new = new
