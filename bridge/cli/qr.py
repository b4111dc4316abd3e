"""``smsbridge qr``: a QR code that opens a text to a reply number with a keyword written in.

PNG or SVG (``--svg``, or a file name ending ``.svg``), of the ``SMSTO:`` URI by default or
the RFC 5724 ``sms:`` one (``--form sms``); docs/links.md says which phones read which.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bridge.cli.where import UsageError
from bridge.errors import InvalidNumber
from bridge.links.qr import qr_image, sms_uri
from bridge.parsing.numbers import parse_number

__all__ = ["cmd_qr"]


def cmd_qr(args: argparse.Namespace) -> int:
    number = _number(args)
    uri = sms_uri(number, args.text, form=args.form)
    svg = args.svg or str(args.output).lower().endswith(".svg")
    image = qr_image(uri, kind="svg" if svg else "png", scale=args.scale)
    if args.output == "-":
        sys.stdout.buffer.write(image)
    else:
        Path(args.output).write_bytes(image)
        print(f"{args.output}: {'SVG' if svg else 'PNG'} of {uri}", file=sys.stderr)
    return 0


def _number(args: argparse.Namespace) -> str:
    """The number as E.164; a national form is read in ``--region``."""
    try:
        return parse_number(args.to, default_region=args.region)
    except InvalidNumber as exc:
        raise UsageError(f"--to: {exc.reason}") from None
