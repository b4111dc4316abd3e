"""``[[flows]]`` in the settings: check-config reports each fault at its line; the example
flow of docs/flows.md loads; ``smsbridge flows``, ``flows show`` and ``flows test``."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.cli import main
from tests.test_check_config import GOOD, check

HERE = Path(__file__).parent / "flows"
NUMBERS = """
[[numbers]]
number = "+447700900100"
inbox = ["team@example.com"]
"""
BROKEN = """
[[flows]]
name = "shop"
keywords = ["STOP", "two words"]
numbers = ["+447700900100"]

[[flows.steps]]
id = "menu"
kind = "menu"
say = "Reply 1"
choices = [{ words = ["1"], goto = "ref" }]

[[flows.steps]]
id = "ref"
kind = "ask"
say = "Your reference?"
value = "regex"
pattern = "[A-Z"
field = "ref"
next = "menu"
"""
UNJOINED = """
[[flows]]
name = "shop"
keywords = ["SHOP"]
numbers = ["+447700900999"]

[[flows.steps]]
id = "menu"
kind = "menu"
say = "Reply 1"
choices = [{ words = ["1"], goto = "nowhere" }]

[[flows.steps]]
id = "lost"
kind = "end"
say = "Bye"
"""


def test_faults_within_a_flow_at_their_lines(tmp_path: Path) -> None:
    code, stdout, stderr, path = check(tmp_path, GOOD + NUMBERS + BROKEN)
    out = stdout + stderr
    assert code == 2
    offset = len((GOOD + NUMBERS).splitlines())
    assert f"{path}:{offset + 4}: flows.0.keywords: 'two words' is not one word" in "\n".join(out)
    assert any(line.startswith(f"{path}:{offset + 18}: flows.0.steps.1.pattern:") for line in out)


def test_steps_that_do_not_join_up_and_numbers_not_ours(tmp_path: Path) -> None:
    code, stdout, stderr, path = check(tmp_path, GOOD + NUMBERS + UNJOINED)
    out = stdout + stderr
    offset = len((GOOD + NUMBERS).splitlines())
    assert code == 2
    text = "\n".join(out)
    assert f"{path}:{offset + 11}: flows.0.steps.0.choices.0.goto: no step is 'nowhere'" in text
    assert f"{path}:{offset + 14}: flows.0.steps.1.id: no choice or next leads to 'lost'" in text


def test_a_keyword_that_is_stop_is_refused(tmp_path: Path) -> None:
    fixed = BROKEN.replace('"STOP", "two words"', '"STOP"').replace('"[A-Z"', '"[A-Z]{2}"')
    code, stdout, stderr, _ = check(tmp_path, GOOD + NUMBERS + fixed)
    out = stdout + stderr
    assert code == 2
    assert any("flows.0.keywords: STOP is already STOP, START, HELP" in line for line in out)


def example_settings(tmp_path: Path) -> Path:
    path = tmp_path / "bridge.toml"
    example = (Path(__file__).parent.parent / "config.example.toml").read_text(encoding="utf-8")
    path.write_text(example + (HERE / "restaurant.toml").read_text(encoding="utf-8"))
    return path


def test_the_worked_example_checks_clean(tmp_path: Path) -> None:
    code, out, _, _ = check(tmp_path, example_settings(tmp_path).read_text(encoding="utf-8"))
    assert code == 0, out


def test_flows_list_show_and_test(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = str(example_settings(tmp_path))
    assert main(["flows", "--config", config]) == 0
    assert "restaurant  MENU, HI" in capsys.readouterr().out
    assert main(["flows", "show", "restaurant", "--config", config]) == 0
    assert "date (ask)" in capsys.readouterr().out
    assert main(["flows", "show", "nothing", "--config", config]) == 1
    capsys.readouterr()
    script = str(HERE / "rebook.script")
    assert main(["flows", "test", script, "--config", config, "--at", "2026-12-07 10:00"]) == 0
    out = capsys.readouterr().out
    assert "  . flow 'restaurant' step 'date': not a valid date" in out
    assert "  = finished with answers: date=2026-12-24, name=Ann Smith" in out


def test_flows_test_fails_on_a_different_answer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = str(example_settings(tmp_path))
    script = tmp_path / "wrong.script"
    script.write_text("> MENU\n< Hello there\n")
    assert main(["flows", "test", str(script), "--config", config]) == 1
    assert f"{script}:2: expected 'Hello there'" in capsys.readouterr().out


def test_the_commented_example_flow_loads_when_uncommented(tmp_path: Path) -> None:
    example = (Path(__file__).parent.parent / "config.example.toml").read_text(encoding="utf-8")
    start = example.index("# [[flows]]")
    end = example.index("# Routes decide")
    block = "\n".join(
        line.removeprefix("#").removeprefix(" ") for line in example[start:end].splitlines()
    )
    code, stdout, stderr, _ = check(tmp_path, example + "\n" + block)
    assert code == 0, stdout + stderr
    assert main(["flows", "show", "restaurant", "--config", str(tmp_path / "bridge.toml")]) == 0


def test_routes_explain_names_the_flow_a_keyword_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = str(example_settings(tmp_path))
    route = ["routes", "explain", "--config", config, "--from", "+447700900123"]
    assert main([*route, "--to", "+447700900100", "--text", "Menu"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("'Menu' starts a dialogue flow (flow 'restaurant'")
    assert main([*route, "--to", "+447700900100", "--text", "hello"]) == 0
    assert "Emailed to: team@example.com" in capsys.readouterr().out
