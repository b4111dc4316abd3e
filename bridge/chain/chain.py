"""The ordered chain of rules, run over one request; the record of what each rule did.

The order is the order a text meets the rules, and it matters: the sender must be chosen
before anyone can ask whether the customer opted out from it, and the text must be clean
before it is measured. The first refusal ends the chain; a deferral is remembered and the
rest still run, since a later rule may refuse outright; the latest deferral wins.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import fields, replace
from datetime import datetime, timedelta
from typing import Any

from bridge.chain.category import CategoryRule
from bridge.chain.consent import MarketingConsent
from bridge.chain.content import Content
from bridge.chain.content_guard import ContentGuard
from bridge.chain.destination import Destination
from bridge.chain.facts import (
    FactReader,
    Facts,
    FactStore,
    Limiter,
    StoreFacts,
    VelocityWatch,
)
from bridge.chain.frequency_cap import FrequencyCap
from bridge.chain.opt_out import OptOut
from bridge.chain.owned_sender import OwnedSender
from bridge.chain.quiet_hours import QuietHours
from bridge.chain.rate_limit import RateLimit
from bridge.chain.reply_sender import ReplySender
from bridge.chain.request import OutboundRequest
from bridge.chain.rule import Fact, Rule, Stage
from bridge.chain.schedule import Schedule
from bridge.chain.segments import Segments
from bridge.chain.sender import SenderRuleSet
from bridge.chain.short_links import ShortLinks
from bridge.chain.spend_cap import SpendCap
from bridge.chain.velocity import VelocityGuard
from bridge.chain.verdicts import Accept, Decision, Defer, Notice, Refuse, Rewrite, Verdict
from bridge.chain.windows import QuietTime
from bridge.models import Contact, NewMailJob, Recipient, RuleHit, SentWindow
from bridge.settings.root import Settings

__all__ = [
    "Chain",
    "build_chain",
    "destinations_limited",
    "owned_senders",
    "quiet_time",
    "rate_limited",
    "short_links",
    "store_facts",
    "velocity_watch",
]


def owned_senders(settings: Settings) -> frozenset[str]:
    """The senders the bridge is set up to use: its numbers, the default, the rules' senders."""
    senders = {number.number for number in settings.numbers}
    senders |= {settings.senders.default, *(rule.sender for rule in settings.senders.rules)}
    return frozenset(senders)


def rate_limited(settings: Settings) -> bool:
    """Whether any sending number or provider has a rate limit."""
    return any(n.rate_per_second for n in settings.numbers) or any(
        p.rate_per_second for p in settings.providers.values()
    )


def destinations_limited(settings: Settings) -> bool:
    """Whether any country or kind of number is kept from being texted."""
    compliance = settings.compliance
    return bool(
        compliance.allowed_countries
        or compliance.blocked_number_types
        or compliance.block_non_geographic
        or any(rule.allowed_countries for rule in settings.senders.rules)
    )


def velocity_watch(
    settings: Settings, alert: Callable[[str, int, datetime], NewMailJob] | None = None
) -> VelocityWatch | None:
    """The velocity guard's window and limit (None when it is off), with the administrator's
    ``alert`` when ``compliance.alert_to`` names anyone."""
    compliance = settings.compliance
    if not compliance.velocity_new_numbers:
        return None
    window = timedelta(minutes=compliance.velocity_minutes)
    alert = alert if compliance.alert_to else None
    return VelocityWatch(compliance.velocity_new_numbers, window, alert)


def store_facts(
    settings: Settings,
    store: FactStore,
    limiter: Limiter | None = None,
    *,
    alert: Callable[[str, int, datetime], NewMailJob] | None = None,
) -> StoreFacts:
    """The facts the chain reads from ``store`` (and ``limiter``), as ``settings`` shape them;
    ``alert``: the velocity guard's email to an administrator (none when only explaining)."""
    return StoreFacts(
        store,
        limiter,
        conversation_days=settings.inbound.conversation_days,
        velocity=velocity_watch(settings, alert),
        teams=tuple(cap.match for cap in settings.compliance.spend_caps),
        zone=settings.compliance.timezone,
        opt_out_scope=settings.compliance.opt_out_scope,
    )


