"""Fixtures of the CLI tests."""

from __future__ import annotations

import sys
from collections.abc import Callable

import pytest

from simulator import cli

RunMain = Callable[[list[str]], tuple[int, str, str]]


@pytest.fixture
def run_main(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> RunMain:
    """Call the entry point in process, as the script does: ``run_main(args)`` gives
    (exit code, stdout, stderr), uncoloured and 120 columns wide."""

    def run(args: list[str]) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["connectsim", *args])
        monkeypatch.setenv("NO_COLOR", "1")
        monkeypatch.setenv("COLUMNS", "120")
        with pytest.raises(SystemExit) as exc:
            cli.main()
        captured = capsys.readouterr()
        code = exc.value.code
        assert isinstance(code, int)
        return code, captured.out, captured.err

    return run
