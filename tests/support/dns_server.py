"""An authoritative DNS server on loopback for the tests: dnslib's, answering from a dict.

SPF, DKIM and DMARC are checked against what this server publishes, never the internet:
``with DnsServer({"example.com": [("TXT", "v=spf1 ip4:127.0.0.1 -all")]}) as dns`` and point
the bridge at ``127.0.0.1:dns.port``. Names it does not know are NXDOMAIN. TXT strings longer
than 255 bytes (a DKIM key) are split into several strings, as zone files do.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

from dnslib import QTYPE, RCODE, RR, TXT, A, DNSRecord
from dnslib.server import BaseResolver, DNSHandler, DNSLogger, DNSServer

from tests.conftest import free_port

__all__ = ["DnsServer", "Zone"]

Zone = dict[str, list[tuple[str, str]]]  # name -> [(type, value)]


class _ZoneResolver(BaseResolver):  # type: ignore[misc]
    def __init__(self, zone: Zone) -> None:
        self.zone = {name.lower().rstrip("."): records for name, records in zone.items()}

    def resolve(self, request: DNSRecord, handler: DNSHandler) -> DNSRecord:
        reply = request.reply()
        name = str(request.q.qname).lower().rstrip(".")
        qtype = QTYPE[request.q.qtype]
        records = self.zone.get(name)
        if records is None:
            reply.header.rcode = RCODE.NXDOMAIN
            return reply
        for kind, value in records:
            if kind == qtype == "TXT":
                data = value.encode()
                chunks = [data[i : i + 255] for i in range(0, len(data), 255)] or [b""]
                reply.add_answer(RR(request.q.qname, QTYPE.TXT, rdata=TXT(chunks), ttl=60))
            elif kind == qtype == "A":
                reply.add_answer(RR(request.q.qname, QTYPE.A, rdata=A(value), ttl=60))
        return reply


class DnsServer:
    """UDP and TCP on 127.0.0.1, one port, in background threads."""

    def __init__(self, zone: Zone) -> None:
        self.port = free_port()
        self.resolver = _ZoneResolver(zone)
        quiet = DNSLogger(log="-request,-reply,-truncated,-error,-recv,-send,-data", prefix=False)
        self._servers: list[Any] = [
            DNSServer(self.resolver, port=self.port, address="127.0.0.1", logger=quiet),
            DNSServer(self.resolver, port=self.port, address="127.0.0.1", logger=quiet, tcp=True),
        ]

    def publish(self, name: str, kind: str, value: str) -> None:
        self.resolver.zone.setdefault(name.lower().rstrip("."), []).append((kind, value))

    def __enter__(self) -> Self:
        for server in self._servers:
            server.start_thread()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for server in self._servers:
            server.stop()
