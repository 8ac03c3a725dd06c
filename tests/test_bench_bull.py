"""bench.bull_ceiling with tiny sizes: the Node Bull no-op ceiling and the Bull host round trip, leaving no keys."""

from __future__ import annotations

import redis

from bench.bull_ceiling import measure
from harness.backends import Backend
from harness.isolation import NAME_STEM


def test_both_figures_are_measured_and_their_keys_removed(backend: Backend) -> None:
    figures = measure(backend.redis_url, jobs=200, concurrencies=(2,))
    assert set(figures) == {"bull_node_noop_c2", "bull_host_roundtrip_c2"}
    assert all(value > 0 for value in figures.values()), figures
    client = redis.Redis.from_url(backend.redis_url)
    try:
        assert not list(client.scan_iter(match=f"{NAME_STEM}-bench-bull-*", count=1000))
    finally:
        client.close()
