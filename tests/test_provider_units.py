"""The providers' pure parts: settings validation, templates as data, signatures, answers."""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from bridge.errors import ConfigError, PermanentFailure, TemporaryFailure
from bridge.models import DeliveryReport, InboundSms, OutboundSms
from bridge.providers.base import WebhookSink
from bridge.providers.http import HttpProviderSettings
from bridge.providers.http.client import HttpProvider
from bridge.providers.http.templates import dig, render
from bridge.providers.registry import webhook_routes
from bridge.providers.vonage.signature import valid_vonage_signature, vonage_signature
from tests.conftest import ROOT, make_settings
from tests.support.vonage_api import documented_signature

SMS = OutboundSms(job_id="s1", to="+447700900123", sender="ACME", text="Hi {to} & bye")


def test_templates_fill_placeholders_and_evaluate_nothing() -> None:
    template = {
        "to": "{to_digits}",
        "msg": "{text}",
        "nested": [{"ref": "ref-{job_id}"}],
        "attr": "{text.__class__}",
        "fmt": "{text!r}",
        "n": 3,
    }
    values = {"to_digits": "447700900123", "text": "Hi {to}", "job_id": "s1"}
    assert render(template, values) == {
        "to": "447700900123",
        "msg": "Hi {to}",
        "nested": [{"ref": "ref-s1"}],
        "attr": "{text.__class__}",
        "fmt": "{text!r}",
        "n": 3,
    }
    assert dig({"a": [{"b": 7}]}, "a.0.b") == 7 and dig({"a": []}, "a.0.b") is None


def test_vonage_signature_matches_the_documented_steps() -> None:
    params = {
        "api_key": "abcd1234",
        "to": "447700900123",
        "text": "a&b=c",
        "timestamp": "1700000000",
    }
    for method in ("md5hash", "md5", "sha1", "sha256", "sha512"):
        sig = vonage_signature(params, "s3cret", method)
        assert sig == documented_signature(params, "s3cret", method)
        assert valid_vonage_signature({**params, "sig": sig.upper()}, "s3cret", method)
        assert not valid_vonage_signature({**params, "text": "x", "sig": sig}, "s3cret", method)


def _provider(answer: httpx.Response, **response: object) -> HttpProvider:
    settings = HttpProviderSettings.model_validate(
        {
            "type": "http",
            "url": "https://agg.example/send",
            "fields": {"to": "{to}", "t": "{text}"},
            "response": {
                "status_field": "status",
                "success_values": ["OK"],
                "error_field": "code",
                "message_id": "id",
                "permanent_errors": ["BAD_NUMBER"],
                **response,
            },
        }
    )
    return HttpProvider(
        settings,
        client=httpx.AsyncClient(transport=httpx.MockTransport(lambda request: answer)),
        name="agg",
    )


async def test_generic_answers_are_classified_by_the_settings() -> None:
    ok = await _provider(httpx.Response(200, json={"status": "OK", "id": 42})).send(SMS)
    assert ok.provider_message_id == "42"
    with pytest.raises(PermanentFailure) as permanent:
        await _provider(httpx.Response(200, json={"status": "ERR", "code": "BAD_NUMBER"})).send(SMS)
    assert permanent.value.code == "BAD_NUMBER"
    with pytest.raises(TemporaryFailure):  # not named permanent: retried, within the bound
        await _provider(httpx.Response(200, json={"status": "ERR", "code": "BUSY"})).send(SMS)
    with pytest.raises(TemporaryFailure) as busy:
        await _provider(httpx.Response(503, headers={"Retry-After": "7"})).send(SMS)
    assert busy.value.retry_after == 7.0 and not busy.value.maybe_sent
    with pytest.raises(PermanentFailure):
        await _provider(httpx.Response(422, json={})).send(SMS)
    text = _provider(
        httpx.Response(200, text="OK: 12345"), format="text", pattern=r"^OK: (?P<id>\d+)"
    )
    assert (await text.send(SMS)).provider_message_id == "12345"


