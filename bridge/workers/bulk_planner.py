"""A bulk send's file planned in a child process, its chunks streamed to the bulk worker.

Why a process: reading a 100,000-row file and planning its rows (parsing every number) is a
fifth of the CPU its preview costs, and in a thread of the bridge it holds the same
interpreter lock the chain needs, so it ran before any row was decided. In a child process
it runs on the other core: the worker decides one chunk while the child plans the next.

The child is started with "spawn", never "fork": the bridge has threads (the SQLite writer,
the executor's), and a forked copy of a lock one of them held stays locked. It plans with
``bridge.bulk.rows.plan_chunks`` (the one definition of planning) and writes each chunk to a
one-way pipe as ``marshal`` bytes of plain tuples (``bridge.bulk.wire``: fast to read, and
not pickles). The pipe holds 64 KiB and the worker reads one chunk ahead, so the child waits
once it is a chunk or two ahead: memory stays bounded however long the file.

A ``BulkFileError`` in the child reaches the worker as a ``BulkFileError`` with its reason;
anything else it raises, or its death (killed, out of memory), is ``PlanningFailed`` in the
worker, whose send is then tried again as any failed attempt is. Leaving ``planning`` (the
plan done, the worker stopping, an error) kills the child if it still runs.

A file under ``SMALL_FILE`` bytes (6,000 to 8,000 rows of a usual CSV) is planned in this
process instead, in a thread, through the same interface: a child's first chunk comes about
0.2 s after it is started, and planning a row saves the worker about 40 µs, so a file must
have some 5,000 rows before the child gains anything, even with a core free for it (and on
a busy machine it never does). Through a bridge, files of 1,500, 3,000 and 6,000 rows took
0.14-0.29, 0.22-0.57 and 0.45-1.2 s from the email to the preview in this process, against
0.28-0.58, 0.46-0.80 and 0.68-1.29 s with a child (docs/benchmarks.md, both cores busy).
"""

from __future__ import annotations

import asyncio
import contextlib
import marshal
import signal
import traceback
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from bridge.bulk.rows import CHUNK_ROWS, PlanChunk, PlanHead, plan_chunks
from bridge.bulk.table import BulkFileError, read_table
from bridge.bulk.wire import head_of, packed_chunk, packed_head, unpacked_chunk
from bridge.errors import BridgeError
from bridge.parsing.placeholders import Template

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

__all__ = ["SMALL_FILE", "PlanRequest", "Planning", "PlanningFailed", "planning"]

SMALL_FILE = 256 * 1024  # bytes; a smaller file is planned in this process


class PlanningFailed(BridgeError):
    """The child planning a file failed for a reason of the bridge's, not the file's."""


@dataclass(frozen=True, slots=True)
class PlanRequest:
    """What planning a file needs: the file, the email's body as the template, the sender's
    default region, the most rows allowed and the fields each row keeps."""

    file: bytes
    template: str
    region: str
    max_rows: int
    keep: tuple[str, ...] = ()
    rows_a_chunk: int = CHUNK_ROWS
    in_process: bool | None = None  # None: by the file's size (``SMALL_FILE``)

    @property
    def small(self) -> bool:
        return len(self.file) < SMALL_FILE if self.in_process is None else self.in_process


class _Source(Protocol):
    """Where a plan comes from; each call blocks, so the worker makes it in a thread."""

    def head(self) -> PlanHead: ...
    def next(self) -> PlanChunk | None: ...
    def stop(self) -> None: ...
    def close(self) -> None: ...


class _InProcess:
    """The plan made in the calling process, one chunk a call (the child's plan too)."""

    def __init__(self, request: PlanRequest) -> None:
        self._request = request
        self._chunks: Iterator[PlanChunk] = iter(())

    def head(self) -> PlanHead:
        request = self._request
        table = read_table(request.file, max_rows=request.max_rows)
        template = Template(request.template)
        head, self._chunks = plan_chunks(
            table,
            template,
            default_region=request.region,
            keep=request.keep,
            rows_a_chunk=request.rows_a_chunk,
        )
        return head

    def next(self) -> PlanChunk | None:
        return next(self._chunks, None)

    def stop(self) -> None:
        """Nothing to end: a call under way ends with its chunk."""

    def close(self) -> None:
        self._chunks = iter(())


