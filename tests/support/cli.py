"""Running the ``smsbridge`` command in the test's own process, with what it printed."""

from __future__ import annotations

import pytest

from bridge.cli import main

__all__ = ["run_cli"]


def run_cli(capsys: pytest.CaptureFixture[str], config: str, *args: str) -> tuple[int, str, str]:
    """``smsbridge ARGS --config CONFIG``: its exit code, standard output and error."""
    code = main([*args, "--config", config])
    out, err = capsys.readouterr()
    return code, out, err
