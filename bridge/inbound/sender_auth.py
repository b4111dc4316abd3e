"""Is an email really from the domain it says? SPF, DKIM, ARC and DMARC, with ``[smtp.sender_auth]``.

An allowed sender (``smtp.allowed_senders``) that did not log in must have a DMARC pass for
the author's domain: SPF or DKIM passed for a domain aligned with the From header's, and the
From header's domain is the author's (the envelope sender's, which the allow-list matched).
Anything else is refused with a sentence that names what failed. The checks are made by
maintained libraries: pyspf (SPF, RFC 7208), dkimpy (DKIM and ARC, RFC 6376 and 8617) and
authheaders, which joins them into DMARC (RFC 7489) and writes the ``Authentication-Results``
header (RFC 8601) that the bridge adds to the email it hands on and keeps in the store by
the email's Message-ID (``sender_checks``; the texts' jobs carry the same Message-ID). They
are synchronous and ask DNS, so a check runs in a worker thread.

All three libraries ask dnspython's default resolver; ``use_resolvers`` points it at the
resolvers the settings name (the tests' server on loopback), once, when the bridge starts.
They are imported only then (a tenth of the start-up time, wasted when the checks are off).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from email import policy
from email.parser import BytesHeaderParser

from bridge.clock import Clock
from bridge.settings.smtp import SenderAuthSettings, SmtpSettings
from bridge.store.base import Store

__all__ = ["SenderAuth", "SenderCheck", "sender_auth", "use_resolvers"]

log = logging.getLogger(__name__)


def use_resolvers(settings: SenderAuthSettings) -> None:
    """Make dnspython (and so pyspf, dkimpy and authheaders) ask ``settings.nameservers``."""
    import dns.resolver

    resolver = dns.resolver.Resolver(configure=not settings.nameservers)
    if settings.nameservers:
        resolver.nameservers = list(settings.nameservers)
        resolver.port = settings.dns_port
    resolver.lifetime = settings.timeout_seconds
    dns.resolver.default_resolver = resolver


def sender_auth(settings: SmtpSettings, *, store: Store, clock: Clock) -> SenderAuth | None:
    """The checker ``[smtp.sender_auth]`` asks for (its resolvers set up), or None when off."""
    if not settings.sender_auth.enabled:
        return None
    use_resolvers(settings.sender_auth)
    return SenderAuth(settings.sender_auth, authserv_id=settings.hostname, store=store, clock=clock)


@dataclass(frozen=True, slots=True)
class SenderCheck:
    """The outcome: ``header`` is the Authentication-Results line (without its CRLF);
    ``refusal`` the SMTP reply when the author's domain was not confirmed, else None."""

    header: str
    refusal: str | None


class SenderAuth:
    """Check an email and keep the result in the store (``sender_checks``, by Message-ID)
    before the bridge answers, whatever the answer."""

    def __init__(
        self, settings: SenderAuthSettings, *, authserv_id: str, store: Store, clock: Clock
    ) -> None:
        self._settings = settings
        self._authserv_id = authserv_id
        self._store = store
        self._clock = clock

    async def check(
        self, content: bytes, *, ip: str, helo: str, mail_from: str, author: str
    ) -> SenderCheck:
        checked = await asyncio.to_thread(
            self._check, content, ip=ip, helo=helo, mail_from=mail_from, author=author
        )
        await self._store.add_sender_check(
            _message_id(content),
            author=author,
            results=checked.header,
            refused=checked.refusal is not None,
            now=self._clock(),
        )
        return checked

    def _check(
        self, content: bytes, *, ip: str, helo: str, mail_from: str, author: str
    ) -> SenderCheck:
        import authheaders

        spf = _spf(ip, mail_from, helo, timeout=self._settings.timeout_seconds)
        signed = b"\ndkim-signature:" in b"\n" + content.lower().split(b"\r\n\r\n", 1)[0]
        dkim = (
            authheaders.check_dkim(content)
            if signed
            else authheaders.DKIMAuthenticationResult(result="none")
        )
        arc = authheaders.check_arc(content)
        dmarc = authheaders.check_dmarc(content, spf, dkim)
        results = [spf, dkim, arc, dmarc]
        header = str(
            authheaders.AuthenticationResultsHeader(authserv_id=self._authserv_id, results=results)
        )
        refusal = _refusal(author, spf=getattr(spf, "result", None), dkim=dkim, dmarc=dmarc)
        return SenderCheck(header=" ".join(header.split()), refusal=refusal)


def _spf(ip: str, mail_from: str, helo: str, *, timeout: float) -> object:
    """pyspf's answer as authheaders records it (authheaders' own ``check_spf`` gives pyspf
    no time limit of ours: 20 s a lookup)."""
    import authheaders
    import spf

    result, reason = spf.check2(ip, mail_from, helo, timeout=timeout, querytime=timeout)
    return authheaders.SPFAuthenticationResult(
        result=result, reason=reason, smtp_mailfrom=mail_from, smtp_helo=helo
    )


def _message_id(content: bytes) -> str:
    headers = BytesHeaderParser(policy=policy.default).parsebytes(content)
    return str(headers.get("Message-ID", "")).strip()


def _domain(address: str) -> str:
    return address.rpartition("@")[2].strip().strip(">").lower()


def _refusal(author: str, *, spf: str | None, dkim: object, dmarc: object) -> str | None:
    domain = _domain(author)
    result = getattr(dmarc, "result", None) or "none"
    header_from = (getattr(dmarc, "header_from", None) or "").lower()
    dkim_result = getattr(dkim, "result", None) or "none"
    dkim_domain = getattr(dkim, "header_d", None) or ""
    said = (
        f"SPF {spf or 'none'}"
        + f", DKIM {dkim_result}"
        + (f" for {dkim_domain}" if dkim_domain else "")
    )
    aligned = bool(header_from) and _aligned(header_from, domain)
    if result == "pass" and aligned:
        return None
    if header_from and not aligned:
        why = f"its From header is at {header_from}, not {domain}"
    elif result == "none":
        why = f"{domain} publishes no DMARC policy ({said})"
    else:
        why = f"DMARC {result} for {domain} ({said})"
    return (
        f"550 5.7.1 The bridge could not confirm that this email came from {domain}: {why}."
        " Send it through your organisation's mail server, or log in with SMTP AUTH."
    )


def _aligned(header_from: str, domain: str) -> bool:
    from authheaders.dmarc_lookup import get_org_domain

    return header_from == domain or get_org_domain(header_from) == get_org_domain(domain)
