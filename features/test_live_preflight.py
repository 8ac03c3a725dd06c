"""Scenarios of live_preflight.feature."""

from pytest_bdd import scenarios

scenarios("live_preflight.feature")
