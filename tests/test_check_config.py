"""``smsbridge check-config``: everything ``run`` would refuse, all at once, in the file's order,
each as ``file:LINE: key.path: message`` saying what to write; warnings for risky settings."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bridge.cli import main
from tests.support.certificates import make_certificate

SID = "AC0123456789abcdef0123456789abcdef"
GOOD = """[smtp]
domains = ["sms.example.com"]
allowed_senders = ["example.com"]
"""


def check(tmp_path: Path, text: str, *args: str) -> tuple[int, list[str], list[str], str]:
    """Run check-config on ``text``; the exit code, stdout and stderr lines, and the file."""
    path = tmp_path / "bridge.toml"
    path.write_text(text, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "bridge", "check-config", str(path), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
    )
    return result.returncode, result.stdout.splitlines(), result.stderr.splitlines(), str(path)


BROKEN = """[bridge]
public_url = "sms.example.com"

[smtp]
domains = "sms.example.com"
prot = 2525
tls_cert = "missing-cert.pem"
tls_key = "missing-key.pem"

[provider]
name = "twilio"
[provider.twilio]
account_sid = "AC123"
auth_token_file = "missing-token"

[[routes]]
name = "a"
keywords = ["x"]
during = ["easter"]
emails = ["a@example.com"]

[[routes]]
name = "a"
emails = ["b@example.com"]
"""


def test_every_fault_at_once_in_the_files_order_with_what_to_write(tmp_path: Path) -> None:
    code, _, err, path = check(tmp_path, BROKEN)
    assert code == 2
    assert err[0] == f"{path}: 10 problem(s)"
    expected = [
        (2, "bridge.public_url", "write https://sms.example.com"),
        (5, "smtp.domains", 'write a list, e.g. ["sms.example.com"]'),
        (6, "smtp.prot", "unknown setting: did you mean 'port'?"),
        (7, "smtp.tls_cert", "missing-cert.pem: No such file or directory; give a PEM certificate"),
        (8, "smtp.tls_key", "give a PEM private key"),
        (13, "provider.twilio.account_sid", "write AC and 32 hex digits"),
        (14, "provider.twilio.auth_token_file", "cannot read the secret file"),
        (19, "routes.0.during", "names calendar(s) easter that no [[calendars]] entry defines"),
        (22, "routes.1", "add default = true to the last route"),
        (23, "routes.1.name", "used twice: a"),
    ]
    assert len(err) == len(expected) + 1, err
    for line, (number, key, words) in zip(err[1:], expected, strict=True):
        assert line.startswith(f"{path}:{number}: {key}: "), line
        assert words in line, line


def test_a_toml_syntax_error_gives_its_line(tmp_path: Path) -> None:
    code, _, err, path = check(tmp_path, GOOD + "\n[routes\nname = 1\n")
    assert code == 2
    assert err[1].startswith(f"{path}:5: (syntax): not valid TOML: Expected ']'")


@pytest.mark.parametrize(
    ("extra", "line", "key", "words"),
    [
        (
            "[smtp.auth]\nenabled = true\nusers_file = 'absent'\n",
            6,
            "smtp.auth.users_file",
            "absent: No such file or directory; give the file of lines made by smsbridge",
        ),
        (
            "[smtp.auth]\nenabled = true\nusers_file = 'users'\n",
            6,
            "smtp.auth.users_file",
            "line 2 is not 'address:scrypt$...'",
        ),
        (
            "[[calendars]]\nname = 'closed'\nics = 'absent.ics'\n",
            6,
            "calendars.0.ics",
            "give an iCalendar file of all-day events",
        ),
        (
            "[admin]\nenabled = true\npassword_file = 'absent'\n",
            6,
            "admin.password_file",
            "cannot read the secret file",
        ),
        (
            "[[mailboxes]]\nhost = 'imap.example.com'\nusername = 'sms'\naddress = 'sms@example.com'"
            "\npassword_file = 'users'\nca_file = 'absent.pem'\n",
            9,
            "mailboxes.0.ca_file",
            "give a PEM file of CA certificates",
        ),
    ],
)
def test_files_the_bridge_reads_at_start_must_be_there(
    tmp_path: Path, extra: str, line: int, key: str, words: str
) -> None:
    (tmp_path / "users").write_text("# made by smsbridge hash-password\nalice@example.com\n")
    code, _, err, path = check(tmp_path, GOOD + extra)
    assert code == 2
    assert any(e.startswith(f"{path}:{line}: {key}: ") and words in e for e in err), err


def test_a_tls_pair_that_does_not_load_is_refused(tmp_path: Path) -> None:
    (tmp_path / "cert.pem").write_text("not a certificate\n")
    (tmp_path / "key.pem").write_text("not a key\n")
    extra = "tls_cert = 'cert.pem'\ntls_key = 'key.pem'\n"
    code, _, err, path = check(tmp_path, GOOD + extra)
    assert code == 2
    assert err[1].startswith(f"{path}:4: smtp.tls_cert: ") and "not a PEM certificate" in err[1]


def test_run_refuses_what_check_config_finds_with_the_same_report(tmp_path: Path) -> None:
    """A users file the SMTP listener cannot parse: once a traceback at start (exit 3)."""
    (tmp_path / "users").write_text("alice@example.com\n")
    make_certificate(tmp_path, name="sms.example.com")
    text = (
        GOOD.replace("[smtp]\n", "[smtp]\nport = 0\ntls_cert = 'cert.pem'\ntls_key = 'key.pem'\n")
        + "[smtp.auth]\nenabled = true\nusers_file = 'users'\n"
    )
    code, _, err, path = check(tmp_path, text)
    assert code == 2
    run = subprocess.run(
        [sys.executable, "-m", "bridge", "run", "--config", path],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
    )
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert run.stderr.splitlines() == err


@pytest.mark.parametrize(
    ("text", "key", "words"),
    [
        (
            GOOD + "port = 'twenty-five'\n",
            "smtp.port",
            "write a whole number without quotes, e.g. 2525",
        ),
        (GOOD + "max_message_size = 10\n", "smtp.max_message_size", "at least 1024"),
        (GOOD + "[bridge]\nwatch_config = 'maybe'\n", "bridge.watch_config", "write true or false"),
        (
            GOOD + "[store]\nbackend = 'mysql'\n",
            "store.backend",
            'write one of "sqlite" or "postgres"',
        ),
        (GOOD + "[smpt]\nport = 1\n", "smpt", "did you mean 'smtp'?"),
        (
            GOOD + "[mail]\nfrom_adress = 'a@example.com'\n",
            "mail.from_adress",
            "did you mean 'from_address'?",
        ),
        (GOOD + "[mail]\nzzz = 1\n", "mail.zzz", "unknown setting: remove it"),
        ("[bridge]\nlog_level = 'INFO'\n", "smtp", "required: add a [smtp] table"),
        ("smtp = 'x'\n", "smtp", "write a table"),
        (
            GOOD
            + f"[provider]\nname = 'twilio'\n[provider.twilio]\naccount_sid = '{SID}'\nacount = 1\n",
            "provider.twilio.acount",
            "did you mean 'account_sid'?",
        ),
        (
            GOOD + f"[providers.main]\ntype = 'twilio'\naccount_sid = '{SID}'\n",
            "providers.main.auth_token_file",
            "set SMSBRIDGE_PROVIDERS__MAIN__AUTH_TOKEN or auth_token_file",
        ),
        (GOOD + "[senders]\ndefault = 12\n", "senders.default", 'write text in quotes, e.g. "12"'),
        (
            GOOD + "[[numbers]]\nnumber = '+447700900100'\ninbox = 'a@example.com'\n",
            "numbers.0.inbox",
            'write a list, e.g. ["a@example.com"]',
        ),
    ],
)
def test_pydantic_is_reworded_to_say_what_to_write(
    tmp_path: Path, text: str, key: str, words: str
) -> None:
    code, _, err, _ = check(tmp_path, text)
    assert code == 2
    [fault] = [e for e in err[1:] if f": {key}: " in e]
    assert words in fault and "Input should" not in fault, fault


def test_the_routing_table_is_checked_even_when_another_section_is_wrong(tmp_path: Path) -> None:
    routes = (
        "[[routes]]\nname = 'everyone'\ndefault = true\nemails = ['a@example.com']\n"
        "[[routes]]\nname = 'late'\nkeywords = ['x']\nemails = ['b@example.com']\n"
    )
    code, _, err, path = check(tmp_path, GOOD + "port = -1\n" + routes)
    assert code == 2
    assert err[1].startswith(f"{path}:4: smtp.port: ")
    assert err[2].startswith(f"{path}:7: routes.0.default: ") and "move it to the end" in err[2]
    assert err[3].startswith(f"{path}:9: routes.1: ") and "add default = true" in err[3]


NUMBERS = """
[[numbers]]
number = "+447700900100"
inbox = ["team@example.com"]
"""


@pytest.mark.parametrize(
    ("text", "line", "key", "words"),
    [
        (GOOD.replace('["example.com"]', '["*"]'), 3, "smtp.allowed_senders", "not a wildcard"),
        (
            GOOD.replace('["example.com"]', '["com"]'),
            3,
            "smtp.allowed_senders",
            "every address under .com",
        ),
        (
            GOOD + 'trusted_networks = ["0.0.0.0/0"]\n',
            4,
            "smtp.trusted_networks",
            "0.0.0.0/0 is every address",
        ),
        (
            GOOD + 'trusted_networks = ["::/0"]\n',
            4,
            "smtp.trusted_networks",
            "::/0 is every address",
        ),
        (
            GOOD
            + NUMBERS
            + "[[routes]]\nname = 'x'\nnumbers = ['+447700900999']\nemails = ['a@example.com']\n"
            "[[routes]]\nname = 'all'\ndefault = true\nemails = ['a@example.com']\n",
            10,
            "routes.0.numbers",
            "+447700900999 is not in [[numbers]]",
        ),
        (
            GOOD + NUMBERS + "[[senders.rules]]\nmatch = 'example.com'\nsender = '+447700900555'\n",
            10,
            "senders.rules.0.sender",
            "+447700900555 is not in [[numbers]]: customers' replies",
        ),
        (
            GOOD + "[[routes]]\nname = 'uk'\nsenders = ['GB']\nemails = ['a@example.com']\n"
            "[[routes]]\nname = 'one'\nsenders = ['+447700900123']\nemails = ['b@example.com']\n"
            "[[routes]]\nname = 'all'\ndefault = true\nemails = ['a@example.com']\n",
            8,
            "routes.1",
            "route 'one' can never match: route 'uk' before it",
        ),
    ],
)
def test_risky_settings_are_warnings_at_their_line(
    tmp_path: Path, text: str, line: int, key: str, words: str
) -> None:
    code, out, err, path = check(tmp_path, text)
    assert code == 0, err
    assert out[0].startswith(f"{path}: OK")
    assert any(o.startswith(f"{path}:{line}: {key}: warning: ") and words in o for o in out), out


def test_a_secret_for_a_provider_the_file_lacks_is_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not pydantic's "Unable to extract tag using discriminator 'type'"."""
    monkeypatch.setenv("SMSBRIDGE_PROVIDERS__TWILIO__AUTH_TOKEN", "left-over")
    (tmp_path / "bridge.toml").write_text(GOOD)
    assert main(["check-config", str(tmp_path / "bridge.toml")]) == 0
    out = capsys.readouterr().out
    assert "OK (providers sandbox" in out
    assert (
        "SMSBRIDGE_PROVIDERS__TWILIO__AUTH_TOKEN: warning: ignored: the file defines no"
        " [providers.twilio]" in out
    )
    assert "left-over" not in out


