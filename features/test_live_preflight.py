"""Scenarios of live_preflight.feature (the raw SQL scenario on broken and fixed sample apps is tested in
tests/test_live_preflight_safety.py)."""

from __future__ import annotations

from pytest_bdd import scenarios

scenarios("live_preflight.feature")
