"""The decision on a customer's text: one pure function of the text, the past and the time.

In order:

1. STOP (and the other stop words, in every configured language) puts the customer on the
   reply number's suppression list and confirms once by text; with ``compliance.opt_out_scope
   = "organisation"`` that list stops every sender of the bridge. START, only for a customer
   who stopped (from any number, with that scope), takes them off it, and also confirms an
   opt-in campaign they were asked about. A YES to a campaign's question (``[[campaigns]]``,
   double opt-in) within its window opts them in; a campaign's keyword (JOIN) asks it, or
   opts in at once. HELP gets the help text. The answers are in the contact's language when
   ``[inbound.keywords.<lang>]`` has them. These never reach an inbox; each opt-in and opt-out
   becomes a consent event, recorded with the suppression change.
2. A live conversation (someone texted this customer from this number, or took the
   conversation over, and it was active either way within ``inbound.conversation_days`` and
   not closed) sends the text to its owner, threaded under their email, and to
   ``inbound.conversation_copies``. Keyword routes, auto-replies and forwards do not apply:
   the customer is talking to a person. The route is still resolved for its webhook (an
   integration's record) and, with ``inbound.copy_conversations_to_route``, its inboxes.
3. Otherwise a dialogue flow (``[[flows]]``, ``bridge.flows.engine``) may take the text: the
   customer is in one, or starts one with its keyword. Its answer is the only reply; a
   hand-over emails the text, with the transcript, to the route's inboxes (docs/flows.md).
4. Otherwise the routing table decides (``table.py``); with no table, or a route with nobody
   to tell by email, the reply number's inbox. A text that has nowhere at all to go goes to
   ``mail.from_address``, so that nothing a customer sends is ever silently dropped.

The worker (``bridge.workers.inbound``) then only carries the decision out: it writes the
email, passes each text through the outbound chain and stores it all in one transaction.
``smsbridge routes explain`` and the admin page call the same function.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bridge.flows.engine import Turn, play
from bridge.models import ORGANISATION, Conversation, FlowUpdate, InboundContext
from bridge.parsing.keywords import whole_text_keyword
from bridge.parsing.numbers import display_number, is_e164
from bridge.routing.keywords import Keyword, auto_reply_allowed, keyword_of
from bridge.routing.matchers import InboundText
from bridge.routing.table import RoutingTable
from bridge.settings.campaigns import CampaignSettings
from bridge.settings.flows import FlowSettings
from bridge.settings.inbound import InboundSettings
from bridge.settings.numbers import ReplyNumber
from bridge.settings.routes import CalendarSettings, RouteSettings

__all__ = [
    "ConsentChange",
    "InboundDecision",
    "InboundRules",
    "Reply",
    "RouteText",
    "Routed",
    "Router",
    "decide",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Routed:
    """What the routing table (or, without one, the reply number) said about a text."""

    route: str
    emails: tuple[str, ...] = ()
    owner: bool = True
    auto_reply: str | None = None
    forward_to: tuple[str, ...] = ()
    webhook: str | None = None
    timezone: str = "UTC"
    explanation: str = ""


RouteText = Callable[[InboundText, datetime], Routed]  # a Router, or one swapped on reload


class Router:
    """The ``[[routes]]`` table when there is one, else each reply number's own inbox."""

    def __init__(
        self,
        routes: tuple[RouteSettings, ...],
        calendars: tuple[CalendarSettings, ...],
        numbers: tuple[ReplyNumber, ...],
    ) -> None:
        self._table = RoutingTable.from_settings(routes, calendars) if routes else None
        self._numbers = {number.number: number for number in numbers}

    def __call__(self, text: InboundText, at: datetime) -> Routed:
        number = self._numbers.get(text.to_number)
        if self._table is None:
            return Routed(
                route="reply number inbox",
                emails=number.inbox if number else (),
                timezone=number.timezone if number else "UTC",
                auto_reply=number.auto_reply if number else None,
                explanation="no routing table: the reply number's inbox",
            )
        zone = number.timezone if number else "UTC"  # for routes that name no time zone
        decision = self._table.resolve(replace(text, zone=zone), at=at)
        where = decision.destination
        return Routed(
            route=decision.route,
            emails=where.emails,
            owner=where.owner,
            auto_reply=where.auto_reply,
            forward_to=where.forward_to,
            webhook=where.webhook,
            timezone=decision.timezone,
            explanation=decision.explain(),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class InboundRules:
    """The settings the decision reads: ``[inbound]``, the reply numbers, the last resort."""

    inbound: InboundSettings
    numbers: tuple[ReplyNumber, ...]
    fallback: str  # mail.from_address: who hears of a text that has nowhere else to go
    opt_out_scope: str = "organisation"  # compliance.opt_out_scope
    campaigns: tuple[CampaignSettings, ...] = ()
    flows: tuple[FlowSettings, ...] = ()  # [[flows]]: dialogues (bridge.flows)

    def campaign(self, word: str, number: str) -> CampaignSettings | None:
        """The campaign ``word`` starts on ``number``, if any."""
        found = (c for c in self.campaigns if c.keyword == word and c.runs_on(number))
        return next(found, None)

    def scope(self, number: str) -> str:
        """What an opt-out or opt-in on ``number`` covers: every sender, or that number."""
        return ORGANISATION if self.opt_out_scope == "organisation" else number

    def inbox(self, number: str) -> tuple[str, ...]:
        found = next((n for n in self.numbers if n.number == number), None)
        return found.inbox if found else ()


@dataclass(frozen=True, slots=True)
class Reply:
    """A text the bridge sends because of this one: to whom, what, why (its purpose is part
    of its idempotency key, so routing the same text again never sends it twice)."""

    to_number: str
    text: str
    purpose: str  # "reply" (STOP/START/HELP), "auto-reply", "forward|<number>"


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsentChange:
    """An opt-in or opt-out this text makes, for the consent ledger (the worker adds when and
    the text's id as evidence)."""

    action: str  # "opt-in" or "opt-out"
    scope: str  # ORGANISATION or the reply number
    how: str = "keyword"  # or "double opt-in"
    campaign: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class InboundDecision:
    route: str
    explanation: str
    keyword: Keyword = Keyword.NONE
    emails: tuple[str, ...] = ()  # who is emailed the text; empty for a keyword
    conversation: Conversation | None = None  # the email it answers, for threading
    timezone: str = "UTC"
    replies: tuple[Reply, ...] = ()
    webhook: str | None = None
    suppress: bool | None = None  # True: add to the suppression list, False: remove
    auto_replied: bool = False
    in_conversation: bool = False  # a live conversation's owner has it
    suppress_scope: str = ""  # START: off this number's list (""), or every number's
    consent: ConsentChange | None = None
    pending_campaign: str | None = None  # a campaign now awaiting YES; "" forgets one
    flow: FlowUpdate | None = None  # the customer's flow state after this text
    flow_turn: Turn | None = None  # what a flow did: its hand-over reason, its answers


def decide(
    text: InboundText,
    context: InboundContext,
    *,
    router: RouteText,
    rules: InboundRules,
    at: datetime,
) -> InboundDecision:
    """What to do with one customer's text, received by now (``at``, aware)."""
    settings = rules.inbound
    scope = rules.scope(text.to_number)
    stopped = context.suppressed_since if scope != ORGANISATION else context.opted_out_anywhere
    opted_out = stopped is not None
    keyword = keyword_of(text.text, settings, opted_out=opted_out)
    language = context.contact.language if context.contact else ""
    if keyword is Keyword.STOP:
        reply = settings.reply("stop", language)
        return replace(
            _keyword(text, keyword, reply, suppress=True, confirm=not opted_out),
            consent=ConsentChange(action="opt-out", scope=scope),
            flow=_flow_ended(context),  # STOP always wins over a flow, and ends it
        )
    campaign = _campaign(text, context, rules, at=at)
    if keyword is Keyword.START or campaign is not None:
        return _opt_in(text, context, rules, campaign, stopped=opted_out, language=language)
    may_answer = auto_reply_allowed(
        text.from_number, last=context.last_auto_reply, now=at, settings=settings
    )
    if keyword is Keyword.HELP and may_answer:
        reply = settings.reply("help", language)
        return _keyword(text, keyword, reply, suppress=None, confirm=True)
    return _routed(text, context, router(text, at), rules, at=at, may_answer=may_answer)


def _campaign(
    text: InboundText, context: InboundContext, rules: InboundRules, *, at: datetime
) -> tuple[CampaignSettings, bool] | None:
    """The campaign this text answers (True: the YES of a double opt-in) or starts (False)."""
    word = whole_text_keyword(text.text)
    if not word:
        return None
    started = rules.campaign(word, text.to_number)
    if started is not None:
        return started, False
    asked = rules.campaign(context.pending_campaign, text.to_number)
    since = context.pending_since
    if asked is None or since is None or word not in asked.confirm_words:
        return None
    return (asked, True) if at - since <= timedelta(minutes=asked.window_minutes) else None


def _opt_in(
    text: InboundText,
    context: InboundContext,
    rules: InboundRules,
    campaign: tuple[CampaignSettings, bool] | None,
    *,
    stopped: bool,
    language: str,
) -> InboundDecision:
    """START (a customer who stopped), a campaign's keyword, or the YES it asked for.

    Precedence: START/YES from a customer who stopped takes them off the list as always and,
    with a campaign question pending, also answers it. JOIN of a double opt-in only asks."""
    scope = rules.scope(text.to_number)
    if campaign is not None and campaign[0].double and not campaign[1]:
        asked = _keyword(text, Keyword.NONE, campaign[0].confirm, suppress=None, confirm=True)
        name = f"opt-in campaign {campaign[0].keyword.upper()}: asked to confirm"
        return replace(asked, route=name, explanation=name, pending_campaign=campaign[0].keyword)
    suppress = False if stopped else None
    if campaign is None:
        reply = rules.inbound.reply("start", language)
        change = ConsentChange(action="opt-in", scope=scope)
        done = _keyword(text, Keyword.START, reply, suppress=suppress, confirm=True)
        return replace(done, consent=change, suppress_scope=scope if scope == ORGANISATION else "")
    how = "double opt-in" if campaign[1] else "keyword"
    change = ConsentChange(action="opt-in", scope=scope, how=how, campaign=campaign[0].keyword)
    name = f"opt-in campaign {campaign[0].keyword.upper()}: {how}"
    done = _keyword(text, Keyword.NONE, campaign[0].welcome, suppress=suppress, confirm=True)
    return replace(
        done,
        route=name,
        explanation=name,
        consent=change,
        suppress_scope=scope if scope == ORGANISATION else "",
        pending_campaign="" if context.pending_campaign else None,
    )


def _keyword(
    text: InboundText, keyword: Keyword, reply: str, *, suppress: bool | None, confirm: bool
) -> InboundDecision:
    name = {Keyword.STOP: "opt-out (STOP)", Keyword.START: "opt-in (START)"}.get(keyword, "help")
    send = confirm and is_e164(text.from_number)  # never to a short code or a sender ID
    replies = (Reply(text.from_number, reply, "reply"),) if send else ()
    return InboundDecision(
        route=name,
        explanation=f"keyword: {name}",
        keyword=keyword,
        replies=replies,
        suppress=suppress,
        auto_replied=bool(replies),
    )


def _routed(
    text: InboundText,
    context: InboundContext,
    routed: Routed,
    rules: InboundRules,
    *,
    at: datetime,
    may_answer: bool,
) -> InboundDecision:
    conversation = context.conversation
    if conversation is not None and conversation.live_at(at, rules.inbound.conversation_days):
        return _in_conversation(text, conversation, routed, rules)
    flowed = _flowed(text, context, routed, rules, at=at)
    if flowed is not None:
        return flowed
    replies = [
        Reply(n, f"Text from {display_number(text.from_number)}: {text.text}", f"forward|{n}")
        for n in routed.forward_to
    ]
    auto = routed.auto_reply is not None and may_answer
    if auto and routed.auto_reply is not None:
        replies.append(Reply(text.from_number, routed.auto_reply, "auto-reply"))
    return InboundDecision(
        route=routed.route,
        explanation=routed.explanation,
        emails=_recipients(text, routed, rules),
        timezone=routed.timezone,
        replies=tuple(replies),
        webhook=routed.webhook,
        auto_replied=auto,
        flow=_flow_kept(text, context, rules),
    )


def _in_conversation(
    text: InboundText, conversation: Conversation, routed: Routed, rules: InboundRules
) -> InboundDecision:
    settings = rules.inbound
    people = [conversation.author, *settings.conversation_copies]
    if settings.copy_conversations_to_route:
        people += routed.emails
    return InboundDecision(
        route="conversation",
        explanation=(
            f"a live conversation, owned by {conversation.author}: routes, auto-replies and"
            f" forwards do not apply (the route would have been {routed.route!r})"
        ),
        emails=tuple(dict.fromkeys(p for p in people if p)) or _fallback(text, rules),
        conversation=conversation,
        timezone=routed.timezone,
        webhook=routed.webhook,
        in_conversation=True,
    )


def _recipients(text: InboundText, routed: Routed, rules: InboundRules) -> tuple[str, ...]:
    return tuple(dict.fromkeys(routed.emails)) or _fallback(text, rules)


def _fallback(text: InboundText, rules: InboundRules) -> tuple[str, ...]:
    return rules.inbox(text.to_number) or (rules.fallback,)


def _flow_ended(context: InboundContext) -> FlowUpdate | None:
    return FlowUpdate(state=None, expected=context.flow.version) if context.flow else None


def _flow_kept(
    text: InboundText, context: InboundContext, rules: InboundRules
) -> FlowUpdate | None:
    """Routed past the flows of its number on the state read: saved only if still so (another
    of the customer's texts, decided at the same time, may have started a flow)."""
    if not any(flow.runs_on(text.to_number) for flow in rules.flows):
        return None
    return FlowUpdate(
        state=context.flow, expected=context.flow.version if context.flow else None, keep=True
    )


def _flowed(
    text: InboundText, context: InboundContext, routed: Routed, rules: InboundRules, *, at: datetime
) -> InboundDecision | None:
    """A flow's turn (``bridge.flows.engine``), when one takes the text: its answer, and on a
    hand-over the text's email, with the conversation so far, to the route's inboxes."""
    if not rules.flows or not is_e164(text.from_number):  # never a dialogue with a robot
        return None
    closed = context.conversation.closed_at if context.conversation else None
    local = at.astimezone(ZoneInfo(routed.timezone))
    turn = play(
        rules.flows,
        context.flow,
        text.text,
        reply_number=text.to_number,
        at=local,
        closed_at=closed,
    )
    if turn is None:
        return None
    expected = context.flow.version if context.flow else None
    replies = (Reply(text.from_number, turn.say, "flow"),) if turn.say else ()
    return InboundDecision(
        route=f"flow {turn.flow.name}" + (" (handed over)" if turn.handover else ""),
        explanation="; ".join(turn.decisions),
        emails=_recipients(text, routed, rules) if turn.handover else (),
        timezone=routed.timezone,
        replies=replies,
        webhook=routed.webhook,
        flow=FlowUpdate(state=turn.state, expected=expected),
        flow_turn=turn,
    )
