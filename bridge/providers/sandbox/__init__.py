"""The sandbox provider: records texts in a journal instead of sending them."""

from __future__ import annotations

from pathlib import Path

from bridge.providers.base import ProviderKind, Wiring
from bridge.providers.sandbox.client import SandboxProvider
from bridge.providers.sandbox.settings import SandboxSettings
from bridge.providers.sandbox.webhooks import sandbox_routes

__all__ = ["KIND", "SandboxProvider", "SandboxSettings", "journal_path"]


def journal_path(name: str, settings: SandboxSettings, data_dir: Path) -> Path:
    """Where a sandbox provider records sends: ``sandbox/sent.jsonl`` for the one named
    sandbox, ``sandbox/<name>.jsonl`` for others, unless ``journal`` says."""
    file = "sent.jsonl" if name == "sandbox" else f"{name}.jsonl"
    return settings.journal or data_dir / "sandbox" / file


def _build(settings: SandboxSettings, wiring: Wiring) -> SandboxProvider:
    journal = journal_path(wiring.name, settings, wiring.data_dir)
    return SandboxProvider(settings, journal=journal, name=wiring.name)


KIND = ProviderKind(name="sandbox", settings=SandboxSettings, build=_build, webhooks=sandbox_routes)
