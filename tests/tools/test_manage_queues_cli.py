"""manage-queues CLI: --help, --json, exit codes and bad input, each as one line on stderr without a traceback."""

from __future__ import annotations

import os
import pty
import select
import socket
import subprocess
import sys
import time
from urllib.parse import urlsplit, urlunsplit

import pytest

from harness.backends import Backend
from recovery_tools.manage_queues.cleaning import parse_grace
from recovery_tools.manage_queues.cli import main
from recovery_tools.manage_queues.connection import check_url, is_loopback
from recovery_tools.manage_queues.errors import ToolError
from recovery_tools.manage_queues.layout import layout_of

REMOTE = "redis://ops:s3cret@192.0.2.10:6379/0"  # TEST-NET-1: never a loopback host


def run_main(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(list(argv))
    out, err = capsys.readouterr()
    code = exit_info.value.code
    return (code if isinstance(code, int) else 0), out, err


def assert_one_line_error(code: int, err: str, expected_code: int, *needles: str) -> None:
    assert code == expected_code, err
    assert err.count("\n") == 1 and err.startswith("manage-queues: error: "), err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in err


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def with_password(url: str, password: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, f"default:{password}@{parts.hostname}:{parts.port}", parts.path, "", ""))


@pytest.fixture(autouse=True)
def no_env_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")


def test_help_documents_commands_and_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(capsys, "--help")
    assert code == 0
    for word in ("pause", "resume", "status", "clean", "list", "Exit codes", "refused"):
        assert word in out
    for command in ("pause", "resume", "status", "clean", "list"):
        code, out, _ = run_main(capsys, command, "--help")
        assert code == 0 and "--redis-url" in out and "--prefix" in out and "--json" in out
    _, out, _ = run_main(capsys, "clean", "--help")
    for option in ("--grace", "--limit", "--dry-run", "--state", "--yes"):
        assert option in out
    _, out, _ = run_main(capsys, "status", "--help")
    assert "--expect" in out


def test_no_command_shows_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(capsys)
    assert code == 2 and "Usage" in out
    assert_one_line_error(code, err, 2)


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["status"], "no Redis URL"),
        (["status", "--redis-url", "http://ops:s3cret@example.com/0"], "scheme must be one of"),
        (["status", "--redis-url", "redis://ops:s3cret@localhost:notaport/0"], "bad Redis URL"),
        (["status", "--redis-url", "unix://"], "socket path"),
        (["status", "--redis-url", "redis://127.0.0.1:6379", "--queue", "a", "--all"], "exclude each other"),
        (["pause", "--redis-url", "redis://127.0.0.1:6379", "--queue", "bad:name"], "bad queue name"),
        (["clean", "--redis-url", "redis://127.0.0.1:6379", "--grace", "soon"], "bad --grace"),
        (["clean", "--redis-url", "redis://127.0.0.1:6379", "--state", "active"], "bad --state"),
        (["clean", "--redis-url", "redis://127.0.0.1:6379", "--limit", "-1"], "--limit"),
        (["status", "--redis-url", "redis://127.0.0.1:6379", "--expect", "maybe"], "--expect"),
        (["status", "--bogus"], "--bogus"),
        (["explode"], "explode"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str], needle: str) -> None:
    code, out, err = run_main(capsys, *argv)
    assert_one_line_error(code, err, 2, needle)
    assert "s3cret" not in out + err


def test_unreachable_redis_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    url = f"redis://ops:s3cret@127.0.0.1:{closed_port()}/0"
    for command in ("status", "pause", "resume", "list", "clean"):
        code, out, err = run_main(capsys, command, "--redis-url", url)
        assert_one_line_error(code, err, 2, "cannot reach Redis", "redis://ops:***@127.0.0.1")
        assert "s3cret" not in out + err


