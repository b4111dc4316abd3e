"""The address book in the store, against both backends (the ``store`` fixture), and the
one normal form every contact is checked into on the way in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bridge.models import Contact
from bridge.parsing.contacts import InvalidContact, checked, make_contact, normal_tags
from bridge.store.base import Store

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
ANN = Contact(
    number="+447700900123",
    name="Ann Example",
    email="ann@example.com",
    tags=("late", "vip"),
    timezone="Europe/London",
    language="en-GB",
    notes="Prefers mornings.\nGate code 1234.",
)
BOB = Contact(number="+447700900456", name="bob Builder", tags=("vip",))
NAMELESS = Contact(number="+447700900789", email="x_y@example.org", notes="100% sure")


async def test_a_contact_is_saved_read_and_replaced_by_its_number(store: Store) -> None:
    assert await store.contact(ANN.number) is None
    assert await store.save_contacts([ANN, BOB], now=T0) == 2
    assert await store.contact(ANN.number) == ANN
    moved = Contact(number=ANN.number, name="Ann Moved", tags=("VIP ", "new;Late"))
    assert await store.save_contacts([moved], now=T0 + timedelta(hours=1)) == 1
    stored = await store.contact(ANN.number)
    assert stored == Contact(number=ANN.number, name="Ann Moved", tags=("late", "new", "vip"))


async def test_contacts_are_listed_by_name_and_filtered_by_tag_and_search(store: Store) -> None:
    await store.save_contacts([NAMELESS, BOB, ANN], now=T0)
    listed = await store.contacts()
    assert [c.number for c in listed] == [ANN.number, BOB.number, NAMELESS.number]
    assert [c.name for c in await store.contacts(tag="VIP")] == ["Ann Example", "bob Builder"]
    assert [c.name for c in await store.contacts(tag="late")] == ["Ann Example"]
    assert await store.contacts(tag="vi") == []  # a whole tag, not a part of one
    assert [c.name for c in await store.contacts(search="BUILDER")] == ["bob Builder"]
    assert [c.number for c in await store.contacts(search="gate code")] == [ANN.number]
    assert [c.number for c in await store.contacts(search="07700 900456")] == []
    assert [c.number for c in await store.contacts(search="900 456")] == [BOB.number]
    assert [c.number for c in await store.contacts(search="x_y")] == [NAMELESS.number]
    assert await store.contacts(search="x%y") == []  # LIKE's wildcards are taken literally
    assert [c.number for c in await store.contacts(search="100%")] == [NAMELESS.number]
    assert len(await store.contacts(limit=2)) == 2
    assert [c.name for c in await store.contacts(tag="vip", search="ann")] == ["Ann Example"]


async def test_delete_says_whether_the_contact_was_there(store: Store) -> None:
    await store.save_contacts([ANN], now=T0)
    assert await store.delete_contact(ANN.number) is True
    assert await store.delete_contact(ANN.number) is False
    assert await store.contact(ANN.number) is None


async def test_an_invalid_contact_saves_nothing_of_its_batch(store: Store) -> None:
    wrong = Contact(number="+447700900999", email="not an address")
    with pytest.raises(InvalidContact, match="email"):
        await store.save_contacts([ANN, wrong], now=T0)
    assert await store.contacts() == []
    with pytest.raises(InvalidContact, match="number"):
        await store.save_contacts([Contact(number="07700 900123")], now=T0)


def test_make_contact_reads_a_national_number_and_normalises_every_field() -> None:
    made = make_contact(
        number="07700 900123",
        default_region="GB",
        name="  Ann   Example ",
        email="Ann@Example.COM",
        tags=["VIP", " late |vip", ""],
        timezone="Europe/London",
        language="en_gb",
    )
    assert made == Contact(
        number="+447700900123",
        name="Ann Example",
        email="Ann@example.com",
        tags=("late", "vip"),
        timezone="Europe/London",
        language="en-GB",
    )
    assert normal_tags(["a,b", "B"]) == ("a", "b")
    assert checked(made) == made


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"number": "12"}, "number"),
        ({"email": "ann@"}, "email"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"timezone": "../../etc/passwd"}, "timezone"),
        ({"language": "english please"}, "language"),
        ({"name": "Ann\x00"}, "name"),
        ({"notes": "x" * 2001}, "notes"),
    ],
)
def test_make_contact_refuses_a_field_in_words(fields: dict[str, str], field: str) -> None:
    given = {"number": "+447700900123", **fields}
    with pytest.raises(InvalidContact) as refused:
        make_contact(default_region="GB", **given)
    assert refused.value.field == field and refused.value.reason.startswith(field + ": ")
