"""``smsbridge consent``: list, export, import (with bad rows) and an admin's override, run as
the command line runs them, on a real SQLite store."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from bridge.cli.consent import format_summary
from tests.support.cli import run_cli


def _run(capsys: pytest.CaptureFixture[str], config: str, *args: str) -> tuple[int, str, str]:
    return run_cli(capsys, config, "consent", *args)


def test_import_records_good_rows_and_names_bad_lines(
    capsys: pytest.CaptureFixture[str], config: str, tmp_path: Path
) -> None:
    listed = tmp_path / "old-provider.csv"
    listed.write_text(
        "Phone;Date\n07700 900123;2025-06-01\nnot a number;2025-06-02\n"
        "+447700900456;\n+447700900789;yesterday\n",
        encoding="utf-8",
    )
    code, out, err = _run(
        capsys,
        config,
        "import",
        str(listed),
        "--how",
        "import",
        "--by",
        "admin@example.com",
        "--reason",
        "opt-outs from the old provider",
    )
    assert code == 1 and out == "Recorded 2 opt-out(s); 2 row(s) skipped.\n"
    assert f"{listed}:3: " in err and f"{listed}:5: 'yesterday' is not a date" in err
    _, out, _ = _run(capsys, config, "list", "--number", "07700900123", "--json")
    [event] = [json.loads(line) for line in out.splitlines()]
    assert event["customer"] == "+447700900123" and event["at"].startswith("2025-06-01T00:00")
    assert event["how"] == "import" and event["by"] == "admin@example.com"
    assert event["evidence"] == "old-provider.csv line 2" and event["scope"] == "*"


def test_an_admin_override_needs_a_reason_and_is_recorded(
    capsys: pytest.CaptureFixture[str], config: str
) -> None:
    with pytest.raises(SystemExit):  # --reason is required
        _run(capsys, config, "opt-in", "+447700900123", "--by", "admin@example.com")
    code, _, err = _run(
        capsys, config, "opt-in", "+447700900123", "--by", "not an address", "--reason", "x"
    )
    assert code == 2 and "--by must be the admin's email address" in err
    code, out, _ = _run(
        capsys,
        config,
        "opt-out",
        "+447700900123",
        "--by",
        "admin@example.com",
        "--reason",
        "asked by phone, confirmed in writing",
    )
    assert code == 0 and "opted out of texts from every sender" in out
    code, out, _ = _run(
        capsys,
        config,
        "opt-in",
        "+447700900123",
        "--by",
        "admin@example.com",
        "--reason",
        "written request of 2026-12-01",
    )
    assert code == 0
    _, out, _ = _run(capsys, config, "list")
    lines = out.splitlines()
    assert "opt-in" in lines[1] and "admin@example.com: written request of 2026-12-01" in lines[1]
    assert "opt-out" in lines[2] and "organisation" in lines[2]


def test_export_guards_cells_a_spreadsheet_would_run(
    capsys: pytest.CaptureFixture[str], config: str, tmp_path: Path
) -> None:
    _run(
        capsys,
        config,
        "opt-out",
        "+447700900123",
        "--by",
        "admin@example.com",
        "--reason",
        '=HYPERLINK("http://x")',
    )
    output = tmp_path / "ledger.csv"
    assert _run(capsys, config, "export", "--output", str(output))[0] == 0
    rows = list(csv.reader(io.StringIO(output.read_bytes().decode("utf-8-sig"))))
    assert rows[0][:3] == ["at", "customer", "action"]
    assert rows[1][1] == "'+447700900123" and rows[1][7] == '\'=HYPERLINK("http://x")'


def test_the_summary_counts_opt_ins_per_campaign(
    capsys: pytest.CaptureFixture[str], config: str
) -> None:
    code, out, _ = _run(capsys, config, "list", "--summary")
    assert code == 0 and out == "No opt-ins by campaign in the last 30 days.\n"


def test_the_summary_shows_each_campaigns_opt_ins_by_how() -> None:
    shown = format_summary({"join": {"double opt-in": 3, "keyword": 1}}, days=7)
    assert shown.splitlines() == [
        "Opt-ins by campaign, last 7 days:",
        "  JOIN              4  (3 by double opt-in, 1 by keyword)",
    ]
