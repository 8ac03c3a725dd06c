"""The docs cannot drift: each tool page's `--help` block is what the tool prints, and every page is in the nav."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _sync_help() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_sync_help", ROOT / "docs" / "sync_help.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


sync_help = _sync_help()


@pytest.mark.parametrize("command", sync_help.commands())
def test_the_page_holds_the_tools_help_as_it_prints_it(command: str) -> None:
    message = sync_help.problem(command, sync_help.blocks())
    assert message is None, message


def test_a_page_that_disagrees_with_the_help_fails_with_a_diff(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    page = ROOT / "docs" / "tools" / "preflight.md"
    copy = tmp_path / "preflight.md"
    copy.write_text(page.read_text(encoding="utf-8").replace("Show this message and exit.", "Show help.", 1))
    monkeypatch.setattr(sync_help, "pages", lambda: [copy])
    monkeypatch.setattr(sync_help, "ROOT", tmp_path)
    monkeypatch.setattr(sync_help, "commands", lambda: ["preflight"])
    problems = sync_help.problems()
    assert len(problems) == 1 and "python -m docs.sync_help" in problems[0]
    assert "-│ --help" in problems[0] and "Show help." in problems[0]


def test_every_page_is_in_the_nav_and_every_nav_entry_exists() -> None:
    nav = set(re.findall(r":\s*([\w/-]+\.md)\s*$", (ROOT / "mkdocs.yml").read_text(encoding="utf-8"), re.M))
    pages = {str(p.relative_to(ROOT / "docs")) for p in (ROOT / "docs").rglob("*.md")}
    assert nav == pages, (sorted(pages - nav), sorted(nav - pages))


def test_the_readme_is_short_with_the_two_commands_near_the_top() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 200, len(lines)
    top = "\n".join(lines[:40])
    assert "pip install -e '.[dev]' && .venv/bin/pytest features/" in top
    assert ".venv/bin/pytest -n 2" in top


def test_the_readme_links_to_pages_that_exist_and_to_every_tool_page() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    links = [link.split("#")[0] for link in re.findall(r"\]\(([^)\s]+)\)", readme) if "://" not in link]
    broken = [link for link in links if not (ROOT / link).is_file()]
    assert links and not broken, broken
    assert {f"docs/tools/{tool}.md" for tool in sync_help.TOOLS} <= set(links)
