"""Which event loop runs the bridge: asyncio's own, or uvloop when installed and chosen.

uvloop (libuv under the asyncio interface, the loop ``uvicorn[standard]`` uses) spends less
of each SMTP session's time in the loop itself: its transports read and write in C. It is an
optional extra (``pip install 'smsbridge[fast]'``), so ``bridge.loop = "auto"`` takes it
when it is there and asyncio's loop otherwise; ``"uvloop"`` insists (the settings refuse it
when it is not installed), ``"asyncio"`` never uses it. ``smsbridge run`` and every SMTP
listener process start their loop here.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

__all__ = ["loop_name", "run"]

T = TypeVar("T")
LoopFactory = Callable[[], asyncio.AbstractEventLoop]


def _factory(choice: str) -> LoopFactory | None:
    """uvloop's loop, or None for asyncio's default one."""
    if choice == "asyncio":
        return None
    try:
        uvloop = importlib.import_module("uvloop")
    except ImportError:
        if choice == "uvloop":
            raise
        return None
    factory: LoopFactory = uvloop.new_event_loop
    return factory


def run(main: Coroutine[Any, Any, T], *, choice: str) -> T:
    """``asyncio.run(main)`` on the loop ``choice`` (``bridge.loop``) names."""
    with asyncio.Runner(loop_factory=_factory(choice)) as runner:
        return runner.run(main)


def loop_name() -> str:
    """The running loop, as the start-up line names it: ``uvloop`` or ``asyncio``."""
    module = type(asyncio.get_running_loop()).__module__
    return "uvloop" if module.startswith("uvloop") else "asyncio"
