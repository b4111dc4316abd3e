"""Opt-outs across the organisation, keywords per language, the consent ledger, marketing
consent and opt-in campaigns: the inbound worker and the outbound chain against a real store
(both backends), and the settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bridge.chain.chain import build_chain
from bridge.chain.facts import StoreFacts
from bridge.chain.request import OutboundRequest, Source
from bridge.chain.rule import Stage
from bridge.errors import ConfigError
from bridge.models import ORGANISATION, ConsentEvent, Contact, InboundSms
from bridge.routing.explain import explain_inbound
from bridge.store.base import Store
from tests.conftest import make_settings
from tests.support.workers import inbound_dispatcher

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
A, B, SHORT = "+447700900100", "+447700900200", "60777"
CUSTOMER = "+447700900123"
ALL = frozenset(Stage)
NUMBERS = f"""
[[numbers]]
number = "{A}"
inbox = ["team@example.com"]
[[numbers]]
number = "{B}"
inbox = ["team@example.com"]
[[numbers]]
number = "{SHORT}"
country = "GB"
inbox = ["offers@example.com"]
[inbound.keywords.fr]
stop = ["ARRET", "ARRÊT"]
start = ["REPRENDRE"]
stop_reply = "Vous ne recevrez plus de SMS. Répondez REPRENDRE pour les recevoir."
[[campaigns]]
keyword = "JOIN"
numbers = ["{SHORT}", "{A}"]
confirm = "ExampleCo offers: reply YES to confirm. Reply STOP to stop."
welcome = "ExampleCo offers: up to 4 texts a month. Reply STOP to stop."
window_minutes = 60
"""


def _settings(tmp_path: Path, scope: str = "organisation", consent: bool = False) -> object:
    extra = NUMBERS + (
        f'[compliance]\nopt_out_scope = "{scope}"\n'
        f"marketing_requires_consent = {str(consent).lower()}\n"
    )
    return make_settings(tmp_path, extra=extra, senders={"default": "ExampleCo"})


_ids = iter(range(10**6))


async def text(store: Store, settings: object, body: str, *, to: str, at: datetime = T0) -> list:
    """The customer texts ``body`` to ``to``: routed by the worker; what it texted back."""
    await store.receive_sms(
        InboundSms(
            provider="sandbox",
            provider_message_id=f"SM{next(_ids)}",
            from_number=CUSTOMER,
            to_number=to,
            text=body,
            received_at=at,
        ),
        now=at,
    )
    [job] = await store.claim_inbound(now=at, limit=1, lease_seconds=60, owner="t")
    await inbound_dispatcher(store, settings, clock=lambda: at).handle(job)  # type: ignore[arg-type]
    sent = await store.claim_sms(now=at, limit=10, lease_seconds=86400, owner="t")
    return [(t.sender, t.text) for t in sent]


async def _send(store: Store, settings: object, sender: str, **fields: object):  # type: ignore[no-untyped-def]
    chain = build_chain(settings)  # type: ignore[arg-type]
    scope = settings.compliance.opt_out_scope  # type: ignore[attr-defined]
    facts = StoreFacts(store, opt_out_scope=scope)
    request = OutboundRequest(
        source=Source.CLI,
        author="rep@example.com",
        to_number=CUSTOMER,
        text="Our offer",
        sender=sender,
        **fields,  # type: ignore[arg-type]
    )
    return await chain.run(request, facts=facts, at=T0 + timedelta(minutes=5), stages=ALL)


async def test_stop_to_one_number_stops_every_sender_of_the_organisation(
    store: Store, tmp_path: Path
) -> None:
    settings = _settings(tmp_path)
    [(sender, _)] = await text(store, settings, "Stop!", to=A)
    assert sender == A  # the confirmation still goes
    for other in (B, "ExampleCo"):
        refused = (await _send(store, settings, other)).refusal
        assert refused is not None
        assert f"replied STOP to {A} on 2026-12-02 09:00 UTC" in refused.reason
        assert f"{other} included" in refused.reason and f"texting START to {A}" in refused.reason
    await text(store, settings, "start", to=B, at=T0 + timedelta(minutes=1))  # any number
    assert (await _send(store, settings, "ExampleCo")).accepted


async def test_with_the_numbers_scope_stop_is_per_number(store: Store, tmp_path: Path) -> None:
    settings = _settings(tmp_path, scope="number")
    await text(store, settings, "STOP", to=A)
    refused = (await _send(store, settings, A)).refusal
    assert refused is not None and f"texting START to {A}" in refused.reason
    assert (await _send(store, settings, B)).accepted
    assert (await _send(store, settings, "ExampleCo")).accepted
    # START to B means nothing to a customer who never stopped B: an ordinary reply
    await text(store, settings, "START", to=B, at=T0 + timedelta(minutes=1))
    assert (await _send(store, settings, A)).refusal is not None


async def test_a_french_stop_word_gets_the_french_answer(store: Store, tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    await store.save_contacts([Contact(number=CUSTOMER, language="fr-FR")], now=T0)
    [(_, reply)] = await text(store, settings, "Arrêt", to=A)
    assert reply.startswith("Vous ne recevrez plus")
    # START's answer is not translated: the default one
    [(_, reply)] = await text(store, settings, "reprendre", to=A, at=T0 + timedelta(minutes=1))
    assert reply.startswith("You will receive texts")


async def test_stop_and_start_are_recorded_with_their_evidence(
    store: Store, tmp_path: Path
) -> None:
    settings = _settings(tmp_path)
    await text(store, settings, "STOP", to=A)
    await text(store, settings, "Start", to=B, at=T0 + timedelta(minutes=1))
    start, stop = await store.consent_events(number=CUSTOMER)
    assert (stop.action, stop.scope, stop.how, stop.by) == (
        "opt-out",
        ORGANISATION,
        "keyword",
        "customer",
    )
    assert stop.at == T0 and stop.evidence.startswith("inbound text i") and A in stop.evidence
    assert (start.action, start.at) == ("opt-in", T0 + timedelta(minutes=1))
    assert B in start.evidence and "'Start'" in start.reason
    assert await store.suppression(customer=CUSTOMER, reply_number=None) is None


async def test_marketing_needs_a_recorded_opt_in(store: Store, tmp_path: Path) -> None:
    settings = _settings(tmp_path, consent=True)
    marketing = {"tags": frozenset({"marketing"})}
    refused = (await _send(store, settings, "ExampleCo", **marketing)).refusal
    assert refused is not None and "has no recorded opt-in" in refused.reason
    assert (await _send(store, settings, "ExampleCo")).accepted  # transactional passes
    staff = ConsentEvent(
        customer=CUSTOMER, action="opt-in", scope=ORGANISATION, at=T0, how="staff", by="x@y.com"
    )
    await store.record_consent([staff], suppress=True)
    assert (await _send(store, settings, "ExampleCo", **marketing)).refusal is not None
    imported = ConsentEvent(
        customer=CUSTOMER,
        action="opt-in",
        scope=ORGANISATION,
        at=T0 + timedelta(seconds=1),
        how="import",
        evidence="old.csv line 2",
        by="admin@example.com",
    )
    await store.record_consent([imported], suppress=True)
    assert (await _send(store, settings, "ExampleCo", **marketing)).accepted


async def test_join_then_yes_opts_in_and_counts_for_the_campaign(
    store: Store, tmp_path: Path
) -> None:
    settings = _settings(tmp_path)
    [(sender, asked)] = await text(store, settings, "join", to=SHORT)
    assert sender == SHORT and "reply YES to confirm" in asked
    assert await store.consent_events(number=CUSTOMER) == []  # asking is not consent
    [(_, welcome)] = await text(store, settings, "Yes", to=SHORT, at=T0 + timedelta(minutes=9))
    assert welcome.startswith("ExampleCo offers: up to 4")
    [event] = await store.consent_events(number=CUSTOMER)
    assert (event.how, event.campaign, event.action) == ("double opt-in", "join", "opt-in")
    counts = await store.campaign_opt_ins(start=T0, end=T0 + timedelta(days=1))
    assert counts == {"join": {"double opt-in": 1}}
    # a second YES is an ordinary reply: the question was answered
    assert await text(store, settings, "YES", to=SHORT, at=T0 + timedelta(minutes=10)) == []


async def test_a_late_yes_is_only_a_reply(store: Store, tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    await text(store, settings, "JOIN", to=A)
    assert await text(store, settings, "yes", to=A, at=T0 + timedelta(minutes=61)) == []
    assert await store.consent_events(number=CUSTOMER) == []
    [record] = await store.recent_inbound(limit=1)
    assert record.mailed_to == ("team@example.com",)


async def test_a_stopped_customers_yes_is_start_and_answers_the_campaign(
    store: Store, tmp_path: Path
) -> None:
    settings = _settings(tmp_path)
    await text(store, settings, "STOP", to=A)
    await text(store, settings, "JOIN", to=A, at=T0 + timedelta(minutes=1))
    [(_, welcome)] = await text(store, settings, "YES", to=A, at=T0 + timedelta(minutes=2))
    assert "up to 4 texts" in welcome
    assert await store.suppression(customer=CUSTOMER, reply_number=None) is None
    latest = await store.latest_consent(customer=CUSTOMER, sender="ExampleCo")
    assert latest is not None and latest.how == "double opt-in"


async def test_the_ledger_and_the_list_change_together(store: Store) -> None:
    """An import's opt-out stops every sender with either scope; an admin's opt-in undoes it."""
    out = ConsentEvent(
        customer=CUSTOMER, action="opt-out", scope=ORGANISATION, at=T0, how="import", by="a@b.co"
    )
    assert await store.record_consent([out], suppress=True) == 1
    found = await store.suppression(customer=CUSTOMER, reply_number=A)
    assert found is not None and found.reply_number == ORGANISATION and found.since == T0
    back = ConsentEvent(
        customer=CUSTOMER,
        action="opt-in",
        scope=ORGANISATION,
        at=T0 + timedelta(hours=1),
        how="admin",
        by="a@b.co",
        reason="written request",
    )
    await store.record_consent([back], suppress=True)
    assert await store.suppression(customer=CUSTOMER, reply_number=None) is None
    latest = await store.latest_consent(customer=CUSTOMER, sender=A)
    assert latest is not None and latest.reason == "written request"
    assert [e.action for e in await store.consent_events()] == ["opt-in", "opt-out"]


async def test_a_keyword_to_a_short_code_is_handled(store: Store, tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    [(sender, _)] = await text(store, settings, "STOP", to=SHORT)
    assert sender == SHORT
    refused = (await _send(store, settings, A)).refusal
    assert refused is not None and f"replied STOP to {SHORT}" in refused.reason


def test_a_short_code_needs_its_country(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    [short] = [n for n in settings.numbers if n.number == SHORT]  # type: ignore[attr-defined]
    assert short.region == "GB"
    for number, fault in (("60777", "short code: say its country"), ("+44", "E.164")):
        with pytest.raises(ConfigError) as info:
            make_settings(tmp_path, extra=f'[[numbers]]\nnumber = "{number}"\n')
        assert fault in info.value.report()


@pytest.mark.parametrize(
    ("campaign", "fault"),
    [
        ('keyword = "JOIN"\nwelcome = "Offers from us."', "how to stop"),
        ('keyword = "JOIN"\nconfirm = "Confirm?"\nwelcome = "Reply STOP."', "say what to answer"),
        ('keyword = "STOP"\nwelcome = "Reply STOP to stop."', "already STOP"),
        ('keyword = "JOIN"\nnumbers = ["+447700900999"]\nwelcome = "STOP"', "not one of"),
    ],
)
def test_a_campaign_is_checked(tmp_path: Path, campaign: str, fault: str) -> None:
    extra = f'[[numbers]]\nnumber = "{A}"\n[[campaigns]]\n{campaign}\n'
    with pytest.raises(ConfigError) as info:
        make_settings(tmp_path, extra=extra)
    assert fault in info.value.report()


def test_routes_explain_names_a_campaign_keyword(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    said = explain_inbound(settings, sender=CUSTOMER, to=SHORT, text="Join!", at=None)  # type: ignore[arg-type]
    assert "opt-in campaign JOIN: asked to confirm" in said and "never reaches an inbox" in said
