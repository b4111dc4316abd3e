"""Token buckets kept in the database, so that every bridge on it shares each rate limit.

A number limited to 1 text a second must send 1 a second however many bridges share the
queue. ``take_tokens`` is one transaction: it creates the buckets it needs, locks them (in
key order, so two bridges never wait on each other crosswise), refills them by the time
since each was last used, and takes one token from each, or none if any must wait. The
arithmetic is ``bridge.ratelimit.Bucket``'s, the same as the single-process limiter's.
"""

from __future__ import annotations

from collections.abc import Sequence

from bridge.chain.rates import Bucket
from bridge.store.statements import Op, all_rows, count

__all__ = ["take_tokens"]


def take_tokens(limits: Sequence[tuple[str, float, int]], now: float) -> Op[float]:
    """0.0 with a token taken from each of ``limits`` (key, rate, burst), or the seconds to
    wait, with nothing taken."""
    limits = sorted(limits)
    keys = [key for key, _, _ in limits]
    for key, _, burst in limits:
        yield count(
            "INSERT INTO rate_buckets (name, tokens, at) VALUES (?, ?, ?)"
            " ON CONFLICT (name) DO NOTHING",
            key,
            float(burst),
            now,
        )
    marks = ", ".join("?" * len(keys))
    rows = yield all_rows(
        f"SELECT name, tokens, at FROM rate_buckets WHERE name IN ({marks}) ORDER BY name",  # noqa: S608
        *keys,
        postgres=f"SELECT name, tokens, at FROM rate_buckets WHERE name IN ({marks})"  # noqa: S608
        " ORDER BY name FOR UPDATE",
    )
    held = {row["name"]: row for row in rows}
    buckets = []
    for key, rate, burst in limits:
        bucket = Bucket(rate, float(burst), float(held[key]["tokens"]), float(held[key]["at"]))
        bucket.refill(max(now, bucket.at))  # a bridge whose clock is behind adds nothing
        buckets.append((key, bucket))
    wait = max(bucket.wait() for _, bucket in buckets)
    if wait > 0:
        return wait
    for key, bucket in buckets:
        yield count(
            "UPDATE rate_buckets SET tokens = ?, at = ? WHERE name = ?",
            bucket.tokens - 1,
            bucket.at,
            key,
        )
    return 0.0
