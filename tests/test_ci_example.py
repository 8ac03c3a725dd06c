"""The ready-to-copy CI workflow parses, gates the deploy on both jobs, and runs the commands the docs document."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / "examples" / "ci" / "deploy-gate.yml"
REPORT_OPTIONS = ("--cucumberjson=", "--junitxml=")


def load() -> dict[str, Any]:
    document = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def documented() -> str:
    """The README and every page of the docs site, where the CI example's commands are documented."""
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    return "\n".join(page.read_text(encoding="utf-8") for page in pages)


def pytest_commands(document: dict[str, Any]) -> list[str]:
    """Every pytest command of the workflow, without its report options, as one normalised line."""
    commands = []
    for job in document["jobs"].values():
        for step in job.get("steps", []):
            run = " ".join(str(step.get("run", "")).split())
            if run.startswith("pytest"):
                kept = [arg for arg in shlex.split(run) if not arg.startswith(REPORT_OPTIONS)]
                commands.append(shlex.join(kept))
    return commands


def test_workflow_parses_and_the_deploy_waits_for_gate_and_preflight() -> None:
    document = load()
    jobs = document["jobs"]
    assert set(jobs) == {"gate", "preflight", "deploy"}
    assert set(jobs["deploy"]["needs"]) == {"gate", "preflight"}
    assert {"redis", "postgres"} <= set(jobs["gate"]["services"])
    uploads = [step for job in jobs.values() for step in job["steps"] if "upload-artifact" in step.get("uses", "")]
    assert len(uploads) == 3 and all(step.get("if") == "always()" for step in uploads)
    names = [step.get("name") for step in jobs["deploy"]["steps"]]
    assert names.index("Verify the success criteria after the deploy") > names.index("Deploy")


def test_verify_runs_after_the_deploy_as_the_docs_document() -> None:
    readme = " ".join(" ".join(line.split()) for line in documented().splitlines())
    runs = [" ".join(str(step.get("run", "")).split()) for step in load()["jobs"]["deploy"]["steps"]]
    verify = [run for run in runs if run.startswith("verify ")]
    assert len(verify) == 1 and verify[0] in readme, verify
    assert "--on-fail pause" in verify[0]


def test_the_commands_it_runs_are_the_ones_the_docs_document() -> None:
    readme = " ".join(line.strip() for line in documented().splitlines())
    commands = pytest_commands(load())
    assert len(commands) == 2
    for command in commands:
        tokens = shlex.split(command)
        assert shlex.join(tokens) in " ".join(readme.replace("\\ ", " ").split()), f"docs lack: {command}"


def test_the_gate_judges_the_release_the_commit_holds() -> None:
    gate = load()["jobs"]["gate"]
    app_checkouts = [step for step in gate["steps"] if "checkout" in step.get("uses", "")
                     and step.get("with", {}).get("path") == "app" and "repository" not in step.get("with", {})]
    assert len(app_checkouts) == 1, "the gate reads this commit's own source"
    gate_pytest = [command for command in pytest_commands({"jobs": {"gate": gate}})]
    assert len(gate_pytest) == 1
    tokens = shlex.split(gate_pytest[0])
    assert tokens[tokens.index("--app-source") + 1] == "../app" and "--release" not in tokens
