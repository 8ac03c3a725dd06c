"""Every console script and module CLI runs under recovery_tools.cli: a bug keeps its traceback (never exit 2)."""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable, Iterator

import pytest

import bench.cli
import harness.rehearsal.cli
import simulator.cli
import simulator.queues.bull_host


class Bug(RuntimeError):
    """Stands for a programming error deep inside a command."""


def explode(*_args: object, **_kwargs: object) -> None:
    raise Bug("a bug, not a usage error")


@pytest.fixture
def kept_signal_handlers() -> Iterator[None]:
    """The worker command installs SIGTERM/SIGINT handlers; give the test process its own back."""
    saved = {number: signal.getsignal(number) for number in (signal.SIGTERM, signal.SIGINT)}
    yield
    for number, handler in saved.items():
        signal.signal(number, handler)


@pytest.mark.parametrize(("main", "seam", "argv"), [
    (bench.cli.main, (bench.cli, "run_bench"), ["python -m bench", "--backend", "embedded", "--features", "none"]),
    (harness.rehearsal.cli.main, (harness.rehearsal.cli, "open_backend"), ["rehearse", "incident"]),
    (simulator.cli.main, (simulator.queues.bull_host, "BullHost"),
     ["python -m simulator", "worker", "--queue", "q", "--redis-url", "redis://127.0.0.1:1/0"]),
], ids=["bench", "rehearse", "simulator"])
def test_a_bug_keeps_its_traceback(main: Callable[[], None], seam: tuple[object, str], argv: list[str],
                                   monkeypatch: pytest.MonkeyPatch, kept_signal_handlers: None) -> None:
    monkeypatch.setattr(*seam, explode)
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(Bug):
        main()


@pytest.mark.parametrize(("main", "argv", "prog"), [
    (bench.cli.main, ["python -m bench", "--jobs", "0"], "python -m bench"),
    (harness.rehearsal.cli.main, ["rehearse", "incident", "--seed", "many"], "rehearse"),
    (simulator.cli.main, ["python -m simulator", "worker", "--redis-url", "redis://x"], "python -m simulator"),
], ids=["bench", "rehearse", "simulator"])
def test_a_usage_error_is_one_line_and_exit_2(main: Callable[[], None], argv: list[str], prog: str,
                                              monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"{prog}: error: "), err
