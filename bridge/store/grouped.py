"""Many callers' small writes carried by one statement: a group commit for PostgreSQL.

SQLite's writer thread commits every operation that arrived during the previous commit
together (``bridge.store.sqlite_writer``). On PostgreSQL each operation is a transaction of
its own and costs a round trip, which is most of what a worker spends on a text once the
provider has answered. ``Grouped`` gathers the items that arrive while one statement is on
its way and hands them all to the next: a busy worker records a dozen texts per round trip,
an idle one still records its one text at once (nothing waits for a batch to fill).

Each caller gets its own answer, and only after the statement that carried its item has
committed; if that statement fails, every caller it carried gets the error.

Several statements may be on their way at once (``lanes``): PostgreSQL commits transactions
from several connections together (one flush of its log covers them all), so an item that
arrives while one statement is out need not wait for that statement's commit before its own
can start. SQLite has one writer, and no use for this.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

__all__ = ["Grouped"]

Item = TypeVar("Item")
Answer = TypeVar("Answer")


class Grouped(Generic[Item, Answer]):
    """``await grouped(item)`` runs ``run(items)`` for it and the items that came meanwhile;
    ``run`` answers each item in order. At most ``most`` items go in one statement, and at
    most ``lanes`` statements are on their way at once."""

    def __init__(
        self,
        run: Callable[[Sequence[Item]], Awaitable[Sequence[Answer]]],
        *,
        most: int = 256,
        lanes: int = 1,
    ) -> None:
        self._run = run
        self._most = most
        self._lanes = lanes
        self._waiting: list[tuple[Item, asyncio.Future[Answer]]] = []
        self._flushing: set[asyncio.Task[None]] = set()

    async def __call__(self, item: Item) -> Answer:
        future: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        # a lane is started for the first item waiting; later ones go with it
        if len(self._waiting) == 1 and len(self._flushing) < self._lanes:
            task = asyncio.create_task(self._flush(), name="grouped writes")
            self._flushing.add(task)
        # A caller cancelled meanwhile (a drain's grace ran out) does not cancel the write:
        # the other callers' items are in the same statement.
        return await asyncio.shield(future)

    async def close(self) -> None:
        """Wait for the items already handed in to be written (before the store closes)."""
        if self._flushing:
            await asyncio.wait(set(self._flushing))

    async def _flush(self) -> None:
        try:
            while self._waiting:
                group = self._waiting[: self._most]
                del self._waiting[: self._most]
                await self._answer(group)
        finally:  # at once, not in a done callback: an item handed in meanwhile needs a lane
            self._flushing.discard(asyncio.current_task())

    async def _answer(self, group: list[tuple[Item, asyncio.Future[Answer]]]) -> None:
        try:
            answers = await self._run([item for item, _ in group])
        except Exception as exc:  # handed to every caller it carried, not swallowed
            for _, future in group:
                if not future.done():
                    future.set_exception(exc)
            return
        except BaseException:  # cancelled (the loop is closing): nobody is left waiting
            left, self._waiting = group + self._waiting, []
            for _, future in left:
                future.cancel()
            raise
        for (_, future), answer in zip(group, answers, strict=True):
            if not future.done():
                future.set_result(answer)
