"""The simulated app's Node: bull 4 in the harness cache (the locator and the installer are the tools' own)."""

from __future__ import annotations

from pathlib import Path

from recovery_tools.node import (
    NodePackage,
    NodeRuntime,
    NodeSetupError,
    cache_root,
    ensure_package,
    find_node,
    installed_version,
    registry_url,
)

__all__ = ["BULL4", "NodePackage", "NodeRuntime", "NodeSetupError", "cache_root", "ensure_bull", "ensure_package",
           "find_node", "installed_version", "registry_url"]

# bull 4 depends on ioredis 5 itself: installing bull brings the ioredis it was built for.
BULL4 = NodePackage(folder="bull-4", name="bull", specs=("bull@4",), version_prefix="4.",
                    purpose="the simulated app's Node packages come from it at first use")


def ensure_bull(runtime: NodeRuntime | None = None) -> Path:
    """The node_modules folder holding the real npm `bull` 4 (and its ioredis)."""
    return ensure_package(BULL4, runtime)
