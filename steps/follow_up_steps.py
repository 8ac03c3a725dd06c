"""Steps for the checklist's follow-up tasks: queue definitions, rate limiting, hygiene, cron batching."""

from __future__ import annotations

import psycopg
from pytest_bdd import parsers, then

from simulator.bugs.temporary_queue import stranded_jobs
from simulator.clock import CRON_TICK
from simulator.simulation import Simulation
from simulator.workflow.stages import QUEUE_OF
from steps.runner import ToolRun
from steps.tool_steps import tool_json


@then("every queue of the shared config is served, and every queue the workflow uses is defined in Redis")
def queues_defined(tool_run: ToolRun, sim: Simulation) -> None:
    """A queue no job was ever added to has no key yet, whatever the library: only the workflow's must exist."""
    listing = tool_json(tool_run)
    undefined = sorted(set(listing["registry_missing"]) & set(QUEUE_OF.values()))
    assert undefined == [], f"queues of the workflow missing in Redis: {undefined}"
    assert sim.check_queues() == [], f"registered queues no worker consumes: {sim.check_queues()}"


def _strays(tool_run: ToolRun) -> list[str]:
    """Queues `manage-queues list --json` found that the shared config does not name."""
    return [queue["name"] for queue in tool_json(tool_run)["queues"] if not queue["registered"]]


@then("the queue list shows no queue outside the shared config")
def no_unregistered_queue(tool_run: ToolRun) -> None:
    strays = _strays(tool_run)
    assert not strays, f"queues outside the shared config: {strays}"


@then("the queue list shows a queue outside the shared config")
def some_unregistered_queue(tool_run: ToolRun) -> None:
    assert _strays(tool_run), "every queue in Redis is in the shared config"


@then(parsers.re(r'(?P<count>\d+|no) jobs? waits? on the temporary queue "(?P<name>[^"]+)" of the default Redis'))
def temporary_queue_jobs(sim: Simulation, count: str, name: str) -> None:
    """The default Redis is the app's server, another database: where the broken addJob made its queue."""
    expected = 0 if count == "no" else int(count)
    found = stranded_jobs(sim.env.redis_url, sim.env.prefix, name)
    assert found == expected, f"{found} jobs wait on the temporary queue {name}, expected {expected}"


def _current_stages(sim: Simulation) -> dict[str, int]:
    with psycopg.connect(sim.env.database_url) as conn:
        rows = conn.execute('SELECT "currentStage", count(*) FROM "WorkflowExecution" GROUP BY 1').fetchall()
    return {str(stage): int(count) for stage, count in rows}


@then(parsers.parse('no workflow got past "{stage}"'))
def no_workflow_past(sim: Simulation, stage: str) -> None:
    stages = _current_stages(sim)
    assert set(stages) == {stage}, f"workflows per current stage: {stages}"


@then(parsers.parse('every workflow is at stage "{stage}"'))
def every_workflow_at(sim: Simulation, stage: str) -> None:
    stages = _current_stages(sim)
    assert set(stages) == {stage}, f"workflows per current stage: {stages}"


@then(parsers.parse("the cron is scheduled every {low:d} to {high:d} virtual minutes"))
def cron_schedule(sim: Simulation, low: int, high: int) -> None:
    minutes = sim.cron.interval / 60
    assert low <= minutes <= high, f"cron runs every {minutes:g} virtual minutes"


@then(parsers.parse("scheduled cron runs start at least {minutes:d} virtual minutes apart"))
def cron_interval(sim: Simulation, minutes: int) -> None:
    """Like `*/N` in a crontab the runs sit on a grid, so only the runs after the first (at deploy) are compared."""
    sim.clock.check(CRON_TICK)  # a tick fired late narrows the gap to the next one: no verdict on the schedule
    starts = [event.t for event in sim.logs.events() if event.message == "cron tick started"][1:]
    assert len(starts) >= 2, f"only {len(starts)} scheduled cron runs"
    gaps = [later - earlier for earlier, later in zip(starts, starts[1:], strict=False)]
    assert min(gaps) >= minutes * 60 - 1, f"cron runs {min(gaps) / 60:.2f} virtual minutes apart"


@then(parsers.parse("no cron run picks more than {batch:d} workflows"))
def cron_batches(sim: Simulation, batch: int) -> None:
    finished = [event for event in sim.logs.events() if event.message == "cron tick finished"]
    picked = [int(event.fields.get("picked", 0)) for event in finished]
    assert picked and max(picked) <= batch, f"workflows picked per cron run: {picked}"
