"""Steps that read what the simulated Vercel says: the project's crons, its log of cron calls, its deployments."""

from __future__ import annotations

import math
import shlex
import time
from pathlib import Path

from pytest_bdd import given, parsers, then, when

from simulator.release import release_named
from simulator.simulation import Push, Simulation
from steps.runner import Stack, ToolRun, run_and_record


@then(parsers.re(r"the project's crons are (?P<state>disabled|enabled) on Vercel"))
def crons_on_vercel(sim: Simulation, state: str) -> None:
    project = sim.hosting.vercel.project_json()
    disabled_at = project["crons"]["disabledAt"]
    assert (disabled_at is None) == (state == "enabled"), f"Vercel says crons.disabledAt = {disabled_at}"


@then(parsers.parse("Vercel called the cron path before the pause and not once in {minutes:d} virtual minutes "
                    "while its crons were disabled"))
def no_call_while_disabled(sim: Simulation, minutes: int) -> None:
    """From the platform's own log of calls: the cron ran before, made no run while disabled, and the pause lasted
    long enough for its schedule to have called it."""
    calls = sim.cron_invocations()
    windows = sim.hosting.disabled_windows(until=sim.clock.now())
    assert windows, "the project's crons were never disabled"
    start, end = windows[0]
    assert any(call.at < start for call in calls), f"no cron call before the pause (calls: {calls})"
    during = [call for call in calls if any(a <= call.at < b for a, b in windows)]
    assert not during, f"Vercel called the cron path while its crons were disabled: {during}"
    skipped = sum(math.floor((b - a) / 60.0) for a, b in windows)
    assert skipped >= minutes, f"the crons were disabled for only {skipped} scheduled minute(s)"


@when(parsers.parse('the {name} release is pushed and I run "{command}" with --after-deployment while it builds'),
      target_fixture="tool_run")
def resume_while_building(sim: Simulation, name: str, command: str, env: Stack, tool_runs: list[ToolRun],
                          recovery_ledger: Path) -> ToolRun:
    """`git push`, then the operator's command on the new deployment (its id) while Vercel builds it."""
    push = sim.push(release_named(name))
    deadline = time.monotonic() + 30
    while sim.deployment_state(push.deployment_id) == "QUEUED" and time.monotonic() < deadline:
        time.sleep(0.005)
    started_in = sim.deployment_state(push.deployment_id)
    run = run_and_record(f"{command} --after-deployment {shlex.quote(push.deployment_id)}", env, tool_runs,
                         recovery_ledger, sim.tool_environment())
    push.wait()
    assert started_in == "BUILDING", f"the command started while the deployment was {started_in}"
    return run


@then("nothing was resumed before the deployment was READY")
def resumed_after_ready(sim: Simulation, tool_run: ToolRun) -> None:
    """Vercel's own record: the deployment's READY time, and when the crons were enabled again (the tool enables
    them before it resumes any queue)."""
    push = sim.pushes[-1]
    deployment = sim.hosting.vercel.deployment(push.deployment_id)
    assert deployment is not None and deployment.ready is not None, f"deployment {push.deployment_id} never READY"
    ready_at = sim.hosting.virtual_time(deployment.ready)
    enabled = [switch.at for switch in sim.cron_switches()[1:] if switch.enabled]
    assert enabled, f"the crons were not enabled again\n{tool_run.describe()}"
    assert min(enabled) >= ready_at, f"crons enabled at {min(enabled):.1f} s, before READY at {ready_at:.1f} s"
    assert "READY" in tool_run.stdout and "Build Completed" in tool_run.stdout, tool_run.describe()


@given(parsers.parse("the {name} release has been pushed and its build failed"), target_fixture="failed_push")
def failed_build(sim: Simulation, name: str) -> Push:
    push = sim.push(release_named(name), fail_build=True)
    push.wait()
    assert sim.deployment_state(push.deployment_id) == "ERROR"
    return push


@when(parsers.parse('I run "{command}" with --after-deployment on the failed deployment'), target_fixture="tool_run")
def resume_after_failed(sim: Simulation, failed_push: Push, command: str, env: Stack, tool_runs: list[ToolRun],
                        recovery_ledger: Path) -> ToolRun:
    return run_and_record(f"{command} --after-deployment {shlex.quote(failed_push.deployment_id)}", env, tool_runs,
                          recovery_ledger, sim.tool_environment())
