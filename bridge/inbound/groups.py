"""Group addresses: ``drivers@sms.example.com`` texts every contact tagged ``drivers``.

The SMTP listener asks here at RCPT TO about a local part that is neither a phone number nor
a control address (``batch-…``). The group is the address book's tag of that name
(``bridge.store`` keeps tags lower-case); it must have contacts (else the address is refused
as any other that is not a number, 550 5.1.3), the author's sender rule must name it in
``groups`` (or ``"*"``; else 550 5.7.1), and it must not make the email text more than
``groups.max_size`` contacts (550 5.5.3). The members then go to the intake as recipients
like any other, so each passes the outbound chain: an opted-out member is not texted, and
the author's notice names them.
"""

from __future__ import annotations

import logging

from bridge.errors import Refused
from bridge.parsing.addresses import best_match
from bridge.settings.text import SendersSettings
from bridge.store.base import Contacts

__all__ = ["GroupDesk"]

log = logging.getLogger(__name__)


class GroupDesk:
    def __init__(self, *, contacts: Contacts, senders: SendersSettings, max_size: int) -> None:
        self._contacts = contacts
        self._rules = {rule.match: rule for rule in senders.rules}
        self.max_size = max_size

    async def members(
        self, tag: str, *, author: str, already: int, not_a_number: str
    ) -> tuple[str, ...]:
        """The numbers of the group ``tag`` for ``author``, whose email already texts
        ``already`` group members; ``Refused`` says why not. ``not_a_number`` is the sentence
        an address that is not a number gets, which an unknown group gets too."""
        found = await self._contacts.contacts(tag=tag, limit=self.max_size + 1)
        if not found:
            raise Refused(
                550, "5.1.3", f"{not_a_number} Nor is it a group: no contact is tagged {tag}."
            )
        if not self._allowed(author, tag):
            raise Refused(
                550,
                "5.7.1",
                f"{author} may not text the group {tag}. Ask your administrator to add"
                f' "{tag}" to groups in the [[senders.rules]] entry for your address or domain.',
            )
        if len(found) + already > self.max_size:
            raise Refused(550, "5.5.3", self._too_large(tag, len(found), already))
        log.info("group %s for %s: %d contacts", tag, author, len(found))
        return tuple(contact.number for contact in found)

    def _allowed(self, author: str, tag: str) -> bool:
        match = best_match(author, self._rules) if author else None
        return match is not None and self._rules[match].may_text_group(tag)

    def _too_large(self, tag: str, size: int, already: int) -> str:
        limit = self.max_size
        if size > limit:
            return (
                f"The group {tag} has more than {limit} contacts, the most one email may text"
                " (groups.max_size): split the group's tag, or ask your administrator."
            )
        return (
            f"The group {tag} ({size} {'contact' if size == 1 else 'contacts'}) and the groups"
            " before it in this email come to"
            f" more than {limit} contacts, the most one email may text (groups.max_size):"
            " send to them in separate emails."
        )
