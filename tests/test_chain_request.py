"""``OutboundRequest.revised``: what ``dataclasses.replace`` makes, field for field."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import pytest

from bridge.chain.request import Changes, OutboundRequest, Source
from bridge.models import ShortLink
from bridge.parsing.thread import Thread

BASE = OutboundRequest(
    source=Source.EMAIL,
    author="alice@example.com",
    to_number="+447700900123",
    text="Your order is ready",
    subject="Order",
    tags=frozenset({"marketing"}),
)
# A value for every field, each different from BASE's.
CHANGED: dict[str, Any] = {
    "source": Source.API,
    "author": "bob@example.com",
    "to_number": "+447700900456",
    "text": "Another text",
    "sender": "+447700900100",
    "subject": "Other",
    "route": "sales",
    "max_segments": 3,
    "encoding": "GSM-7",
    "segments": 2,
    "truncated_from": 400,
    "provider": "twilio",
    "thread": Thread(via="+447700900100", references=("<a@example.com>",), is_reply=True),
    "tags": frozenset({"urgent"}),
    "domain": "sms.example.com",
    "category": "transactional",
    "send_at": datetime(2026, 12, 24, 9, 0, tzinfo=UTC),
    "send_zone": "Europe/London",
    "links": (ShortLink("k3x9", "https://example.com/orders/1"),),
}


def _fields(request: OutboundRequest) -> dict[str, Any]:
    return {field.name: getattr(request, field.name) for field in dataclasses.fields(request)}


_BEFORE = _fields(BASE)


def test_changes_names_every_field_of_a_request() -> None:
    names = [field.name for field in dataclasses.fields(OutboundRequest)]
    assert list(Changes.__annotations__) == names
    assert sorted(CHANGED) == sorted(names)


@pytest.mark.parametrize("name", sorted(CHANGED))
def test_a_revised_request_is_what_replace_makes(name: str) -> None:
    revised = BASE.revised(**{name: CHANGED[name]})
    assert revised == dataclasses.replace(BASE, **{name: CHANGED[name]})
    assert getattr(revised, name) == CHANGED[name] != getattr(BASE, name)
    assert _fields(BASE) == _BEFORE  # a new request; the one revised is unchanged


def test_every_field_revised_at_once_and_none_at_all() -> None:
    assert BASE.revised(**CHANGED) == OutboundRequest(**CHANGED)
    assert BASE.revised() == BASE


def test_a_revised_request_stays_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        BASE.revised(text="x").text = "y"  # type: ignore[misc]


def test_an_unknown_field_is_refused_by_name() -> None:
    with pytest.raises(TypeError, match="no field colour"):
        BASE.revised(colour="red")  # type: ignore[call-arg]
