"""Redis restarted mid-run (an embedded Valkey with persistence): workers and producers reconnect, nothing lost."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import redis

from harness.backends.embedded import EmbeddedRedis
from harness.isolation import ScenarioEnv
from harness.ledger import take_ledger
from simulator.release import HEALTHY
from simulator.simulation import Simulation

PO_COUNT = 6


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[EmbeddedRedis]:
    """A Valkey of this test alone (AOF, fsync always): restarting it disturbs no other test or the machine's Redis."""
    server = EmbeddedRedis(tmp_path / "valkey", persistence=True)
    server.start()
    yield server
    server.stop()


def test_persistent_data_survive_a_restart(own_redis: EmbeddedRedis) -> None:
    client = redis.Redis.from_url(own_redis.url)
    client.set("harness-restart-probe", "kept")
    own_redis.restart()
    assert client.get("harness-restart-probe") == b"kept"  # the client reconnects on its own
    client.close()


def test_redis_restarted_mid_run_workers_and_producers_reconnect(scenario: ScenarioEnv,
                                                                 own_redis: EmbeddedRedis) -> None:
    env = replace(scenario, redis_url=own_redis.url)  # the scenario's database, this test's Redis
    with Simulation(env, release=HEALTHY, seed=16) as sim:
        sim.upload_fake_pos(PO_COUNT, lines=3)
        assert sim.run_until(lambda: sim.workflows().get("done", 0) >= 1, within_virtual_minutes=30)
        assert sim.workflows().get("done", 0) < PO_COUNT, "the restart must land mid-run"
        own_redis.restart()
        sim.upload_fake_pos(2, lines=2)  # producers after the restart
        assert sim.run_until(sim.all_finished, within_virtual_minutes=240), sim.workflows()
        assert sim.workflows() == {"done": PO_COUNT + 2}
    ledger = take_ledger(env.redis_url, env.prefix)
    assert ledger.lost == [] and ledger.unfinished == [], ledger.summary()
    assert len(ledger.where("completed")) >= (PO_COUNT + 2) * 6, ledger.summary()
