"""Steps every feature shares: the scenario's own Redis and Postgres."""

from __future__ import annotations

from pytest_bdd import given

from simulator.isolation import ScenarioEnv


@given("the scenario's Redis and Postgres", target_fixture="env")
def scenario_servers(scenario: ScenarioEnv) -> ScenarioEnv:
    return scenario
