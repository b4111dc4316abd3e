"""Short links' store operations: stored with their text, looked up by the redirect, their
clicks written in batches and read back per text and per author, sender and category. The
SQL is named in ``bridge/store/queries/links.sql``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bridge.models import Click, LinkClicks, ShortLink
from bridge.store.queries import Q
from bridge.store.rows import ts
from bridge.store.statements import Op, all_rows, count, one_row

__all__ = ["insert_links", "job_clicks", "link_report", "record_clicks", "short_link"]


def insert_links(job_id: str, links: Sequence[ShortLink], now: float) -> Op[None]:
    """Store a new text's links (in the transaction that stores the text)."""
    for link in links:
        expires = ts(link.expires_at) if link.expires_at is not None else None
        yield count(
            Q.insert_short_link, link.code, job_id, link.position, link.target, now, expires
        )


def short_link(code: str) -> Op[tuple[ShortLink, str] | None]:
    """The link of ``code`` and its text's id, or None."""
    row = yield one_row(Q.short_link, code)
    if row is None:
        return None
    expires = row["expires_at"]
    at = datetime.fromtimestamp(float(expires), UTC) if expires is not None else None
    link = ShortLink(str(row["code"]), str(row["target"]), int(row["position"]), at)
    return link, str(row["job_id"])


def record_clicks(clicks: Sequence[Click]) -> Op[int]:
    """Write a batch of clicks at once (one transaction, one commit)."""
    for click in clicks:
        yield count(Q.insert_click, click.code, ts(click.at), int(click.counted), click.why)
    return len(clicks)


def job_clicks(job_ids: Sequence[str]) -> Op[dict[str, LinkClicks]]:
    """What each text's links were asked for; texts without links are left out."""
    found = {}
    for job_id in job_ids:
        row = yield one_row(Q.job_clicks, job_id)
        if row is None or not int(row["links"]):
            continue
        first = row["first_click"]
        clicks = int(row["clicks"])
        found[job_id] = LinkClicks(
            links=int(row["links"]),
            clicks=clicks,
            not_counted=int(row["requests"]) - clicks,
            first_click=datetime.fromtimestamp(float(first), UTC) if first is not None else None,
        )
    return found


def link_report(since: float) -> Op[list[dict[str, Any]]]:
    rows = yield all_rows(Q.link_report, since)
    return [dict(row) for row in rows]
