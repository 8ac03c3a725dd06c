"""Scenarios of remaining_issues.feature."""

from pytest_bdd import scenarios

scenarios("remaining_issues.feature")
