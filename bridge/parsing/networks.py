"""Whether a client's address lies in a list of networks (``smtp.trusted_networks``).

Parsed once, asked for every connection and every MAIL FROM. An IPv4 client seen through an
IPv6 socket (``::ffff:192.0.2.1``) is its IPv4 address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

__all__ = ["Networks"]


class Networks:
    def __init__(self, networks: Iterable[str]) -> None:
        self._networks = [ipaddress.ip_network(net, strict=False) for net in networks]

    def __contains__(self, host: object) -> bool:
        """True if ``host`` (an IP address as text) is in one of the networks."""
        if not isinstance(host, str):
            return False
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        return any(ip in net for net in self._networks)
