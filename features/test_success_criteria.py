"""Scenarios of success_criteria.feature."""

from pytest_bdd import scenarios

scenarios("success_criteria.feature")
