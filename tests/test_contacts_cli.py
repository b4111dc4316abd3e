"""``smsbridge contacts``: list, add, remove, import and export, run as the command line runs
them, on a real SQLite store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bridge.cli import main
from tests.conftest import settings_toml
from tests.support.cli import run_cli


def _run(capsys: pytest.CaptureFixture[str], config: str, *args: str) -> tuple[int, str, str]:
    return run_cli(capsys, config, "contacts", *args)


def test_add_list_change_and_remove(capsys: pytest.CaptureFixture[str], config: str) -> None:
    code, out, _ = _run(
        capsys,
        config,
        "add",
        "07700 900123",
        "--name",
        "Ann Example",
        "--email",
        "ann@example.com",
        "--tag",
        "VIP",
        "--tag",
        "late",
        "--timezone",
        "Europe/London",
    )
    assert code == 0 and out == "Saved +447700900123 (Ann Example).\n"
    _run(capsys, config, "add", "+447700900456", "--name", "Bob")
    _, out, _ = _run(capsys, config, "list")
    assert out.splitlines()[1].split() == [
        "+447700900123",
        "Ann",
        "Example",
        "ann@example.com",
        "late,vip",
        "Europe/London",
        "-",
    ]
    _run(capsys, config, "add", "+447700900123", "--language", "en-gb")  # the rest is kept
    _, out, _ = _run(capsys, config, "list", "--tag", "vip", "--json")
    [ann] = [json.loads(line) for line in out.splitlines()]
    assert ann["email"] == "ann@example.com" and ann["language"] == "en-GB"
    assert ann["tags"] == ["late", "vip"]
    _, out, _ = _run(capsys, config, "list", "--search", "bob")
    assert "+447700900456" in out and "+447700900123" not in out
    assert _run(capsys, config, "remove", "07700900456")[0] == 0
    code, _, err = _run(capsys, config, "remove", "07700900456")
    assert code == 1 and "is not in the address book" in err
    assert _run(capsys, config, "list", "--search", "nobody")[1] == "No contacts match.\n"


def test_a_bad_field_is_refused_with_its_name(
    capsys: pytest.CaptureFixture[str], config: str
) -> None:
    code, _, err = _run(capsys, config, "add", "+447700900123", "--timezone", "Mars/Base")
    assert code == 2 and "timezone: 'Mars/Base' is not an IANA time zone" in err
    code, _, err = _run(capsys, config, "add", "12")
    assert code == 2 and "phone number" in err


def test_import_reports_bad_rows_and_export_writes_both_formats(
    capsys: pytest.CaptureFixture[str], config: str, tmp_path: Path
) -> None:
    book = tmp_path / "book.csv"
    book.write_bytes(
        b"number;name;tags\r\n+447700900123;Ann;a|b\r\nnope;Bad;\r\n07700900456;Bob;\r\n"
    )
    code, out, err = _run(capsys, config, "import", str(book))
    assert code == 1 and out == "Imported 2 contact(s); 1 row(s) skipped.\n"
    assert err.startswith(f"{book}:3: number: ")
    cards = tmp_path / "out.vcf"
    assert _run(capsys, config, "export", "--output", str(cards))[0] == 0
    assert cards.read_text().count("BEGIN:VCARD") == 2
    code, out, _ = _run(capsys, config, "export")
    assert out.splitlines()[0] == "\ufeffnumber,name,email,tags,timezone,language,notes"
    assert "'+447700900123,Ann,,a;b" in out
    empty = tmp_path / "fresh.toml"
    empty.write_text(settings_toml(tmp_path / "other"), encoding="utf-8")
    assert main(["contacts", "import", str(cards), "--config", str(empty)]) == 0
    assert "Imported 2 contact(s); 0 row(s) skipped." in capsys.readouterr().out
    unknown = tmp_path / "book.xlsx"
    unknown.write_bytes(b"PK")
    code, _, err = _run(capsys, config, "import", str(unknown))
    assert code == 2 and "--format csv or --format vcard" in err
