"""Scenarios of deployment.feature."""

from pytest_bdd import scenarios

scenarios("deployment.feature")
