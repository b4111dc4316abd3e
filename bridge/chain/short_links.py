"""Rule ``short-links``: long URLs become short links that count who clicked.

With a link prefix set (``[links]``), each http(s) URL of the text that ``allow_domains`` and
``deny_domains`` let through becomes ``<prefix>/<code>``, a code of its own for each
recipient (the chain runs once per recipient), so a click says whose text it was. The target
keeps the URL as written, with the ``[links] utm`` parameters added. The rule runs before
``segments``, so the text is measured (and its author answered) as it will be sent.

The codes ride on the request (``OutboundRequest.links``) and are stored with the job, in
the transaction that stores it: a job merged with one already stored (a mail server sending
the email again) keeps its own codes, and ``smsbridge outbound explain`` shows codes that are
never stored. ``mint`` draws them (``bridge.links.codes``); a test passes its own.

A subject tag ``[nolinks]`` leaves the text's links as written; the bridge's answers to
STOP, START and HELP are never touched.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from bridge.chain.facts import Facts
from bridge.chain.request import OutboundRequest, Source
from bridge.chain.rule import Fact, Stage
from bridge.chain.verdicts import Accept, Rewrite, Verdict
from bridge.links.codes import new_code
from bridge.links.urls import find_urls, host_of, may_shorten, with_utm
from bridge.models import ShortLink

__all__ = ["NO_LINKS_TAG", "ShortLinks"]

NO_LINKS_TAG = "nolinks"


@dataclass(frozen=True, slots=True)
class ShortLinks:
    base: str  # every short link is base/code
    utm: Mapping[str, str] = field(default_factory=dict)
    allow: Collection[str] = ()
    deny: Collection[str] = ()
    expiry: timedelta | None = None
    mint: Callable[[], str] = new_code
    name: str = "short-links"
    stage: Stage = Stage.CONTENT
    needs: frozenset[Fact] = frozenset()

    def check(self, request: OutboundRequest, facts: Facts) -> Verdict:
        text = request.text or ""
        if request.source is Source.COMPLIANCE or NO_LINKS_TAG in request.tags:
            return Accept()
        own = host_of(self.base)
        found = [
            u
            for u in find_urls(text)
            if may_shorten(u.url, allow=self.allow, deny=self.deny, own=own)
        ]
        if not found:
            return Accept()
        expires = facts.at + self.expiry if self.expiry is not None else None
        utm = self._utm(request)
        links, pieces, last = [], [], 0
        for position, url in enumerate(found):
            link = ShortLink(self.mint(), with_utm(url.url, utm), position, expires)
            links.append(link)
            pieces += [text[last : url.start], f"{self.base}/{link.code}"]
            last = url.end
        pieces.append(text[last:])
        shortened = "".join(pieces)
        noun = "link" if len(links) == 1 else "links"
        what = f"{len(links)} {noun} shortened: {len(text)} to {len(shortened)} characters"
        return Rewrite(request.revised(text=shortened, links=tuple(links)), what)

    def _utm(self, request: OutboundRequest) -> dict[str, str]:
        fill = {
            "category": request.category or "transactional",
            "sender": request.sender or "",
            "route": request.route,
        }
        return {name: value.format(**fill) for name, value in self.utm.items()}