async def test_hmac_webhooks_need_the_body_signed_with_the_secret() -> None:
    settings = HttpProviderSettings.model_validate(
        {
            "type": "http",
            "url": "https://agg.example/send",
            "fields": {"to": "{to}"},
            "webhook_auth": "hmac-sha256",
            "webhook_secret": "hook-secret",
            "inbound": {},
            "status": {},
        }
    )
    got: list[InboundSms] = []

    async def receive(sms: InboundSms) -> None:
        got.append(sms)

    async def report(r: DeliveryReport) -> bool:
        return True

    app = Starlette(
        routes=webhook_routes(
            {"agg": settings},
            WebhookSink(
                receive=receive,
                receive_part=_no_parts,
                report=report,
                clock=lambda: datetime.now(UTC),
                public_url=None,
                default_region="GB",
            ),
        )
    )
    body = json.dumps({"id": "m1", "from": "447700900123", "to": "447700900100", "text": "Hi"})
    signature = hmac.new(b"hook-secret", body.encode(), hashlib.sha256).hexdigest()
    url = "http://bridge.test/webhooks/agg/inbound"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as client:
        headers = {"content-type": "application/json"}
        assert (await client.post(url, content=body, headers=headers)).status_code == 403
        guess = hmac.new(b"guess", body.encode(), hashlib.sha256).hexdigest()
        forged = {**headers, "x-signature": guess}
        assert (await client.post(url, content=body, headers=forged)).status_code == 403
        signed = {**headers, "x-signature": signature}
        assert (await client.post(url, content=body, headers=signed)).status_code == 200
    assert [(s.from_number, s.to_number, s.text) for s in got] == [
        ("+447700900123", "+447700900100", "Hi")
    ]


@pytest.mark.parametrize(
    ("extra", "key", "words"),
    [
        (
            '[providers.v]\ntype = "vonage"\napi_key = "k"\n',
            "providers.v.api_secret_file",
            "SMSBRIDGE_PROVIDERS__V__API_SECRET",
        ),
        (
            '[providers.v]\ntype = "vonage"\napi_key = "k"\napi_secret = "inline"\n',
            "providers.v.api_secret",
            "SMSBRIDGE_PROVIDERS__V__API_SECRET",
        ),
        (
            '[providers.h]\ntype = "http"\nurl = "https://a.example"\nfields = { to = "{phone}" }\n',
            "providers.h",
            "unknown placeholder(s) phone",
        ),
        (
            '[providers.h]\ntype = "http"\nurl = "https://a.example"\nfields = { to = "{to}" }\n'
            "[providers.h.inbound]\n",
            "providers.h",
            "need webhook_secret",
        ),
        (
            '[providers.s]\ntype = "sandbox"\n[[provider_rules]]\nproviders = ["s", "t"]\n',
            "provider_rules.0.providers",
            "no provider is named t",
        ),
        (
            '[providers.s]\ntype = "sandbox"\n[[provider_rules]]\nproviders = ["s"]\ncountries = ["XX"]\n',
            "provider_rules.0.countries",
            "not a two-letter region",
        ),
        ('[providers.Big]\ntype = "sandbox"\n', "providers.Big", "lower-case letters"),
        (
            '[provider]\nname = "sandbox"\n[providers.s]\ntype = "sandbox"\n',
            "provider",
            "not both",
        ),
        ('[providers.x]\ntype = "carrier-pigeon"\n', "providers.x", "not a provider type"),
    ],
)
def test_provider_settings_errors_name_the_key_and_the_fix(
    tmp_path: Path, extra: str, key: str, words: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        make_settings(tmp_path, extra=extra)
    problems = dict(caught.value.problems)
    assert any(k.startswith(key) and words in m for k, m in problems.items()), problems


def test_the_documented_aggregator_example_is_valid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMSBRIDGE_PROVIDERS__LOCAL__AUTH__SECRET", "p")
    monkeypatch.setenv("SMSBRIDGE_PROVIDERS__LOCAL__WEBHOOK_SECRET", "w")
    example = (ROOT / "docs" / "examples" / "providers" / "aggregator.toml").read_text()
    settings = make_settings(tmp_path, extra=example)
    assert list(settings.providers) == ["local"]


def test_check_config_warns_about_webhooks_that_cannot_work(tmp_path: Path) -> None:
    config = tmp_path / "bridge.toml"
    config.write_text(
        '[smtp]\ndomains = ["sms.example.com"]\n[[numbers]]\nnumber = "+447700900100"\n'
        '[providers.vonage]\ntype = "vonage"\napi_key = "k"\n'
        '[providers.works]\ntype = "smsworks"\n'
    )
    env = {
        "SMSBRIDGE_PROVIDERS__VONAGE__API_SECRET": "s",
        "SMSBRIDGE_PROVIDERS__WORKS__JWT": "j",
        "PATH": "/usr/bin:/bin",
    }
    result = subprocess.run(
        [sys.executable, "-m", "bridge", "check-config", str(config)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "OK (providers vonage, works" in result.stdout
    assert "providers.vonage: warning: Vonage's webhooks will be refused" in result.stdout
    assert "bridge.toml:8: providers.works: warning: watch_seconds is 0" in result.stdout
    assert "bridge.public_url is not set, so works" in result.stdout


async def _no_parts(part: object) -> None:
    raise AssertionError("this provider sends no parts")
