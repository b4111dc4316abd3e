"""Job ids: one at a time (``new_id``) or a statement's worth at once (``new_ids``)."""

from __future__ import annotations

import os
import re
import time

import pytest

from bridge.store.ids import new_id, new_ids

_SHAPE = re.compile(r"s[0-9abcdefghjkmnpqrstvwxyz]{15}")


def test_ids_made_together_have_the_shape_of_ids_made_one_at_a_time() -> None:
    one = new_id("s")
    many = new_ids("s", 5000)
    assert _SHAPE.fullmatch(one)
    assert len(many) == 5000 and all(_SHAPE.fullmatch(made) for made in many)
    assert len(set(many)) == 5000  # never two alike, though 30 random bits each could clash


def test_ids_made_later_sort_after_earlier_ones() -> None:
    first = new_ids("s", 3)
    time.sleep(0.002)  # the next millisecond at least
    later = [new_id("s"), *new_ids("s", 3)]
    assert max(first) < min(later)


def test_the_random_parts_use_the_whole_alphabet() -> None:
    """Every character of the random part is drawn: 30 bits make 6 characters, not fewer."""
    tails = "".join(made[-6:] for made in new_ids("s", 2000))
    assert set(tails) == set("0123456789abcdefghjkmnpqrstvwxyz")
    assert {made[-6] for made in new_ids("s", 2000)} == set("0123456789abcdefghjkmnpqrstvwxyz")


def test_random_parts_drawn_alike_are_drawn_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two ids of one millisecond with the same random part would be one job's id twice:
    the operating system here first gives the same four bytes for every id."""
    draws: list[int] = []
    real = os.urandom

    def urandom(size: int) -> bytes:
        draws.append(size)
        return bytes(size) if len(draws) == 1 else real(size)

    monkeypatch.setattr(os, "urandom", urandom)
    made = new_ids("s", 50)
    assert len(set(made)) == 50
    assert draws[0] == 200 and draws[1] == 4 * 49  # all but the first drawn again
