"""A scripted conversation, played against the flow engine alone (``smsbridge flows test``
and the tests): no store, no provider, no outbound chain.

One instruction a line; blank lines and lines starting with ``#`` are skipped::

    > MENU            the customer texts "MENU"
    < Hi! Reply 1...  the bridge must answer exactly this (optional: without it, any answer)
    <                 the bridge must say nothing (a hand-over's silence, or routing)
    + 31m             time passes (s, m, h or d)
    ! close           a person closes the conversation (a handed-over flow may resume)

Every answer and every decision (step, matched phrase, how, score) is printed; an expected
answer that differs is a failure, reported with its line number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bridge.flows.engine import play
from bridge.models import FlowState
from bridge.settings.flows import FlowSettings

__all__ = ["ScriptError", "ScriptResult", "play_script"]

_WAIT = re.compile(r"^\+\s*(\d+(?:\.\d+)?)\s*([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


class ScriptError(ValueError):
    """A line that is not an instruction, with its number."""


@dataclass(slots=True)
class ScriptResult:
    lines: list[str] = field(default_factory=list)  # what was played, as printed
    failures: list[str] = field(default_factory=list)  # "LINE: expected ..., got ..."


@dataclass(slots=True)
class _Player:
    flows: tuple[FlowSettings, ...]
    number: str
    at: datetime
    state: FlowState | None = None
    closed_at: datetime | None = None
    said: str | None = None  # the last answer, until an expectation checks it
    result: ScriptResult = field(default_factory=ScriptResult)

    def text(self, words: str) -> None:
        out = self.result.lines
        out.append(f"> {words}")
        turn = play(
            self.flows,
            self.state,
            words,
            reply_number=self.number,
            at=self.at,
            closed_at=self.closed_at,
        )
        if turn is None:
            self.said = ""
            why = "a person has it" if self._handed_over() else "no flow takes it"
            out.append(f"  ({why}: routing decides)")
            return
        self.state, self.said = turn.state, turn.say
        out += [f"< {line}" for line in turn.say.splitlines()] or ["  (no answer)"]
        out += [f"  . {decision}" for decision in turn.decisions]
        if turn.handover:
            out.append(f"  ! handed over: {turn.handover}")
        if turn.finished is not None:
            answers = ", ".join(f"{k}={v}" for k, v in turn.finished) or "none"
            out.append(f"  = finished with answers: {answers}")

    def expect(self, number: int, wanted: str) -> None:
        got = self.said
        if got is None and wanted:
            self.result.failures.append(f"{number}: expected {wanted!r} but nothing was texted")
        elif got is not None and " ".join(got.split()) != " ".join(wanted.split()):
            self.result.failures.append(f"{number}: expected {wanted!r}, the bridge said {got!r}")
        self.said = None

    def _handed_over(self) -> bool:
        return self.state is not None and self.state.status != "active"


def play_script(
    text: str, flows: tuple[FlowSettings, ...], *, number: str, at: datetime
) -> ScriptResult:
    """Play ``text`` (the script) from ``at`` (aware, in the reply number's zone)."""
    player = _Player(flows=flows, number=number, at=at)
    for index, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith(">"):
            player.text(line[1:].strip())
            player.at += timedelta(seconds=1)
        elif line.startswith("<"):
            player.expect(index, line[1:].strip())
        elif line.startswith("+"):
            player.at += _wait(line, index)
            player.result.lines.append(f"  ({line[1:].strip()} later)")
        elif line == "! close":
            player.closed_at = player.at
            player.result.lines.append("  (a person closes the conversation)")
        else:
            raise ScriptError(f"line {index}: {line!r} is not > text, < answer, + 30m or ! close")
    return player.result


def _wait(line: str, index: int) -> timedelta:
    found = _WAIT.match(line)
    if found is None:
        raise ScriptError(f"line {index}: {line!r}: write the wait as + 30m (s, m, h or d)")
    return timedelta(**{_UNITS[found.group(2)]: float(found.group(1))})
