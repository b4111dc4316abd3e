"""Problem reports name the line of the file, for any key path pydantic reports."""

from __future__ import annotations

import pytest

from bridge.settings.lines import line_of

TEXT = """# settings
[bridge]
log_level = "INFO"

[smtp]
domains = ["sms.example.com"]
port = 25

[smtp.auth]
enabled = true

[[senders.rules]]
match = "a.example.com"
sender = "+447700900100"

[[senders.rules]]
match = "b.example.com"

[[routes]]
name = "first"
start = "9am"

[[routes]]  # the second
name = "second"
"""


@pytest.mark.parametrize(
    ("path", "line"),
    [
        ("smtp.port", 7),
        ("smtp.auth.enabled", 10),
        ("smtp.auth.users_file", 9),  # absent: the table's header
        ("senders.rules.1.match", 17),
        ("senders.rules.1.sender", 16),
        ("routes.0.start", 21),
        ("routes.1", 23),
        ("routes.1.name", 24),
        ("mail.from_address", None),
        ("(top level)", None),
    ],
)
def test_line_of(path: str, line: int | None) -> None:
    assert line_of(TEXT, path) == line
