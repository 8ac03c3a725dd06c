"""Keep each tool page's `--help` block equal to what the tool prints: `python -m docs.sync_help` rewrites them."""

from __future__ import annotations

import difflib
import os
import re
import subprocess
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
# Every console script of pyproject.toml, with its subcommands: each needs a help block in the docs.
TOOLS: dict[str, tuple[str, ...]] = {
    "manage-queues": ("status", "pause", "resume", "clean", "list"),
    "check-table-names": (),
    "detect-release": (),
    "verify": (),
    "preflight": (),
    "monitor-deployment": (),
    "rehearse": (),
}
# <!-- help: manage-queues pause --> then a ```text fence, closed by <!-- /help -->.
BLOCK = re.compile(r"(<!-- help: (?P<command>[^>]+?) -->\n```text\n)(?P<body>.*?)(```\n<!-- /help -->)", re.S)
HINT = "regenerate the blocks with `python -m docs.sync_help` (from the repository root)"


def commands() -> list[str]:
    """Every command whose `--help` the docs must show."""
    return [" ".join([tool, *([sub] if sub else [])]) for tool, subs in TOOLS.items() for sub in ("", *subs)]


def tool_help(command: str) -> str:
    """The command's `--help` at a fixed width without colour; trailing blanks removed."""
    tool, *rest = command.split()
    script = Path(sys.executable).parent / tool
    env = {**os.environ, "COLUMNS": "100", "LINES": "50", "TERM": "dumb", "NO_COLOR": "1"}
    env.pop("FORCE_COLOR", None)
    result = subprocess.run([str(script) if script.exists() else tool, *rest, "--help"], capture_output=True,
                            text=True, env=env, cwd=ROOT, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"{command} --help exited {result.returncode}: {result.stderr.strip()}")
    lines = [line.rstrip() for line in result.stdout.splitlines()]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines) + "\n"


def pages() -> list[Path]:
    """The Markdown pages of the docs."""
    return sorted(DOCS.rglob("*.md"))


def blocks() -> dict[str, tuple[Path, str]]:
    """Each help block found in the pages: command -> (page, text)."""
    found: dict[str, tuple[Path, str]] = {}
    for page in pages():
        for match in BLOCK.finditer(page.read_text(encoding="utf-8")):
            found[match.group("command").strip()] = (page, match.group("body"))
    return found


def problem(command: str, found: dict[str, tuple[Path, str]]) -> str | None:
    """Why the command's block is missing or differs from its `--help` (with a diff), or None."""
    if command not in found:
        return f"no help block for `{command}` in docs/ (add `<!-- help: {command} -->`, then {HINT})"
    page, text = found[command]
    actual = tool_help(command)
    if text == actual:
        return None
    where = page.relative_to(ROOT) if page.is_relative_to(ROOT) else page
    diff = difflib.unified_diff(text.splitlines(), actual.splitlines(), f"{where}", f"{command} --help", lineterm="")
    return f"`{command} --help` differs from {where}; {HINT}\n" + "\n".join(diff)


def problems() -> list[str]:
    """A message for each command whose block is missing or differs from its `--help`."""
    found = blocks()
    return [message for command in commands() if (message := problem(command, found))]


def sync() -> int:
    """Rewrite every help block from its command; return how many changed."""
    changed = 0
    for page in pages():
        text = page.read_text(encoding="utf-8")
        new = BLOCK.sub(lambda m: m.group(1) + tool_help(m.group("command").strip()) + m.group(4), text)
        if new != text:
            page.write_text(new, encoding="utf-8")
            changed += 1
    return changed


if __name__ == "__main__":
    print(f"{sync()} page(s) rewritten")
    missing = [p for p in problems() if p.startswith("no help block")]
    for line in missing:
        print(line, file=sys.stderr)
    sys.exit(1 if missing else 0)
