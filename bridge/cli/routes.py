"""``smsbridge routes explain``: who would get a text, in the words the admin page uses
(both ask ``bridge.routing.explain``); ``routes check`` is ``checks.check_routes``."""

from __future__ import annotations

import argparse
import sys

from bridge.cli.common import EXIT_USAGE, read_settings
from bridge.errors import InvalidNumber
from bridge.routing.explain import explain_inbound

__all__ = ["cmd_routes_explain"]


def cmd_routes_explain(args: argparse.Namespace) -> int:
    settings = read_settings(args.config)
    try:
        print(explain_inbound(settings, sender=args.sender, to=args.to, text=args.text, at=args.at))
    except (InvalidNumber, ValueError) as exc:
        print(f"smsbridge: {getattr(exc, 'reason', exc)}", file=sys.stderr)
        return EXIT_USAGE
    return 0