def quiet_time(settings: Settings) -> QuietTime:
    """When texts may go: ``compliance``'s hours, quiet days and holiday calendars."""
    compliance = settings.compliance
    named = set(compliance.quiet_during)
    dates = frozenset().union(*(c.days() for c in settings.calendars if c.name in named))
    return QuietTime(compliance.window, frozenset(compliance.quiet_days), dates)


def build_chain(settings: Settings) -> Chain:
    """The chain in its order, stage by stage; later issues add their rules here. A rule with
    nothing to enforce (no rate limit, cap, quiet hours or velocity guard set) is left out,
    so that it costs nothing."""
    return Chain([*_envelope(settings), *_content(settings), *_send(settings)])


def _envelope(settings: Settings) -> list[Rule]:
    """Who may text whom: known at SMTP's RCPT TO."""
    rules: list[Rule] = [
        ReplySender(settings.smtp.domains[0]),
        SenderRuleSet(settings.senders),
        OwnedSender(owned_senders(settings)),
    ]
    if destinations_limited(settings):
        rules.append(Destination(settings.compliance, settings.senders))
    return [*rules, OptOut()]


def _content(settings: Settings) -> list[Rule]:
    """What the text says and what it costs, then when it may go."""
    compliance = settings.compliance
    rules: list[Rule] = [Schedule(), CategoryRule(compliance, settings.senders)]
    if compliance.marketing_requires_consent:
        rules.append(MarketingConsent())
    rules += [
        Content(),
        ContentGuard.from_settings(compliance, stop_words=settings.inbound.stop_words),
        *short_links(settings),
        Segments(settings.text),  # after short-links: measured as it will be sent
    ]
    quiet = quiet_time(settings) if compliance.has_quiet_time else None
    categories = frozenset(compliance.quiet_categories)
    if compliance.caps:
        rules.append(FrequencyCap(compliance.caps, quiet, categories, compliance.timezone))
    if compliance.spend_caps:
        spend = SpendCap(
            compliance.spend_caps, compliance.prices, compliance.currency, compliance.timezone
        )
        rules.append(spend)
    if quiet is not None:
        rules.append(QuietHours(quiet, categories, settings.senders, compliance.timezone))
    return rules


def short_links(settings: Settings) -> list[Rule]:
    """Rule ``short-links`` when a link prefix is set (``[links]``), else none."""
    links = settings.links
    base = links.base(settings.bridge.public_url)
    if base is None:
        return []
    expiry = timedelta(days=links.expiry_days) if links.expiry_days else None
    return [ShortLinks(base, links.utm, links.allow_domains, links.deny_domains, expiry)]


def _send(settings: Settings) -> list[Rule]:
    """Pacing, just before a provider is asked."""
    rules: list[Rule] = []
    watch = velocity_watch(settings)
    if watch is not None:
        rules.append(VelocityGuard(watch.limit, watch.window))
    if rate_limited(settings):
        rules.append(RateLimit())  # last: a token taken is a token used
    return rules


