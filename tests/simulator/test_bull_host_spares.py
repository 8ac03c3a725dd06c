"""Spare Bull hosts: a host is launched on a Node process started ahead, and spares end with the pool."""

from __future__ import annotations

from simulator.node.runtime import ensure_bull, find_node
from simulator.queues.bull_host.client import HOST_SCRIPT
from simulator.queues.bull_host.spares import HostSpares


def test_a_taken_host_was_started_ahead_and_the_pool_is_topped_up() -> None:
    runtime = find_node()
    modules = ensure_bull(runtime)
    spares = HostSpares(keep=1)
    try:
        cold = spares.take(runtime, modules, HOST_SCRIPT)  # the first one is started on the spot
        ahead = [process.pid for process in spares._idle[(runtime.node, str(modules), str(HOST_SCRIPT))]]
        assert len(ahead) == 1 and ahead[0] != cold.pid
        taken = spares.take(runtime, modules, HOST_SCRIPT)
        assert taken.pid == ahead[0], "the process started ahead is the one taken"
        assert taken.poll() is None, "the spare is alive, waiting for its config"
    finally:
        for process in (cold, taken):
            assert process.stdin is not None
            process.stdin.close()
            assert process.wait(timeout=10) == 0, "a host given no config exits 0 when its stdin closes"
        spares.close()


def test_closing_the_pool_ends_its_idle_spares() -> None:
    runtime = find_node()
    modules = ensure_bull(runtime)
    spares = HostSpares(keep=2)
    spares.take(runtime, modules, HOST_SCRIPT).kill()
    idle = list(spares._idle[(runtime.node, str(modules), str(HOST_SCRIPT))])
    assert len(idle) == 2 and all(process.poll() is None for process in idle)
    spares.close()
    assert [process.returncode for process in idle] == [0, 0]
