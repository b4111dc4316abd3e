"""``smsbridge api-tokens``: the tokens of systems that send texts over HTTP (docs/api.md).

``add`` prints the new token once; the store keeps only its SHA-256, so a lost token is
revoked and replaced, never shown again.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from bridge.cli.common import EXIT_FAILED, opened_store, read_settings
from bridge.clock import system_clock
from bridge.models import ApiToken
from bridge.settings.root import Settings
from bridge.web.send_api import new_token, token_digest

__all__ = ["add_token", "cmd_api_tokens_add", "cmd_api_tokens_list", "cmd_api_tokens_revoke"]


async def add_token(settings: Settings, *, name: str, author: str) -> str | None:
    """A new token for ``name``; None when ``name`` has one that was not revoked."""
    token = new_token()
    async with opened_store(settings) as store:
        added = await store.add_api_token(
            name, digest=token_digest(token), author=author.lower(), now=system_clock()
        )
    return token if added else None


async def _tokens(settings: Settings) -> list[ApiToken]:
    async with opened_store(settings) as store:
        return await store.api_tokens()


async def _revoke(settings: Settings, name: str) -> bool:
    async with opened_store(settings) as store:
        return await store.revoke_api_token(name, now=system_clock())


def cmd_api_tokens_add(args: argparse.Namespace) -> int:
    settings = read_settings(args.config)
    token = asyncio.run(add_token(settings, name=args.name, author=args.author or ""))
    if token is None:
        print(
            f"smsbridge: {args.name!r} has a token already; revoke it first"
            f" (smsbridge api-tokens revoke {args.name}) or choose another name.",
            file=sys.stderr,
        )
        return EXIT_FAILED
    print(token)
    print(
        "This token is shown once: give it to the system as Authorization: Bearer <token>.",
        file=sys.stderr,
    )
    return 0


def cmd_api_tokens_list(args: argparse.Namespace) -> int:
    tokens = asyncio.run(_tokens(read_settings(args.config)))
    for token in tokens:
        revoked = token.revoked_at.isoformat(timespec="seconds") if token.revoked_at else None
        if args.json:
            print(
                json.dumps(
                    {
                        "name": token.name,
                        "author": token.author,
                        "created_at": token.created_at.isoformat(timespec="seconds"),
                        "revoked_at": revoked,
                    }
                )
            )
        else:
            state = f"revoked {revoked}" if revoked else "active"
            print(f"{token.name}\t{token.author or '-'}\t{token.created_at:%Y-%m-%d}\t{state}")
    return 0


def cmd_api_tokens_revoke(args: argparse.Namespace) -> int:
    if not asyncio.run(_revoke(read_settings(args.config), args.name)):
        print(f"smsbridge: no active token is named {args.name!r}.", file=sys.stderr)
        return EXIT_FAILED
    print(f"Revoked {args.name}: the bridge refuses its token from now on.")
    return 0
