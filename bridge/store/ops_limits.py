"""Token buckets kept in the database, so that every bridge on it shares each rate limit.

A number limited to 1 text a second must send 1 a second however many bridges share the
queue. ``take_tokens`` is one transaction: it creates the buckets it needs, locks them (in
key order, so two bridges never wait on each other crosswise), refills them by the time
since each was last used, and takes one token from each, or none if any must wait. The
arithmetic is ``bridge.ratelimit.Bucket``'s, the same as the single-process limiter's. The SQL
is named in ``bridge/store/queries/limits.sql``.
"""

from __future__ import annotations

from collections.abc import Sequence

from bridge.store.buckets import Bucket
from bridge.store.queries import Q
from bridge.store.statements import Op, count, one_row

__all__ = ["take_tokens"]


def take_tokens(limits: Sequence[tuple[str, float, int]], now: float) -> Op[float]:
    """0.0 with a token taken from each of ``limits`` (key, rate, burst), or the seconds to
    wait, with nothing taken."""
    limits = sorted(limits)
    for key, _, burst in limits:
        yield count(Q.create_bucket, key, float(burst), now)
    buckets = []
    for key, rate, burst in limits:  # locked in key order
        row = yield one_row(Q.lock_bucket, key)
        bucket = Bucket(rate, float(burst), float(row["tokens"]), float(row["at"]))
        bucket.refill(max(now, bucket.at))  # a bridge whose clock is behind adds nothing
        buckets.append((key, bucket))
    wait = max(bucket.wait() for _, bucket in buckets)
    if wait > 0:
        return wait
    for key, bucket in buckets:
        yield count(Q.take_token, bucket.tokens - 1, bucket.at, key)
    return 0.0
