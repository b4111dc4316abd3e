"""Logging in to the admin console as a browser does: the login form first (its CSRF token
and the nonce cookie it is bound to), then the password; and the CSRF token of a page's
forms, for the POSTs that follow."""

from __future__ import annotations

import re

import httpx

__all__ = ["alogin", "csrf_of", "login"]

_TOKEN = re.compile(r'name="csrf" value="([^"]*)"')


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = _TOKEN.search(html)
    assert found is not None, "no form with a CSRF token on the page"
    return found.group(1)


def login(client: httpx.Client, password: str, *, name: str = "", base: str = "") -> httpx.Response:
    form = client.get(base + "/admin").text
    fields = {"csrf": csrf_of(form), "password": password, "name": name}
    return client.post(base + "/admin/login", data=fields)


async def alogin(client: httpx.AsyncClient, password: str, *, name: str = "") -> httpx.Response:
    form = (await client.get("/admin")).text
    fields = {"csrf": csrf_of(form), "password": password, "name": name}
    return await client.post("/admin/login", data=fields)
