"""connection-hygiene: leaked clients push Postgres connections past 25 and the fan-out gets a real P2024."""

from __future__ import annotations

from harness.isolation import ScenarioEnv
from simulator.release import HEALTHY
from simulator.simulation import Simulation

BROKEN = HEALTHY.with_broken("connection-hygiene")
# Four pool-fulls of concurrent lookups (8 virtual s each, pool of 5): the last wave waits 24 virtual s, more than
# twice the 10 s pool timeout, so every attempt gets its P2024. With 12 lines the third wave waited 16 s, and a
# loaded machine starting the lookup threads late let one attempt through (seen twice under -n 2).
LINES = 20


def test_same_workload_broken_and_fixed(scenario: ScenarioEnv, other_scenario: ScenarioEnv) -> None:
    # Sampled every virtual second: the peak is short on a busy machine, and a coarse sampler can miss it.
    with Simulation(scenario, release=BROKEN, seed=14, sample_every_seconds=1) as sim:
        sim.upload_fake_pos(3, lines=LINES)
        assert sim.run_until(sim.all_finished, within_virtual_minutes=20), sim.workflows()
        timeouts = sim.logs.matching("pool-timeout")
        assert timeouts, "a real pool timeout"
        assert "Timed out fetching a new connection from the connection pool" in timeouts[0].message
        assert sim.metrics.peak("pg_connections") >= 25, "counted in pg_stat_activity"
        assert sim.workflows() == {"failed": 3}

    with Simulation(other_scenario, release=HEALTHY, seed=14, sample_every_seconds=5) as sim:
        sim.upload_fake_pos(3, lines=LINES)
        assert sim.run_until(sim.all_finished, within_virtual_minutes=20), sim.workflows()
        assert sim.workflows() == {"done": 3}
        assert sim.logs.matching("pool-timeout") == []
        assert 0 < sim.metrics.peak("pg_connections") < 25
