"""The console's QR codes: pick one of the bridge's reply numbers and a keyword, see the code
a poster or a till receipt can carry, and download it as PNG or SVG. A phone's camera opens
a text to that number with the keyword written in it (``bridge.links.qr``). Only the
bridge's own numbers (``[[numbers]]``) are offered or accepted: a code for someone else's
number would send customers' replies where the bridge never sees them."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from html import escape
from typing import Literal
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bridge.links.qr import Form, qr_image, sms_uri
from bridge.web.console_common import Pages, header
from bridge.web.guarded import guarded

__all__ = ["qr_routes"]

_MAX_KEYWORD = 160  # one GSM-7 segment: a keyword is a word, not a letter


def qr_routes(pages: Pages, *, numbers: Callable[[], list[str]]) -> list[Route]:
    """``GET /admin/qr`` (the form, and the code when ``number`` and ``keyword`` are given)
    and ``GET /admin/qr.png`` / ``/admin/qr.svg`` (the file itself, to download)."""

    async def page(request: Request) -> Response:
        asked = _asked(request)
        owned = numbers()
        problem = _problem(asked, owned) if asked["number"] or asked["keyword"] else ""
        shown = _code(asked) if asked["number"] and not problem else ""
        body = (
            f"{header(request, 'smsbridge admin: QR codes')}<main><section><h2>QR codes</h2>"
            f"{_form(asked, owned)}{_error(problem)}{shown}</section></main>"
        )
        return pages.render("QR codes: smsbridge admin", body, 400 if problem else 200)

    def download(kind: Literal["png", "svg"]) -> Callable[[Request], Awaitable[Response]]:
        async def file(request: Request) -> Response:
            asked = _asked(request)
            problem = _problem(asked, numbers())
            if problem:
                return Response(problem + "\n", status_code=400, media_type="text/plain")
            image = qr_image(
                sms_uri(asked["number"], asked["keyword"], form=_form_of(asked)), kind=kind
            )
            media = "image/png" if kind == "png" else "image/svg+xml"
            name = f"qr-{asked['keyword'][:20] or 'text'}.{kind}"
            disposition = f'attachment; filename="{_safe(name)}"'
            return Response(image, media_type=media, headers={"Content-Disposition": disposition})

        return file

    return [
        Route("/admin/qr", guarded(pages.guard, page), methods=["GET"]),
        Route("/admin/qr.png", guarded(pages.guard, download("png")), methods=["GET"]),
        Route("/admin/qr.svg", guarded(pages.guard, download("svg")), methods=["GET"]),
    ]


def _asked(request: Request) -> dict[str, str]:
    query = request.query_params
    return {
        "number": query.get("number", "").strip()[:32],
        "keyword": query.get("keyword", "").strip()[: _MAX_KEYWORD + 1],
        "form": query.get("form", "smsto"),
    }


def _form_of(asked: dict[str, str]) -> Form:
    return "sms" if asked["form"] == "sms" else "smsto"


def _problem(asked: dict[str, str], owned: list[str]) -> str:
    """Why no code can be made from what was asked, in words; "" when one can."""
    if asked["number"] not in owned:
        return (
            f"{asked['number'] or 'No number'} is not one of this bridge's numbers: choose one"
            " of [[numbers]], so that the customer's text reaches the bridge."
        )
    if not asked["keyword"]:
        return "Write the keyword the text should carry, for example JOIN."
    if len(asked["keyword"]) > _MAX_KEYWORD:
        return f"A keyword is at most {_MAX_KEYWORD} characters."
    return ""


def _form(asked: dict[str, str], owned: list[str]) -> str:
    if not owned:
        return '<p id="qr-none">No reply numbers: add [[numbers]] to the settings first.</p>'
    options = "".join(
        f"<option{' selected' if number == asked['number'] else ''}>{escape(number)}</option>"
        for number in owned
    )
    forms = "".join(
        f'<option value="{value}"{" selected" if value == asked["form"] else ""}>{label}</option>'
        for value, label in (("smsto", "SMSTO: (every phone)"), ("sms", "sms: (RFC 5724)"))
    )
    return (
        '<form id="qr-form" class="inline" method="get" action="/admin/qr">'
        f'<label>Reply number<select name="number">{options}</select></label>'
        f'<label>Keyword<input name="keyword" value="{escape(asked["keyword"])}"'
        ' placeholder="JOIN" required></label>'
        f'<label>Form<select name="form">{forms}</select></label>'
        "<button type=submit>Make the code</button></form>"
    )


def _error(problem: str) -> str:
    return f'<p class="error" id="qr-error">{escape(problem)}</p>' if problem else ""


def _code(asked: dict[str, str]) -> str:
    uri = sms_uri(asked["number"], asked["keyword"], form=_form_of(asked))
    png = base64.b64encode(qr_image(uri, kind="png", scale=6)).decode()
    query = escape(urlencode(asked))
    return (
        f'<figure id="qr-code"><img alt="{escape(uri)}" src="data:image/png;base64,{png}">'
        f"<figcaption><code>{escape(uri)}</code></figcaption></figure>"
        f'<p><a id="qr-png" href="/admin/qr.png?{query}">Download PNG</a> · '
        f'<a id="qr-svg" href="/admin/qr.svg?{query}">Download SVG</a></p>'
    )


def _safe(name: str) -> str:
    """A file name for Content-Disposition: letters, digits, dot, dash, underscore."""
    return "".join(c if c.isalnum() or c in ".-_" else "_" for c in name)
