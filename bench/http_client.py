"""The HTTP client's own ceiling: requests/s with nothing else to do, against dispatch's emulator.

``bench/dispatch.py`` measures the bridge sending through its HTTP provider. This measures
only the client the providers use (httpx), with the same emulator, form body and JSON answer
and 8 concurrent tasks (the dispatch benchmark's 8 workers): no store, no queue, no bridge.
The bridge cannot send faster than this. Three clients: httpx on its default transport
(httpcore), httpx on the bridge's ``KeepAliveTransport`` (what the providers use), and, if
it is installed (it is not a dependency), aiohttp, for comparison.

    .venv/bin/python bench/http_client.py [--requests 20000] [--tasks 8]
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from harness import free_port, wait_port

from bridge.providers.http_transport import KeepAliveTransport

FORM = {
    "to": "447700900123",
    "from": "ExampleCo",
    "message": "Your order is ready.",
    "reference": "s0123456789",
}


async def _drive(send: Callable[[], Awaitable[None]], requests: int, tasks: int) -> float:
    left = requests

    async def worker() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            await send()

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(tasks)))
    return requests / (time.perf_counter() - began)


async def with_httpx(url: str, requests: int, tasks: int) -> float:
    async with httpx.AsyncClient() as client:  # httpcore, httpx's default transport
        return await _post_all(client, url, requests, tasks)


async def with_bridge_transport(url: str, requests: int, tasks: int) -> float:
    async with httpx.AsyncClient(transport=KeepAliveTransport()) as client:  # the providers'
        return await _post_all(client, url, requests, tasks)


async def _post_all(client: httpx.AsyncClient, url: str, requests: int, tasks: int) -> float:
    async def send() -> None:
        (await client.post(url, data=FORM)).json()

    return await _drive(send, requests, tasks)


async def with_aiohttp(url: str, requests: int, tasks: int) -> float | None:
    try:
        import aiohttp  # type: ignore[import-not-found]
    except ImportError:
        return None
    async with aiohttp.ClientSession() as client:

        async def send() -> None:
            async with client.post(url, data=FORM) as response:
                await response.json(content_type=None)

        return await _drive(send, requests, tasks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--tasks", type=int, default=8)
    args = parser.parse_args()
    port = free_port()
    emulator = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("dispatch.py")), "--emulator", str(port)]
    )
    try:
        wait_port(port)
        url = f"http://127.0.0.1:{port}/send"
        for name, measure in (
            ("httpx with httpcore", with_httpx),
            ("httpx with KeepAliveTransport", with_bridge_transport),
            ("aiohttp", with_aiohttp),
        ):
            for _ in range(3):
                rate = asyncio.run(measure(url, args.requests, args.tasks))
                shown = "not installed" if rate is None else f"{rate:.0f} requests/s"
                print(f"{name}, {args.tasks} tasks, {args.requests} requests: {shown}")
                if rate is None:
                    break
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)


if __name__ == "__main__":
    main()
