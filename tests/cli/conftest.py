"""Fixtures of the command-line tests: the small synthetic cohort of the cohort tests."""

from tests.cohort.conftest import synthetic  # noqa: F401