def test_json_gives_one_object_per_finding(tmp_path: Path) -> None:
    code, out, _, path = check(tmp_path, BROKEN, "--json")
    assert code == 2
    found = [json.loads(line) for line in out]
    assert [f["line"] for f in found] == sorted(f["line"] for f in found)
    assert found[0] == {
        "file": path,
        "line": 2,
        "key": "bridge.public_url",
        "severity": "error",
        "message": found[0]["message"],
    }
    code, out, _, _ = check(tmp_path, GOOD.replace('["example.com"]', '["*"]'), "--json")
    [warning] = [json.loads(line) for line in out]
    assert (code, warning["severity"], warning["key"]) == (0, "warning", "smtp.allowed_senders")


def test_routes_check_gives_warnings_at_their_line_and_json(tmp_path: Path) -> None:
    path = tmp_path / "bridge.toml"
    path.write_text(
        GOOD + "[[routes]]\nname = 'a'\nkeywords = ['help']\nemails = ['a@example.com']\n"
        "[[routes]]\nname = 'all'\ndefault = true\nemails = ['a@example.com']\n"
    )
    args = [sys.executable, "-m", "bridge", "routes", "check", str(path)]
    text = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)
    assert text.returncode == 0
    assert f"{path}:6: routes.0.keywords: warning: route 'a': the keyword HELP" in text.stdout
    as_json = subprocess.run([*args, "--json"], capture_output=True, text=True, check=False)
    [found] = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert (found["line"], found["key"]) == (6, "routes.0.keywords")