class _Child:
    """The plan made in a child process and read from its pipe."""

    def __init__(self, request: PlanRequest) -> None:
        self._keep = request.keep
        import multiprocessing  # here: a bridge that never plans a large file never imports it

        context = multiprocessing.get_context("spawn")
        asks, self._asks = context.Pipe(duplex=False)
        self._pipe, answers = context.Pipe(duplex=False)
        self.process = context.Process(
            target=_child,
            args=(asks, answers),
            name="bulk-planner",
            daemon=True,  # ended with the bridge, whatever happens to the worker
        )
        self.process.start()
        asks.close()  # the child's ends are the child's: its death is our end of file
        answers.close()

    def ask(self, request: PlanRequest) -> None:
        """Send the child what to plan. Not as the process's arguments: ``start`` writes
        those to the child before it returns, and waits for ever on a child that died
        before reading them all (a file is megabytes); a pipe's write fails instead."""
        settings = (request.template, request.region, request.max_rows, request.keep)
        try:
            self._asks.send_bytes(marshal.dumps((*settings, request.rows_a_chunk)))
            self._asks.send_bytes(request.file)
        except OSError:
            raise self._ended() from None
        finally:
            self._asks.close()

    def head(self) -> PlanHead:
        kind, *values = self._receive()
        if kind != "head":
            raise PlanningFailed(f"the planning process sent {kind!r} first, not its head")
        return head_of(tuple(values))

    def next(self) -> PlanChunk | None:
        kind, *values = self._receive()
        if kind == "end":
            return None
        return unpacked_chunk(values[0], self._keep)

    def stop(self) -> None:
        """Kill the child if it still runs: a read waiting on it then ends at once."""
        if self.process.exitcode is None:
            self.process.kill()

    def close(self) -> None:
        self.stop()
        self.process.join()
        self.process.close()
        self._pipe.close()
        self._asks.close()

    def _receive(self) -> tuple[Any, ...]:
        try:
            data = self._pipe.recv_bytes()
        except (EOFError, OSError):
            raise self._ended() from None
        message: tuple[Any, ...] = marshal.loads(data)  # noqa: S302 (only our child writes it)
        if message[0] == "unusable":
            raise BulkFileError(message[1])
        if message[0] == "failed":
            raise PlanningFailed(f"the process planning the file failed:\n{message[1]}")
        return message

    def _ended(self) -> PlanningFailed:
        self.process.join(timeout=5)
        return PlanningFailed(
            "the process planning the file ended before its plan did"
            f" (exit code {self.process.exitcode})"
        )


class Planning:
    """A file's plan as it is made: ``head`` once, then ``next`` until it gives None. While
    the worker decides one chunk, the next is read (and, in a child, planned) meanwhile."""

    def __init__(self, source: _Source) -> None:
        self._source = source
        self._ahead: asyncio.Future[PlanChunk | None] | None = None

    async def head(self) -> PlanHead:
        return await asyncio.to_thread(self._source.head)

    async def next(self) -> PlanChunk | None:
        ahead, self._ahead = self._ahead, None
        chunk = await (ahead or self._read())
        if chunk is not None:
            self._ahead = self._read()
        return chunk

    async def close(self) -> None:
        """Stop the planning and wait for the read under way, which then ends at once."""
        self._source.stop()
        ahead, self._ahead = self._ahead, None
        if ahead is not None:
            # a chunk nobody will use, or the error of a planning stopped on purpose
            await asyncio.wait([ahead])
            if not ahead.cancelled():
                ahead.exception()
        await asyncio.to_thread(self._source.close)

    def _read(self) -> asyncio.Future[PlanChunk | None]:
        return asyncio.ensure_future(asyncio.to_thread(self._source.next))


@contextlib.asynccontextmanager
async def planning(request: PlanRequest) -> AsyncIterator[Planning]:
    """The plan of ``request.file``, made in a child process unless the file is small; the
    child is ended on leaving, whether the plan was read to its end or not."""
    source: _Source = _InProcess(request) if request.small else await _started(request)
    plan = Planning(source)
    try:
        yield plan
    finally:
        await plan.close()


async def _started(request: PlanRequest) -> _Child:
    child = await asyncio.to_thread(_Child, request)
    try:
        await asyncio.to_thread(child.ask, request)
    except BaseException:
        await asyncio.to_thread(child.close)
        raise
    return child


def _child(asks: Connection, answers: Connection) -> None:
    """The child process: what to plan read from ``asks``; the plan's head, its chunks and
    its end written to ``answers``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the bridge, which stops us
    try:
        asked: tuple[Any, ...] = marshal.loads(asks.recv_bytes())  # noqa: S302 (the worker's)
        template, region, max_rows, keep, rows_a_chunk = asked
        file = asks.recv_bytes()
        asks.close()
        request = PlanRequest(file, template, region, max_rows, keep, rows_a_chunk, True)
        for message in _messages(_InProcess(request), keep):
            answers.send_bytes(marshal.dumps(message))
    except (BrokenPipeError, EOFError):
        return  # the worker stopped listening, or never asked: nobody wants a plan
    except BulkFileError as exc:
        answers.send_bytes(marshal.dumps(("unusable", exc.reason)))
    except Exception:
        answers.send_bytes(marshal.dumps(("failed", traceback.format_exc())))
    finally:
        answers.close()


def _messages(source: _InProcess, keep: tuple[str, ...]) -> Iterator[tuple[Any, ...]]:
    yield ("head", *packed_head(source.head()))
    while (chunk := source.next()) is not None:
        yield ("chunk", packed_chunk(chunk, keep))
    yield ("end",)
