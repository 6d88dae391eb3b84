"""Fixtures shared by the central store's tests."""

from tests.integration.test_central_security import store  # noqa: F401 (a fixture)