class Chain:
    def __init__(self, rules: Sequence[Rule]) -> None:
        stages = [rule.stage for rule in rules]
        if stages != sorted(stages):
            raise ValueError("the chain's rules must be ordered by stage")
        self.rules = tuple(rules)
        # The rules of each combination of stages, listed once: the chain runs for every
        # recipient of every email, twice for SMTP (RCPT, DATA), and at every send.
        self._by_stages: dict[frozenset[Stage], tuple[Rule, ...]] = {}
        self._late: dict[frozenset[Stage], frozenset[Fact]] = {}
        self._counter = next((rule for rule in rules if isinstance(rule, FrequencyCap)), None)

    def rules_of(self, stages: frozenset[Stage]) -> tuple[Rule, ...]:
        found = self._by_stages.get(stages)
        if found is None:
            found = self._by_stages[stages] = tuple(r for r in self.rules if r.stage in stages)
        return found

    def late_needs(self, stages: frozenset[Stage]) -> frozenset[Fact]:
        """Of the facts read together (``_LATE``), those the rules of ``stages`` need."""
        found = self._late.get(stages)
        if found is None:
            needs = frozenset().union(*(rule.needs for rule in self.rules_of(stages)))
            found = self._late[stages] = needs & _LATE
        return found

    async def run(
        self,
        request: OutboundRequest,
        *,
        facts: FactReader,
        at: datetime,
        stages: frozenset[Stage] = frozenset({Stage.ENVELOPE, Stage.CONTENT}),
    ) -> Decision:
        """Run the rules of ``stages`` in order over ``request``."""
        if at.tzinfo is None:
            raise ValueError("the chain needs an aware time")
        hits: list[RuleHit] = []
        not_before: datetime | None = None
        deferred = ""
        notices: list[Notice] = []
        bare = Facts(at=at)  # for the rules that need no fact, which are most
        wants = self.late_needs(stages)  # read once, when first asked
        late = _Late(wants, self._counter) if wants else _NOTHING_LATE
        for rule in self.rules_of(stages):
            known = await _read(rule.needs, request, facts, bare, late) if rule.needs else bare
            verdict = rule.check(request, known)
            hits.append(_hit(rule.name, verdict))
            if type(verdict) is Accept:  # most answers: go on (with what the rule measured)
                if verdict.request is not None:
                    request = verdict.request
                if verdict.notice is not None:
                    notices.append(verdict.notice)
                continue
            if isinstance(verdict, Refuse):
                return Decision(request, tuple(hits), refusal=verdict)
            if isinstance(verdict, Defer):
                if not_before is None or verdict.until >= not_before:
                    not_before, deferred = verdict.until, verdict.told
                if verdict.moves_clock and verdict.until > at:  # later rules judge then
                    at, bare = verdict.until, Facts(at=verdict.until)
            elif isinstance(verdict, Rewrite):
                request = verdict.request
        return Decision(
            request, tuple(hits), not_before=not_before, deferred=deferred, notices=tuple(notices)
        )

    def with_hits(self, decision: Decision, earlier: Sequence[RuleHit]) -> Decision:
        """``decision`` with the hits of an earlier stage's run in front (the envelope's, made
        at SMTP's RCPT, in front of the content's, made at DATA)."""
        return replace(decision, hits=(*earlier, *decision.hits))


# What the content stage knows of the recipient: read for the first rule that needs any of
# it, all at once (one store operation a text, not one a rule).
_LATE = frozenset({Fact.CONTACT, Fact.SENT, Fact.SPENT})


class _Late:
    """The recipient's contact, texts and team's spend, read once a run for every rule that
    needs them, again only if what they depend on changed (a deferral that moved the clock).
    The frequency cap's texts are counted in the store in its windows (``Recipient``)."""

    def __init__(self, wants: frozenset[Fact], counter: FrequencyCap | None) -> None:
        self.wants = wants
        self._names = frozenset(str(fact) for fact in wants)
        self._counter = counter if Fact.SENT in wants else None
        self._key: tuple[str, str, str, datetime] | None = None
        self._found = Recipient()

    async def read(self, request: OutboundRequest, reader: FactReader, at: datetime) -> Recipient:
        key = (request.to_number, request.category, request.author, at)
        if key != self._key:
            windows = self._windows(request, None, at)
            found = await self._recipient(request, reader, at, windows)
            if windows and found.contact is not None and found.contact.timezone:
                # the contact's own zone can move a calendar period: count in that one
                theirs = self._windows(request, found.contact, at)
                if theirs != windows:
                    found = await self._recipient(request, reader, at, theirs)
            self._key, self._found = key, found
        return self._found

    def _windows(
        self, request: OutboundRequest, contact: Contact | None, at: datetime
    ) -> tuple[SentWindow, ...]:
        if self._counter is None or not request.category:
            return ()
        return self._counter.windows(request, contact, at)

    async def _recipient(
        self,
        request: OutboundRequest,
        reader: FactReader,
        at: datetime,
        windows: tuple[SentWindow, ...],
    ) -> Recipient:
        return await reader.recipient(
            number=request.to_number,
            category=request.category,
            author=request.author,
            at=at,
            wants=self._names,
            windows=windows,
        )


