"""bench.machine_cpu: the whole machine's busy cores over a timed block, read from /proc/stat."""

from __future__ import annotations

import os
import time

from bench.machine_cpu import MachineCpu


def test_a_spinning_block_shows_at_least_most_of_a_core_busy_and_no_more_than_the_machine_has() -> None:
    with MachineCpu() as machine:
        deadline = time.perf_counter() + 0.4
        while time.perf_counter() < deadline:
            pass
    use = machine.use
    assert use is not None
    assert use.cores == (os.cpu_count() or 1)
    # This thread spun the whole time; other processes can only add to the machine's busy cores.
    assert 0.6 <= use.cores_busy <= use.cores + 0.05, use
    assert use.wall_seconds >= 0.4

