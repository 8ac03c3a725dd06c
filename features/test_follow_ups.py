"""Scenarios of follow_ups.feature."""

from pytest_bdd import scenarios

scenarios("follow_ups.feature")
