"""Rule ``content-guard``: no payment data by text, and marketing carries its opt-out line.

A text is a poor place for a card number, an IBAN or a bank account: it sits unencrypted on
the phone, the provider's logs and the bridge's queue (PCI DSS forbids sending a full card
number by end-user messaging). What ``bridge.parsing.sensitive`` finds (and each of the
administrator's ``compliance.patterns``) gets its kind's action:

- ``mask``: every digit but the last four becomes ``*`` (``**** **** **** 1111``), and the
  record says what kind was masked, never the value (the default for cards, IBANs and sort
  codes with account numbers);
- ``refuse``: not sent (550 5.7.1), with a sentence naming the kind of data and where to send
  it instead, never echoing it;
- ``allow``: sent as written.

A marketing text that names no STOP word (``inbound.stop_words``, written in capitals as an
instruction is: "Reply STOP") gets ``compliance.opt_out_line`` on a line of its own (PECR and
the ICO, CTIA: every marketing message offers a simple way to opt out). This rule runs before
``segments``, so the line is counted in the text's price. Transactional texts are unchanged.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bridge.chain.facts import Facts
from bridge.chain.request import OutboundRequest
from bridge.chain.rule import Fact, Stage
from bridge.chain.verdicts import Accept, Refuse, Rewrite, Verdict
from bridge.parsing.keywords import normal_form
from bridge.parsing.sensitive import CARD, IBAN, SORT_CODE, Finding, find_sensitive, mask_findings
from bridge.settings.compliance import ComplianceSettings

__all__ = ["ContentGuard"]

_WORD = re.compile(r"[^\W_]+")
_PLURAL = {CARD: "card numbers", IBAN: "IBANs", SORT_CODE: "bank account numbers"}


@dataclass(frozen=True, slots=True)
class ContentGuard:
    actions: Mapping[str, str]  # kind of data -> mask, refuse or allow
    patterns: Sequence[tuple[str, re.Pattern[str]]] = ()
    send_instead: str = ""
    opt_out_line: str = ""
    stop_words: frozenset[str] = field(default_factory=frozenset)
    name: str = "content-guard"
    stage: Stage = Stage.CONTENT
    needs: frozenset[Fact] = frozenset()

    @classmethod
    def from_settings(
        cls, settings: ComplianceSettings, *, stop_words: Sequence[str]
    ) -> ContentGuard:
        actions = {
            CARD: settings.card_numbers,
            IBAN: settings.ibans,
            SORT_CODE: settings.sort_codes,
        }
        actions |= {p.name: p.action for p in settings.patterns}
        return cls(
            actions=actions,
            patterns=tuple((p.name, p.pattern) for p in settings.patterns if p.action != "allow"),
            send_instead=settings.send_instead,
            opt_out_line=settings.opt_out_line.strip(),
            stop_words=frozenset(stop_words),
        )

    def check(self, request: OutboundRequest, facts: Facts) -> Verdict:
        text = request.text or ""
        found = [f for f in find_sensitive(text, patterns=self.patterns) if self._act(f) != "allow"]
        refused = next((f for f in found if self._act(f) == "refuse"), None)
        if refused is not None:
            return Refuse(self._refusal(refused.kind))
        changes = []
        if found:
            text = mask_findings(text, found)
            changes.append(_masked(found))
        if request.category == "marketing" and self.opt_out_line and not self._names_stop(text):
            text = f"{text.rstrip()}\n{self.opt_out_line}"
            changes.append("added the opt-out line")
        if not changes:
            return Accept()
        return Rewrite(request.revised(text=text), "; ".join(changes))

    def _act(self, finding: Finding) -> str:
        return self.actions.get(finding.kind, "mask")

    def _names_stop(self, text: str) -> bool:
        words = (w for w in _WORD.findall(text) if w.isupper())
        return any(normal_form(word) in self.stop_words for word in words)

    def _refusal(self, kind: str) -> str:
        plural = _PLURAL.get(kind, f"{kind} data")
        article = "an" if kind[:1].lower() in "aeiou" else "a"
        return (
            f"The text contains {article} {kind}; this bridge does not send {plural} by text."
            f" Send it through {self.send_instead} instead, and send the email again without it."
        )


def _masked(found: Sequence[Finding]) -> str:
    counts = Counter(f.kind for f in found)
    return "masked " + ", ".join(f"{n} {kind}{'s' if n > 1 else ''}" for kind, n in counts.items())
