"""A customer's email address at the bridge, and what a recipient address asks for.

The bridge writes a customer's address as ``+447700900123.via.447700900100@sms.example.com``:
the customer, then the reply number they texted. Reply (from any client, any mailbox, even
with the thread's headers lost) and any later email to that address text the customer from
that number, so the conversation stays on the number the customer knows. The plain
``+447700900123@…`` still works: the thread or the sender rules then choose the sender.
"""

from __future__ import annotations

from dataclasses import dataclass

from bridge.errors import InvalidNumber
from bridge.parsing.numbers import digits, parse_number

__all__ = [
    "CONTROL_PREFIX",
    "Recipient",
    "control_address",
    "control_token",
    "customer_address",
    "parse_recipient",
]

_VIA = ".via."
# A control address (``batch-<token>@…``): the Reply-To of a batch's confirmation, to which its
# author replies CANCEL (bridge.inbound.control); never a phone number.
CONTROL_PREFIX = "batch-"


@dataclass(frozen=True, slots=True)
class Recipient:
    number: str  # E.164
    via: str | None = None  # E.164: the reply number the address names


def customer_address(customer: str, reply_number: str, domain: str) -> str:
    """The address Reply goes to: ``+447700900123.via.447700900100@domain``."""
    return f"{customer}{_VIA}{digits(reply_number)}@{domain}"


def parse_recipient(local: str, *, default_region: str) -> Recipient:
    """The number (and reply number) of a recipient's local part; ``InvalidNumber`` says what
    is wrong, naming the part at fault."""
    number, found, via = local.partition(_VIA)
    if not found:
        return Recipient(parse_number(local, default_region=default_region))
    customer = parse_number(number, default_region=default_region)
    try:
        reply_number = parse_number("+" + via.lstrip("+"), default_region=default_region)
    except InvalidNumber as exc:
        raise InvalidNumber(f"The reply number after '.via.' is wrong: {exc.reason}") from exc
    return Recipient(customer, reply_number)


def control_address(token: str, domain: str) -> str:
    """The address a batch's author replies to: ``batch-<token>@domain``."""
    return f"{CONTROL_PREFIX}{token}@{domain}"


def control_token(local: str) -> str | None:
    """The token of a control address's local part (lower-case), or None when it is not
    one; any ``batch-`` local part is one, so that a mistyped token is refused as unknown
    rather than as a wrong phone number."""
    if not local.lower().startswith(CONTROL_PREFIX):
        return None
    return local[len(CONTROL_PREFIX) :].lower()
