"""What aioimaplib lacks for hosted mail: STARTTLS on port 143 and AUTHENTICATE PLAIN.

Both use the library's own command machinery (``IMAP4ClientProtocol.execute``); STARTTLS then
upgrades the same transport in place with ``loop.start_tls`` and asks for the capabilities
again, since a server may offer more (or different login methods) once the channel is
encrypted. Kept apart so that the mailbox watcher reads as IMAP, not as library workarounds.
"""

from __future__ import annotations

import asyncio
import base64
import ssl

import aioimaplib
from aioimaplib.aioimaplib import AUTH, Command

__all__ = ["authenticate_plain", "starttls"]


async def starttls(client: aioimaplib.IMAP4, *, host: str, context: ssl.SSLContext) -> None:
    protocol = client.protocol
    response = await protocol.execute(Command("STARTTLS", protocol.new_tag(), loop=protocol.loop))
    if response.result != "OK":
        raise RuntimeError("the server refused STARTTLS")
    loop = asyncio.get_running_loop()
    secured = await loop.start_tls(protocol.transport, protocol, context, server_hostname=host)
    if secured is None:
        raise RuntimeError("the TLS upgrade failed")
    protocol.transport = secured
    await protocol.capability()


async def authenticate_plain(
    client: aioimaplib.IMAP4, user: str, password: str
) -> aioimaplib.Response:
    """AUTHENTICATE PLAIN with the initial response (SASL-IR, RFC 4959)."""
    protocol = client.protocol
    token = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
    command = Command("AUTHENTICATE", protocol.new_tag(), "PLAIN", token, loop=protocol.loop)
    response = await protocol.execute(command, scrub=token)
    if response.result == "OK":
        protocol.state = AUTH
    return response
