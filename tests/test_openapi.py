"""The bridge's HTTP endpoints against their OpenAPI description (docs/openapi.yaml), with
schemathesis generating the requests: valid and invalid bodies, missing fields, wrong methods.

Every answer must be one the description lists, with its content type and body shape, and
none may be a server error. Twilio requests are signed with the bridge's token, so generated
texts reach the store as well as the refusals; unsigned, forged and token-less requests are
checked too (``ignored_auth``: a documented security scheme must be enforced).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
import yaml  # schemathesis's own dependency
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    ignored_auth,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from bridge.providers.twilio.signature import twilio_signature
from tests.support.bridge_process import BridgeProcess
from tests.support.provider_helpers import TWILIO_TOKEN, WEBHOOK_ENV, WEBHOOK_PROVIDERS

DESCRIPTION = Path(__file__).parent.parent / "docs" / "openapi.yaml"
SCHEMA = schemathesis.openapi.from_path(DESCRIPTION)
PROVIDERS = (
    WEBHOOK_PROVIDERS
    + """
[providers.smsworks]
type = "smsworks"
base_url = "http://127.0.0.1:9"

[providers.aggregator]
type = "http"
url = "http://127.0.0.1:9/send"
body = "form"
[providers.aggregator.fields]
to = "{to_digits}"
message = "{text}"
[providers.aggregator.response]
message_id = "id"
[providers.aggregator.inbound]
[providers.aggregator.status]

[providers.sandbox]
type = "sandbox"

[[numbers]]
number = "+447700900100"
inbox = ["team@example.com"]

[admin]
enabled = true
"""
)
ENV = {
    **WEBHOOK_ENV,
    "SMSBRIDGE_PROVIDERS__SMSWORKS__JWT": "JWT openapi",
    "SMSBRIDGE_PROVIDERS__AGGREGATOR__WEBHOOK_SECRET": "aggregator-secret",
    "SMSBRIDGE_ADMIN__PASSWORD": "admin-password",
}


@pytest.fixture(scope="module")
def bridge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BridgeProcess]:
    running = BridgeProcess(
        tmp_path_factory.mktemp("openapi"), public=True, extra=PROVIDERS, env=ENV
    )
    with running:
        made = running.cli("api-tokens", "add", "openapi")
        assert made.returncode == 0, made.stderr
        running.api_token = made.stdout.strip()  # type: ignore[attr-defined]
        yield running


def _signed(case: Any, base_url: str, api_token: str = "") -> dict[str, str]:
    """Twilio's signature for the case's form, as Twilio computes it; the send endpoint's
    token (other paths: none)."""
    if case.path == "/api/v1/texts":
        return {"Authorization": f"Bearer {api_token}"}
    if not case.path.startswith("/webhooks/twilio/") or not isinstance(case.body, dict):
        return {}
    form = [(str(k), str(v)) for k, v in case.body.items()]
    return {"X-Twilio-Signature": twilio_signature(base_url + case.path, form, TWILIO_TOKEN)}


@SCHEMA.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_answer_is_one_the_description_lists(case: Any, bridge: BridgeProcess) -> None:
    headers = _signed(case, bridge.public_url, bridge.api_token)  # type: ignore[attr-defined]
    case.call_and_validate(
        base_url=bridge.public_url,
        headers=headers,
        timeout=10,
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_headers_conformance,
            response_schema_conformance,
            ignored_auth,
        ],
    )


def test_signed_texts_reached_the_store(bridge: BridgeProcess) -> None:
    """Runs after the generated requests: the signed Twilio ones were stored, not all refused."""
    stored = {row["provider"] for row in bridge.inbound()}
    assert "twilio" in stored, stored


def test_authenticated_texts_reached_the_store(bridge: BridgeProcess) -> None:
    """The send endpoint's generated requests carried the token: some became jobs."""
    assert any(job["message_id"].startswith("<api-") for job in bridge.jobs()), bridge.jobs()


def test_a_method_the_description_does_not_list_gets_405_with_allow(
    bridge: BridgeProcess,
) -> None:
    paths = yaml.safe_load(DESCRIPTION.read_text())["paths"]
    for path, operations in paths.items():
        listed = {method.upper() for method in operations}
        method = next(m for m in ("PUT", "DELETE", "PATCH") if m not in listed)
        answer = httpx.request(method, bridge.public_url + path, timeout=10)
        assert answer.status_code == 405, (path, method, answer.status_code)
        allowed = {m.strip() for m in answer.headers["Allow"].split(",")}
        assert listed <= allowed, (path, listed, allowed)
