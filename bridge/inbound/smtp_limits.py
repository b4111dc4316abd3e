"""How many SMTP connections the listener holds, per client and in all.

Nothing used to cap them: one untrusted host holding about a thousand idle connections ran
the process out of file descriptors, and the trusted mail server and /healthz were locked
out. So, as Postfix does:

- a client outside ``smtp.trusted_networks`` holds at most ``max_connections_per_client``
  at once (Postfix's ``smtpd_client_connection_count_limit``, 50); the trusted networks are
  exempt, as Postfix's ``mynetworks`` are by default;
- all clients together hold at most ``max_connections``, of which ``trusted_reserve`` are
  kept for trusted clients: untrusted ones never get the last of them, so the mail server is
  served even while strangers hold all they may.

A connection over a limit is answered ``421 4.7.0`` with a sentence and closed; it is never
counted. Idle clients are closed by the protocol's timeouts (``smtp_protocol.py``).
"""

from __future__ import annotations

import logging
import resource

from bridge.parsing.networks import Networks

__all__ = ["ConnectionLimits", "raise_file_limit"]

log = logging.getLogger(__name__)
_SPARE_FILES = 200  # the store, the HTTP server, providers' and the smarthost's sockets


class ConnectionLimits:
    """Counts connections; one instance per listener, used from its event loop only."""

    def __init__(
        self, *, total: int, per_client: int, trusted_reserve: int, trusted: Networks
    ) -> None:
        self._total = total
        self._per_client = per_client
        self._untrusted_share = total - trusted_reserve
        self._trusted = trusted
        self._open = 0
        self._untrusted: dict[str, int] = {}  # host -> its open connections
        self._untrusted_open = 0

    def admit(self, host: str) -> str | None:
        """Count a new connection from ``host``; or the reason it is refused (not counted)."""
        if self._open >= self._total:
            return "Too many connections to this bridge just now; please try again later."
        if host not in self._trusted:
            refusal = self._untrusted_refusal(host)
            if refusal is not None:
                return refusal
            self._untrusted[host] = self._untrusted.get(host, 0) + 1
            self._untrusted_open += 1
        self._open += 1
        return None

    def _untrusted_refusal(self, host: str) -> str | None:
        if self._untrusted_open >= self._untrusted_share:
            return "Too many connections to this bridge just now; please try again later."
        if self._untrusted.get(host, 0) >= self._per_client:
            return (
                f"Too many connections from {host} ({self._per_client} at once); close one"
                " before opening another."
            )
        return None

    def release(self, host: str) -> None:
        """A connection ``admit`` counted has closed."""
        self._open -= 1
        count = self._untrusted.get(host)
        if count is None:
            return
        self._untrusted_open -= 1
        if count > 1:
            self._untrusted[host] = count - 1
        else:
            del self._untrusted[host]


def raise_file_limit(connections: int) -> None:
    """Raise the soft limit on open files towards what ``connections`` need (the hard limit
    allowing), and warn when even that is too low: an ``accept`` that fails for want of a file
    descriptor stalls the whole listener, not just the stranger's connection."""
    needed = connections + _SPARE_FILES
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        ceiling = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        if ceiling > soft:
            resource.setrlimit(resource.RLIMIT_NOFILE, (ceiling, hard))
            soft = ceiling
    if soft != resource.RLIM_INFINITY and soft < needed:
        log.warning(
            "the process may open only %d files, and smtp.max_connections = %d needs about %d:"
            " raise the limit (LimitNOFILE=65536 in the systemd unit) or lower max_connections",
            soft,
            connections,
            needed,
        )
