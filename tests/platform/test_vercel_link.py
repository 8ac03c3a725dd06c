"""Where the tools find the app's Vercel project: the config's [vercel] table, else .vercel/project.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recovery_tools.cli import ToolError
from recovery_tools.config import ConfigError, load_config
from recovery_tools.platform.vercel import client_for, find_link


def config_file(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "recovery-harness.toml"
    path.write_text(text)
    return path


def test_the_config_names_project_team_and_the_switch(tmp_path: Path) -> None:
    config = load_config(config_file(tmp_path, '[vercel]\nproject = "prj_a"\nteam = "team_b"\n[cron]\nswitch = true\n'))
    assert (config.vercel_project, config.vercel_team, config.cron_switch) == ("prj_a", "team_b", True)
    link = find_link(config, tmp_path)
    assert link is not None and (link.project, link.team) == ("prj_a", "team_b") and "[vercel]" in link.source


@pytest.mark.parametrize("text", ['[vercel]\nproject = ""\n', '[vercel]\nteam = "team_b"\n',
                                  '[vercel]\nproject = "p"\ntoken = "x"\n', '[cron]\nswitch = "yes"\n'])
def test_bad_platform_tables_are_refused_naming_the_file(tmp_path: Path, text: str) -> None:
    path = config_file(tmp_path, text)
    with pytest.raises(ConfigError, match=str(path)):
        load_config(path)


def test_vercel_link_beside_the_config_or_in_the_folder(tmp_path: Path) -> None:
    app = tmp_path / "app"
    config = load_config(config_file(app, 'prefix = "bull"\n'))
    assert find_link(config, tmp_path / "elsewhere") is None
    (app / ".vercel").mkdir()
    (app / ".vercel" / "project.json").write_text(json.dumps({"projectId": "prj_x", "orgId": "team_y"}))
    link = find_link(config, tmp_path / "elsewhere")
    assert link is not None and (link.project, link.team) == ("prj_x", "team_y")
    # A personal account's orgId is a user id: no teamId is sent.
    (app / ".vercel" / "project.json").write_text(json.dumps({"projectId": "prj_x", "orgId": "9aBcUser"}))
    link = find_link(config, tmp_path)
    assert link is not None and link.team is None
    (app / ".vercel" / "project.json").write_text("{}")
    with pytest.raises(ToolError, match="has no projectId"):
        find_link(config, tmp_path)


def test_no_token_is_one_line_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VERCEL_TOKEN", raising=False)
    with pytest.raises(ToolError, match="VERCEL_TOKEN is not set"):
        client_for(None)
    monkeypatch.setenv("VERCEL_TOKEN", "vcp_secret")
    monkeypatch.setenv("VERCEL_API_URL", "http://user:pw@127.0.0.1:9")
    client = client_for(None)
    assert client.shown == "http://user:***@127.0.0.1:9"