_NOTHING_LATE = _Late(frozenset(), None)  # for a run whose rules need none of ``_LATE``


async def _read(
    needs: frozenset[Fact],
    request: OutboundRequest,
    reader: FactReader,
    bare: Facts,
    late: _Late,
) -> Facts:
    """The facts ``needs`` names, for ``request`` as it stands, at ``bare.at``: ``bare``
    itself when none was found (no opt-out, no thread: most texts, and every row of a bulk
    send but a few), rather than a new record a rule."""
    at = bare.at
    about = await _recipient(needs, request, reader, at) if needs & _ABOUT else {}
    counts = await _counts(needs, request, reader, at) if needs & _COUNTED else {}
    if needs & _LATE:
        found = await late.read(request, reader, at)
        if Fact.CONTACT in needs:
            about["contact"] = found.contact
        if Fact.SENT in needs and request.category:
            counts["sent"], counts["sent_counts"] = found.sent, found.counts
        if Fact.SPENT in needs:
            counts["spent"] = found.spent
    known = {name: value for name, value in (about | counts).items() if value != _UNKNOWN[name]}
    return Facts(at=at, **known) if known else bare


_UNKNOWN = {field.name: field.default for field in fields(Facts)}  # what a fact is by default
_ABOUT = frozenset({Fact.OPTED_OUT, Fact.CONSENT, Fact.THREAD})  # read by ``_recipient``
_COUNTED = frozenset({Fact.RATE, Fact.NEW_NUMBERS})  # by ``_counts``


async def _recipient(
    needs: frozenset[Fact], request: OutboundRequest, reader: FactReader, at: datetime
) -> dict[str, Any]:
    """What is known of the recipient: opt-out, consent, conversations."""
    found: dict[str, Any] = {}
    customer = request.to_number
    if Fact.OPTED_OUT in needs and request.sender:
        found["opted_out"] = await reader.opted_out(sender=request.sender, customer=customer)
    if Fact.CONSENT in needs and request.category == "marketing":  # the only one that needs it
        found["consent"] = await reader.consent(sender=request.sender or "", customer=customer)
    thread = request.thread
    if Fact.THREAD in needs and thread is not None and thread.open_reply:
        # only then does the rule read them: no query at RCPT TO, nor for a new email
        found["thread"] = await reader.thread_numbers(
            customer=customer, references=thread.references, at=at
        )
    return found


async def _counts(
    needs: frozenset[Fact], request: OutboundRequest, reader: FactReader, at: datetime
) -> dict[str, Any]:
    """What is counted as it is asked: rate limits' room, new numbers."""
    found: dict[str, Any] = {}
    if Fact.RATE in needs:
        keys = tuple(k for k in (request.provider, request.sender) if k)
        found["rate_wait"] = await reader.rate_wait(keys=keys, at=at)
    if Fact.NEW_NUMBERS in needs and request.author:  # the bridge's own answers have none
        found["new_numbers"] = await reader.new_numbers(
            author=request.author, to_number=request.to_number, at=at
        )
    return found


# The hits of rules that accepted, by rule and note: the same few (``1 segment of GSM-7``,
# ``transactional (compliance.default_category)``) for nearly every text, so each is made
# once, not once a text (a bulk send decides 100,000 texts, ten rules each). Emptied when
# full, since a note can name a number.
_ACCEPTED: dict[tuple[str, str], RuleHit] = {}
_ACCEPTED_KEPT = 4096


def _hit(rule: str, verdict: Verdict) -> RuleHit:
    if isinstance(verdict, Accept):
        hit = _ACCEPTED.get((rule, verdict.note))
        if hit is None:
            if len(_ACCEPTED) >= _ACCEPTED_KEPT:
                _ACCEPTED.clear()
            hit = _ACCEPTED[rule, verdict.note] = RuleHit(rule, "accept", verdict.note)
        return hit
    if isinstance(verdict, Refuse):
        return RuleHit(rule, "refuse", verdict.reason)
    if isinstance(verdict, Defer):
        return RuleHit(rule, "defer", f"until {verdict.until:%Y-%m-%d %H:%M:%S %Z}: {verdict.why}")
    return RuleHit(rule, "rewrite", verdict.what)