def test_passwords_are_never_printed_and_tls_to_a_plain_server_fails_cleanly(
    capsys: pytest.CaptureFixture[str], backend: Backend
) -> None:
    # The server's default user has no password, so AUTH with any password is accepted.
    url = with_password(backend.redis_url, "s3cret")
    for argv in (["status"], ["status", "--json"], ["list"], ["clean", "--dry-run", "--json"]):
        code, out, err = run_main(capsys, *argv, "--redis-url", url, "--prefix", "harness-cli-redaction")
        assert code == 0, err
        assert "s3cret" not in out + err and "default:***@" in out
    tls = backend.redis_url.replace("redis://", "rediss://", 1)
    tls = backend.redis_url.replace("redis://", "rediss://", 1)
    code, out, err = run_main(capsys, "status", "--redis-url", tls, "--connect-timeout", "2")
    assert_one_line_error(code, err, 2, "rediss://")


def test_clean_on_a_remote_host_without_yes_is_refused_before_connecting(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(capsys, "clean", "--redis-url", REMOTE)
    assert_one_line_error(code, err, 3, "refusing to clean", "--yes", "redis://ops:***@192.0.2.10")
    assert "s3cret" not in out + err


def test_clean_dry_run_and_yes_on_a_remote_host_are_not_refused(capsys: pytest.CaptureFixture[str]) -> None:
    for extra in ("--dry-run", "--yes"):
        code, _, err = run_main(capsys, "clean", "--redis-url", REMOTE, extra, "--connect-timeout", "0.5")
        assert_one_line_error(code, err, 2, "Redis at")  # it went on to connect, and that fails here


def _clean_on_a_tty(answer: bytes) -> tuple[int, str]:
    """Run the console script on a real pseudo-terminal and answer its confirmation prompt."""
    primary, secondary = pty.openpty()
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("REDIS_URL", None)
    script = os.path.join(os.path.dirname(sys.executable), "manage-queues")
    process = subprocess.Popen(
        [script, "clean", "--redis-url", REMOTE, "--connect-timeout", "0.5"],
        stdin=secondary, stdout=secondary, stderr=secondary, env=env, close_fds=True,
    )
    os.close(secondary)
    seen = b""
    deadline = time.monotonic() + 30
    answered = False
    while time.monotonic() < deadline:
        ready, _, _ = select.select([primary], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(primary, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
            if not answered and b"[y/N]" in seen:
                os.write(primary, answer + b"\n")
                answered = True
        elif process.poll() is not None:
            break
    code = process.wait(timeout=30)
    os.close(primary)
    return code, seen.decode(errors="replace")


def test_clean_on_a_remote_host_asks_on_a_tty() -> None:
    code, screen = _clean_on_a_tty(b"n")
    assert code == 3 and "Clean jobs on redis://ops:***@192.0.2.10" in screen and "not confirmed" in screen
    code, screen = _clean_on_a_tty(b"y")
    assert code == 2 and "Redis at" in screen  # confirmed: went on to connect
    assert "s3cret" not in screen and "Traceback" not in screen


def test_python_dash_m_runs_the_same_cli() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "recovery_tools.manage_queues", "--help"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and "Exit codes" in done.stdout


@pytest.mark.parametrize(
    ("text", "seconds"), [("90", 90), ("30s", 30), ("5m", 300), ("1h", 3600), ("2d", 172800), ("500ms", 0.5)]
)
def test_grace_accepts_seconds_and_units(text: str, seconds: float) -> None:
    assert parse_grace(text) == seconds


@pytest.mark.parametrize("text", ["", "5x", "-1", "1h30m", "m"])
def test_grace_rejects_anything_else(text: str) -> None:
    with pytest.raises(ToolError):
        parse_grace(text)


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("redis://127.0.0.1:6379/0", True),
        ("redis://localhost:6379", True),
        ("redis://[::1]:6379", True),
        ("unix:///run/redis.sock", True),
        ("rediss://ops:pw@192.0.2.10:6380", False),
        ("redis://10.1.2.3", False),
    ],
)
def test_loopback_detection(url: str, loopback: bool) -> None:
    assert is_loopback(check_url(url)) is loopback


@pytest.mark.parametrize(
    ("version", "layout"),
    [
        ("bullmq:5.81.5", "5.x"), ("bullmq:4.17.0", "5.x"), ("bullmq:6.7.0", "6.x"), (None, "6.x"),
        ("bullmq-pro:7.1", "6.x"),
    ],
)
def test_layout_follows_the_bullmq_version_in_meta(version: str | None, layout: str) -> None:
    assert layout_of(version) == layout
