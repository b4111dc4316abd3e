"""The sandbox provider: records texts in a journal instead of sending them."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bridge.providers.base import ProviderKind, Wiring
from bridge.providers.sandbox.settings import SandboxSettings

if TYPE_CHECKING:
    from starlette.routing import BaseRoute

    from bridge.providers.base import WebhookSink
    from bridge.providers.sandbox.client import SandboxProvider

__all__ = ["KIND", "SandboxSettings", "journal_path"]


def journal_path(name: str, settings: SandboxSettings, data_dir: Path) -> Path:
    """Where a sandbox provider records sends: ``sandbox/sent.jsonl`` for the one named
    sandbox, ``sandbox/<name>.jsonl`` for others, unless ``journal`` says."""
    file = "sent.jsonl" if name == "sandbox" else f"{name}.jsonl"
    return settings.journal or data_dir / "sandbox" / file


def _build(settings: SandboxSettings, wiring: Wiring) -> SandboxProvider:
    from bridge.providers.sandbox.client import (
        SandboxProvider,  # only when configured, as the others
    )

    journal = journal_path(wiring.name, settings, wiring.data_dir)
    return SandboxProvider(settings, journal=journal, name=wiring.name)


def _routes(name: str, settings: SandboxSettings, sink: WebhookSink) -> Sequence[BaseRoute]:
    from bridge.providers.sandbox.webhooks import sandbox_routes  # only when configured

    return sandbox_routes(name, settings, sink)


KIND = ProviderKind(name="sandbox", settings=SandboxSettings, build=_build, webhooks=_routes)
