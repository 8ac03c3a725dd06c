"""Journal and report without servers: canonical form, atomic writes, escaping, offline HTML."""

from __future__ import annotations

import json
import re
from pathlib import Path

from recovery_tools.report.html import CHARTS, render, write_report
from recovery_tools.report.journal import Journal, canonical


def _journal() -> Journal:
    journal = Journal("incident", {"seed": 1})
    step = journal.begin("pause", "manage-queues pause", "Pre-Deployment Steps", 60.0, "incident")
    step.evidence["commands"] = [{"command": "manage-queues pause", "exit_code": 0}]
    step.measured["output"] = ["paused 6 queues </script><b>bold</b>"]
    journal.finish(step, "ok")
    journal.deployed("deploy", ["const-reassignment"], 120.0, 131.5, "deploy")
    journal.conclude([{"id": "pool-under-25", "text": "Connection pool stays under 25 connections",
                       "measure": "peak", "holds": False, "measured": {"evidence": "peak 31 <img src=x>"}}])
    journal.measured["series"] = {"pg_connections": [[0.0, 3.0], [60.0, 31.0]], "queue_depth:ai-parsing": [[0.0, 2.0]]}
    return journal


def test_canonical_drops_wall_times_and_measurements_only() -> None:
    document = _journal().to_dict()
    kept = canonical(document)
    text = json.dumps(kept)
    assert "wall" not in text and "measured" not in text
    assert kept["steps"][0]["evidence"] == {"commands": [{"command": "manage-queues pause", "exit_code": 0}]}
    assert kept["verdict"] == {"holds": False, "failed_criteria": ["pool-under-25"], "failed_steps": []}
    assert kept["deploys"] == [{"release": "deploy", "fixes": ["const-reassignment"], "kind": "deploy",
                                "virtual_at": 120.0}]
    assert document["steps"][0]["wall_seconds"] >= 0


def test_verdict_needs_criteria_and_ok_steps() -> None:
    journal = Journal("rollback", {})
    journal.conclude([])
    assert journal.verdict["holds"] is False
    step = journal.begin("x", "x", "s", 0.0, "r")
    journal.finish(step, "failed")
    journal.conclude([{"id": "a", "holds": True}])
    assert journal.verdict == {"holds": False, "failed_criteria": [], "failed_steps": ["x"]}


def test_report_is_one_offline_file_with_escaped_text(tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    write_report(path, _journal().to_dict())
    html = path.read_text(encoding="utf-8")
    assert not list(tmp_path.glob("*.partial"))
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=", html), "nothing loaded from elsewhere"
    assert "<img src=x>" not in html and "&lt;img src=x&gt;" in html
    assert html.count("</script>") == 2, "the embedded journal cannot close its script element"
    assert "FAILED: pool-under-25" in html
    assert html.count('<figure class="chart"') == len(CHARTS)
    assert 'data-limit="25"' in html
    embedded = re.search(r'<script type="application/json" id="journal-data">(.*?)</script>', html, re.S)
    assert embedded is not None
    assert json.loads(embedded.group(1))["measured"]["series"]["pg_connections"][1] == [60.0, 31.0]


def test_render_names_every_step() -> None:
    html = render(_journal().to_dict())
    assert "manage-queues pause" in html and "Pre-Deployment Steps" in html
