"""Scenarios of post_deployment.feature."""

from pytest_bdd import scenarios

scenarios("post_deployment.feature")
