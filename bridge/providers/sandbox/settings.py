"""``type = "sandbox"``: a provider that sends nothing, for trying the bridge and for tests."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from bridge.providers.base import ProviderSettings
from bridge.settings.section import LocalPath, Section

__all__ = ["SandboxFailRule", "SandboxSettings"]


class SandboxFailRule(Section):
    pattern: str = Field(description="A number pattern; * matches any digits, e.g. +447700900999.")
    kind: Literal["temporary", "permanent"] = "permanent"
    reason: str = "the sandbox was told to refuse this number"
    times: int | None = Field(
        default=None, ge=1, description="Temporary only: fail this many attempts, then succeed."
    )


class SandboxSettings(ProviderSettings):
    type: Literal["sandbox"] = "sandbox"
    fail: tuple[SandboxFailRule, ...] = ()
    journal: LocalPath | None = Field(
        default=None,
        description="Where sends are recorded; defaults to <data_dir>/sandbox/<name>.jsonl"
        " (sent.jsonl for the provider named sandbox).",
    )
    latency_seconds: float = Field(
        default=0.0,
        ge=0,
        le=60,
        description="Answer this long after recording, like a real provider.",
    )
