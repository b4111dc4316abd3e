"""One error hierarchy for the whole bridge.

Foreign errors (httpx, aiosmtplib, sqlite3, provider JSON) are translated once, at the boundary
where they happen, into one of these. Callers then decide on exactly two questions: retry later
(``TemporaryFailure``) or give up and tell the author (``PermanentFailure``).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "BridgeError",
    "ConfigError",
    "DeliveryFailure",
    "Finding",
    "InvalidNumber",
    "OutcomeUnknown",
    "PermanentFailure",
    "Refused",
    "TemporaryFailure",
    "by_line",
]


class BridgeError(Exception):
    """Base of every error the bridge raises on purpose."""


class DeliveryFailure(BridgeError):
    """A provider or mail transport did not take a message.

    ``reason`` is a sentence for a person (it ends up in the author's failure notice), ``code``
    the provider's own error code when there is one, for logs and the outbox.
    """

    def __init__(self, reason: str, *, code: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


class TemporaryFailure(DeliveryFailure):
    """Worth trying again later; ``retry_after`` (seconds) is the peer's own hint, if it gave one.

    ``maybe_sent`` is true when the request may have reached the provider and been acted on
    (the connection broke or timed out after it was sent). Such a job must not be handed to
    another provider, nor sent again blindly: the provider that may have it is asked first.
    """

    def __init__(
        self,
        reason: str,
        *,
        code: str | None = None,
        retry_after: float | None = None,
        maybe_sent: bool = False,
    ) -> None:
        super().__init__(reason, code=code)
        self.retry_after = retry_after
        self.maybe_sent = maybe_sent


class PermanentFailure(DeliveryFailure):
    """Trying again cannot help: the job is finished as failed and the author is told.

    ``opted_out`` is true when the provider refused because the customer opted out with the
    provider itself (Twilio's 21610): the bridge then records the opt-out as well.
    """

    def __init__(self, reason: str, *, code: str | None = None, opted_out: bool = False) -> None:
        super().__init__(reason, code=code)
        self.opted_out = opted_out


class OutcomeUnknown(BridgeError):
    """The provider cannot say whether an earlier, interrupted send of a job reached it.

    The bridge then never sends the job again (a person must not get a text twice); it fails
    the job with this reason and tells the author to check.
    """


class InvalidNumber(BridgeError):
    """An address's local part is not a phone number we can text; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Finding:
    """One fault of a settings file, or with ``warning`` one risk: the key path as the file
    writes it, what to do about it, and the line it is on when the key is in the file."""

    key: str
    message: str
    line: int | None = None
    warning: bool = False

    def render(self, source: str) -> str:
        """``file:LINE: key.path: message``, as compilers print, so editors jump to it."""
        where = f"{source}:{self.line}" if self.line else source
        return f"{where}: {self.key}: {'warning: ' if self.warning else ''}{self.message}"

    def as_dict(self, source: str) -> dict[str, object]:
        return {
            "file": source,
            "line": self.line,
            "key": self.key,
            "severity": "warning" if self.warning else "error",
            "message": self.message,
        }


def by_line(findings: list[Finding]) -> list[Finding]:
    """In the file's order (those without a line first), so a file is fixed top to bottom."""
    return sorted(findings, key=lambda f: (f.line or 0, f.warning, f.key))


class ConfigError(BridgeError):
    """The settings file is invalid; ``findings`` holds every fault found, with its line."""

    def __init__(self, source: str, findings: list[Finding]) -> None:
        super().__init__(f"{source}: {len(findings)} problem(s)")
        self.source = source
        self.findings = by_line(findings)

    @property
    def problems(self) -> list[tuple[str, str]]:
        """``(key path, message)`` for each fault, in the file's order."""
        return [(f.key, f.message) for f in self.findings]

    def report(self) -> str:
        """The report printed by ``check-config``, ``routes check`` and ``run`` (and on reload):
        its faults and any warnings that come with them, in the file's order."""
        faults = sum(not finding.warning for finding in self.findings)
        lines = [f"{self.source}: {faults} problem(s)"]
        lines += [finding.render(self.source) for finding in self.findings]
        return "\n".join(lines)


class Refused(BridgeError):
    """What was asked will not be done. ``code`` and ``status`` are SMTP's (an HTTP or CLI edge
    maps them); ``reason`` is the sentence the person who asked reads."""

    def __init__(self, code: int, status: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.status = status
        self.reason = reason

    def smtp_reply(self) -> str:
        return f"{self.code} {self.status} {self.reason}"
