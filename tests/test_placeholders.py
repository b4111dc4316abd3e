"""Placeholders: one way to fill a text, for bulk rows, templates and groups alike."""

from __future__ import annotations

import pytest

from bridge.parsing.placeholders import MissingFields, Template, field_name


@pytest.mark.parametrize(
    ("written", "normal"),
    [("First name", "first_name"), ("first-name", "first_name"), ("FIRST_NAME", "first_name")],
)
def test_a_field_is_named_one_way(written: str, normal: str) -> None:
    assert field_name(written) == normal


def test_a_text_is_filled_from_values_by_normal_name() -> None:
    template = Template("Hi {First Name}, your order {order} is ready")
    assert template.fields == ("first_name", "order")
    filled = template.fill({"first_name": "Ann", "order": "A-17"})
    assert filled == "Hi Ann, your order A-17 is ready"


def test_a_missing_or_empty_field_is_an_error_never_a_literal() -> None:
    template = Template("Hi {first_name}, your order {order} is ready")
    with pytest.raises(MissingFields) as caught:
        template.fill({"first_name": "  ", "order": ""})
    assert caught.value.names == ("first_name", "order")
    assert "{first_name}" in str(caught.value)


def test_a_default_fills_a_missing_field() -> None:
    assert Template("Hi {first_name|there}!").fill({}) == "Hi there!"
    assert Template("Hi {first_name|there}!").fill({"first_name": "Bo"}) == "Hi Bo!"


def test_doubled_braces_are_literal_and_a_text_without_fields_is_itself() -> None:
    template = Template("Use code {{SAVE10}} today {}")
    assert not template.has_fields
    assert template.fill({}) == "Use code {SAVE10} today {}"
