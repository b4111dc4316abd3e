"""Which of an email's pictures go with its texts as MMS, and why the others do not.

A picture goes with a text when pictures are on (``text.mms``), the bridge has a public URL
(the provider fetches the picture from ``<public_url>/media/<token>``), the job's first
provider sends MMS to the number's country (Twilio: US and Canada), its type is one the
provider takes (``text.mms_types``) and all of the text's pictures fit ``text.mms_max_bytes``.
Otherwise the text goes alone and the author's notice says which picture stayed behind and
why. A picture is stored once, with an unguessable token, for all the recipients of an email;
it is served until ``text.media_expiry_days`` have passed.

An email is kept with its long base64 runs cut (``bridge.parsing.slimming``, ``kept`` bytes
of each): a picture that decodes to more than half of that may have been cut, and is never
sent as one.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from email.message import EmailMessage

from bridge.media.words import describe, megabytes
from bridge.models import MediaFile, NewSmsJob
from bridge.parsing.attachments import attachment_name
from bridge.parsing.numbers import country_of

__all__ = ["MmsPolicy", "PicturePlan", "plan_pictures"]

_COUNTRIES = {"US": "US", "CA": "Canadian"}


@dataclass(frozen=True, slots=True, kw_only=True)
class MmsPolicy:
    """What decides whether a picture can go: the settings and the job's provider."""

    enabled: bool  # text.mms, and a public URL for the provider to fetch from
    why_not: str  # the reason when not enabled, in the author's words
    max_bytes: int
    types: tuple[str, ...]
    max_pictures: int
    expiry: timedelta
    # The countries the job's first provider sends MMS to (empty: text only), and its name.
    countries_for: Callable[[NewSmsJob], tuple[str, frozenset[str]]]


@dataclass(frozen=True, slots=True)
class PicturePlan:
    """The jobs with their pictures' tokens, the pictures to store, the attachments that
    did not go to every recipient (by name), and why, in sentences for the notice."""

    jobs: list[NewSmsJob]
    files: list[MediaFile]
    left: tuple[str, ...]
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Picture:
    name: str
    content_type: str
    content: bytes


def plan_pictures(
    msg: EmailMessage, jobs: list[NewSmsJob], policy: MmsPolicy, *, kept: int, now: datetime
) -> PicturePlan | None:
    """None when the email has no picture (the attachments are handled as before)."""
    parts = list(msg.iter_attachments())
    pictures = [_picture(part) for part in parts if part.get_content_maintype() == "image"]
    if not pictures:
        return None
    sendable, reasons = _sendable(pictures, policy, kept)
    files = [_file(p, policy, now) for p in sendable]
    tokens = tuple(f.token for f in files)
    planned, stayed = [], []
    for job in jobs:
        refusal = _destination(job, policy) if files else None
        if refusal is None and files:
            planned.append(replace(job, media=tokens))
        else:
            planned.append(job)
            if refusal:
                stayed.append(refusal)
    reasons += sorted(set(stayed))
    everywhere = {p.name for p in sendable} if not stayed else set()
    used = files if len(stayed) < len(jobs) else []
    left = tuple(n for n in (attachment_name(p) for p in parts) if n not in everywhere)
    return PicturePlan(planned, used, left, tuple(reasons))


def _picture(part: EmailMessage) -> _Picture:
    content = part.get_payload(decode=True)
    return _Picture(
        attachment_name(part),
        part.get_content_type(),
        content if isinstance(content, bytes) else b"",
    )


def _sendable(
    pictures: Sequence[_Picture], policy: MmsPolicy, kept: int
) -> tuple[list[_Picture], list[str]]:
    """The pictures that may go (by type and size, in order), and why the others may not."""
    if not policy.enabled:
        return [], [f"{len(pictures)} picture(s) went as text only: {policy.why_not}."]
    limit = min(policy.max_bytes, kept // 2)
    chosen: list[_Picture] = []
    reasons: list[str] = []
    total = 0
    for picture in pictures:
        size = len(picture.content)
        what = f"{describe(picture.content_type, size)} ({picture.name})"
        if picture.content_type not in policy.types:
            kinds = ", ".join(t.partition("/")[2].upper() for t in policy.types)
            reasons.append(f"{what} was not sent: pictures go as {kinds} only.")
        elif total + size > limit or len(chosen) >= policy.max_pictures:
            reasons.append(
                f"{what} was not sent: a text's pictures may be {megabytes(limit)} in all,"
                f" at most {policy.max_pictures}."
            )
        else:
            chosen.append(picture)
            total += size
    return chosen, reasons


def _destination(job: NewSmsJob, policy: MmsPolicy) -> str | None:
    """Why this job's pictures cannot go, or None when they can."""
    provider, countries = policy.countries_for(job)
    if country_of(job.to_number) in countries:
        return None
    if not countries:
        return f"the text to {job.to_number} went as text only: {provider} sends no pictures."
    where = " and ".join(_COUNTRIES.get(c, c) for c in sorted(countries, reverse=True))
    return (
        f"the text to {job.to_number} went as text only: pictures are sent only to {where}"
        f" numbers through {provider}."
    )


def _file(picture: _Picture, policy: MmsPolicy, now: datetime) -> MediaFile:
    return MediaFile(
        token=secrets.token_urlsafe(32),
        content_type=picture.content_type,
        content=picture.content,
        expires_at=now + policy.expiry,
    )
