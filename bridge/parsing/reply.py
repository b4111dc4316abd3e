"""The new text of a reply: what the author typed, without the quoted history and sign-offs.

Mail clients mark the start of the quoted original in a handful of ways: an attribution line
("On <date>, <name> wrote:", possibly wrapped over several lines, in several languages), a
separator ("-----Original Message-----", a row of underscores), or a block of header lines
("From: / Sent: / To: / Subject:"). Everything from the first such mark on is history. Below
the author's text there may be a signature (after a "-- " line), a "Sent from my iPhone"
line or a short "-Name" sign-off; those are removed too.

Only whole lines are examined, with anchored regular expressions on one line at a time, so
the time is linear in the size of the message even for pathological quoting.
"""

from __future__ import annotations

import re

__all__ = ["visible_reply"]

_ATTRIBUTION_START = re.compile(r"^\s*(On|Le|Am|El|Op|Il|Em|Den|På|W dniu|Dne)\s", re.IGNORECASE)
_ATTRIBUTION_END = re.compile(
    r"(wrote|writes|a écrit|schrieb|escribió|schreef|ha scritto|escreveu|skrev|napisał|napsal"
    r"|написал|написала)\s*:?\s*$",
    re.IGNORECASE,
)
_ADDRESS_COLON = re.compile(r"<[^<>\s]+@[^<>\s]+>\s*:\s*$")
_ORIGINAL = re.compile(
    r"^\s*-{2,}\s*(Original Message|Ursprüngliche Nachricht|Message d'origine|Mensaje original"
    r"|Исходное сообщение)\s*-{2,}\s*$",
    re.IGNORECASE,
)
_UNDERSCORES = re.compile(r"^\s*_{10,}\s*$")
_DASHES = re.compile(r"^\s*-{10,}\s*$")
_HEADER = re.compile(
    r"^\s*\*?(From|Sent|Date|To|Cc|Subject|De|Envoyé|À|Objet|Von|Gesendet|An|Betreff|От"
    r"|Отправлено|Кому|Тема|Дата)\s*:\*?\s",
    re.IGNORECASE,
)
_SIGNATURE = re.compile(r"^--\s*$")
_SENT_FROM = re.compile(
    r"^\s*(Sent|Envoyé|Gesendet|Enviado) (from|with|using|via|depuis|von|desde) "
    r"(my |a |an |mon |meinem )?[^,.;:!?]{1,50}$|^\s*Get Outlook for \w+\s*$",
    re.IGNORECASE,
)
_DASH_NAME = re.compile(r"^\s*-\s?[A-Z][\w.'’-]*(\s[A-Z][\w.'’-]*){0,3}\s*$")


def visible_reply(text: str) -> str:
    """The text above the quoted original, or, if the author answered inline, their lines."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    start = _history_start(lines)
    above = _strip_sign_offs(_unquoted(lines[:start]))
    if any(line.strip() for line in above) or start == len(lines):
        return "\n".join(above).strip("\n")
    inline = _unquoted(lines[start + 1 :])
    return "\n".join(_strip_sign_offs(inline[: _history_start(inline)])).strip("\n")


def _unquoted(lines: list[str]) -> list[str]:
    """Without ">" lines: quoted text the author answered between, or left in by mistake."""
    return [line for line in lines if not line.lstrip().startswith(">")]


def _history_start(lines: list[str]) -> int:
    """Index of the first line of quoted history (len(lines) if there is none)."""
    for index, line in enumerate(lines):
        if _starts_history(lines, index, line):
            return index
    return len(lines)


def _starts_history(lines: list[str], index: int, line: str) -> bool:
    if _ORIGINAL.match(line) or _UNDERSCORES.match(line) or _ADDRESS_COLON.search(line):
        return True
    if _DASHES.match(line):
        return _header_block(lines, _next_filled(lines, index + 1))
    if _ATTRIBUTION_START.match(line) and _attribution_ends(lines, index):
        return True
    return _header_block(lines, index)


def _attribution_ends(lines: list[str], index: int) -> bool:
    """An "On ..." line that says "wrote:" by itself or within the next two lines."""
    for offset in range(3):
        if index + offset >= len(lines) or len(lines[index + offset]) > 300:
            return False
        candidate = lines[index + offset]
        if offset and (not candidate.strip() or candidate.lstrip().startswith(">")):
            return False
        if _ATTRIBUTION_END.search(candidate):
            return True
    return False


def _header_block(lines: list[str], index: int) -> bool:
    """At least three header lines (From:, Sent:, To:, Subject:, ...) in a row start here."""
    if index >= len(lines) or not _HEADER.match(lines[index]):
        return False
    block = lines[index : index + 6]
    return sum(1 for line in block if _HEADER.match(line)) >= 3


def _next_filled(lines: list[str], index: int) -> int:
    while index < len(lines) and not lines[index].strip():
        index += 1
    return index


def _strip_sign_offs(lines: list[str]) -> list[str]:
    for index, line in enumerate(lines):
        if _SIGNATURE.match(line):
            lines = lines[:index]
            break
    while True:
        while lines and not lines[-1].strip():
            lines = lines[:-1]
        if lines and (_SENT_FROM.match(lines[-1]) or _is_dash_name(lines)):
            lines = lines[:-1]
            continue
        return lines


def _is_dash_name(lines: list[str]) -> bool:
    """A "-Name" sign-off: a short dashed name alone after a blank line, at the very end."""
    return len(lines) >= 2 and not lines[-2].strip() and bool(_DASH_NAME.match(lines[-1]))
