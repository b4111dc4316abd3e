"""The documentation says what the code does: its commands run, its module paths exist, its
defaults are the code's."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bridge.mail.notices import advice_for
from bridge.providers.base import ProviderSettings

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
RUNTIME = (
    "var/",
    "new/",
    "cur/",
    "test-artifacts/",
)  # folders made by running (data, Maildir, screenshots)


def _readme_commands() -> list[str]:
    """Inline commands of the README that use the example settings (and change nothing
    outside the example's own folder)."""
    text = (ROOT / "README.md").read_text()
    found = re.findall(
        r"`(?:\.venv/bin/)?(smsbridge (?:send|outbox|simulate-inbound|report)[^`]*)`", text
    )
    return [" ".join(command.split()) for command in found]


@pytest.mark.parametrize("command", _readme_commands())
def test_the_readmes_commands_run_as_written(tmp_path: Path, command: str) -> None:
    shutil.copy(ROOT / "config.example.toml", tmp_path / "config.example.toml")
    args = shlex.split(command)[1:]
    result = subprocess.run(
        [sys.executable, "-m", "bridge", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        check=False,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stderr


def test_the_readme_shows_a_send_command() -> None:
    assert any(command.startswith("smsbridge send") for command in _readme_commands())


def _exists(token: str, bases: list[Path]) -> bool:
    if any((base / token).exists() for base in bases):
        return True
    if "/" not in token.rstrip("/"):  # a bare module name, unique in the tree
        found = [*ROOT.joinpath("bridge").rglob(token), *ROOT.joinpath("tests").rglob(token)]
        return len(found) == 1
    return False


def _named(doc: Path) -> list[tuple[str, list[Path]]]:
    """Each path a doc names, with where it may be: a table row about a package (``| `store/`
    | ...``) names that package's modules."""
    named = []
    for line in doc.read_text().splitlines():
        bases = [ROOT, ROOT / "bridge", ROOT / "docs", doc.parent]
        row = re.match(r"^\| `([\w/]+/)`", line)
        if row:
            bases.append(ROOT / "bridge" / row.group(1))
        tokens = re.findall(r"`([A-Za-z_][\w./-]*(?:\.py|\.sql|/))`", line)
        named += [(token, bases) for token in tokens if not token.startswith(RUNTIME)]
    return named


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_docs_name_only_modules_that_exist(doc: Path) -> None:
    missing = [token for token, bases in _named(doc) if not _exists(token, bases)]
    assert missing == [], f"{doc.name} names what is not in the tree: {missing}"


@pytest.mark.parametrize("doc", [*DOCS, ROOT / "config.example.toml"], ids=lambda p: p.name)
def test_no_doc_promises_a_next_release_or_points_at_an_issue(doc: Path) -> None:
    text = doc.read_text()
    assert "next release" not in text
    if doc.name != "benchmarks.md":  # measurements are dated by the work they followed
        assert not re.search(r"\bissue \d+", text), doc.name


def test_the_documented_provider_timeout_is_the_codes() -> None:
    default = ProviderSettings.model_fields["timeout_seconds"].default
    said = re.findall(r"`timeout_seconds`(?:,| \|) (\d+)", "".join(p.read_text() for p in DOCS))
    assert said and {float(s) for s in said} == {default}


def test_the_notice_for_a_refusal_for_good_does_not_say_later() -> None:
    assert "later" not in advice_for("e999", permanent=True)
