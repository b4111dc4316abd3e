"""Cut long base64 bodies out of an email, line by line, so it never has to be held whole.

No text message needs more than a few KB, but an email may carry a 25 MB attachment, and the
email package needs about eight times an attachment's size in memory to parse it. A run of
base64 lines (an attachment, or a text part sent as base64) of at least ``RUN_LINES`` lines is
cut to its first ``KEPT`` bytes, at a line end: whole base64 quanta, so the kept part still
decodes, and a text part sent as base64 keeps its beginning.

``Slimmer`` takes lines as they arrive (the SMTP listener feeds it during ``DATA``), so the
memory an email costs is what is kept, not what was sent. ``slim`` does the same to an email
already in memory (the mailbox watcher's), so both edges keep exactly the same bytes, line
ends included: a line ended by LF alone is written back with CRLF, as the listener does.
Cutting is idempotent: slimming a slimmed email changes nothing.

``kept`` may be raised (the SMTP listener does, to ``2 * text.mms_max_bytes``, when pictures
can go as MMS): a picture within the MMS limit is then kept whole, and one that was cut still
decodes to more than the limit, so it is refused as too big rather than sent cut.
"""

from __future__ import annotations

import re

__all__ = ["KEPT", "RUN_LINES", "Slimmer", "slim"]

KEPT = 64 * 1024
RUN_LINES = KEPT // 80  # a run shorter than this many lines is never cut
_MIN_LINE = 40
_BASE64_LINE = re.compile(rb"[A-Za-z0-9+/]{%d,}={0,2}" % _MIN_LINE)


class Slimmer:
    """Collects an email's lines (each without its line end) into ``content()``."""

    def __init__(self, *, kept: int = KEPT) -> None:
        self._kept = kept
        self._run_lines = kept // 80
        self._out = bytearray()
        self._run: list[bytes] = []  # the current base64 run, while it may still be kept whole
        self._run_bytes = 0
        self._cutting = False  # the current run was cut: drop its remaining lines

    def add(self, line: bytes) -> None:
        """Add one line; ``line`` has no CRLF (every line is written back with one)."""
        if len(line) >= _MIN_LINE and _BASE64_LINE.fullmatch(line):
            if not self._cutting:
                self._run.append(line)
                self._run_bytes += len(line) + 2
                if len(self._run) >= self._run_lines and self._run_bytes >= self._kept:
                    self._cut_run()
            return
        self._end_run()
        self._out += line
        self._out += b"\r\n"

    def content(self) -> bytes:
        """Everything added, with long base64 runs cut."""
        self._end_run()
        return bytes(self._out)

    def _end_run(self) -> None:
        if len(self._run) >= self._run_lines:
            self._cut_run()
        for line in self._run:
            self._out += line
            self._out += b"\r\n"
        self._run.clear()
        self._run_bytes = 0
        self._cutting = False

    def _cut_run(self) -> None:
        kept = 0
        for line in self._run:
            if kept + len(line) + 2 > self._kept:
                break
            self._out += line
            self._out += b"\r\n"
            kept += len(line) + 2
        self._run.clear()
        self._cutting = True


def slim(content: bytes) -> bytes:
    """``content`` as the SMTP listener keeps it: every line ended by CRLF (an LF alone ends a
    line too, and a last line without an end gets one), every long base64 run cut.

    Returned as it is when there is nothing to do: no run can need cutting in ``KEPT`` bytes,
    so a short email whose lines all end in CRLF (the usual case) costs two scans.
    """
    if len(content) <= KEPT and _crlf_only(content):
        return content
    slimmer = Slimmer()
    lines = content.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    for line in lines:
        slimmer.add(line[:-1] if line.endswith(b"\r") else line)
    return slimmer.content()


def _crlf_only(content: bytes) -> bool:
    """Every line, the last one too, ends in CRLF (an empty content has no lines)."""
    ended = not content or content.endswith(b"\r\n")
    return ended and content.count(b"\n") == content.count(b"\r\n")
