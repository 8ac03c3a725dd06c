"""Scenarios of pre_deployment.feature."""

from pytest_bdd import scenarios

scenarios("pre_deployment.feature")
