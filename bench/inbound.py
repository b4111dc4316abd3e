"""Inbound benchmark: signed Twilio webhooks in, emails handed to a smarthost out.

Runs ``smsbridge run`` as a subprocess with the Twilio provider and a reply number whose inbox
is a local SMTP sink in a third process, so that neither the client nor the sink runs in the
bridge's process. The sink is a minimal SMTP server written here (``--aiosmtpd-sink``: the
tests' aiosmtpd sink instead, which costs about as much CPU per email as the bridge itself).
The client sends requests signed beforehand on 20 keep-alive connections. Phase 1 posts N
webhooks and reports texts/s until the last email reached the sink, and each process's CPU
time per text over that phase (Linux ``/proc``), which other work on the machine disturbs far
less than the rate.
Phase 2 posts 100 webhooks a second and reports the latency from the POST to the email's
arrival at the sink, p50 and p99.

With ``--conversations N``, the store first holds N live conversations (one per customer,
each owned by one of 50 members of staff) and every text comes from one of those customers:
each is then a reply inside a conversation, routed to its owner with the thread so far.

    .venv/bin/python bench/inbound.py
    .venv/bin/python bench/inbound.py --texts 5000 --rate 100 --seconds 20
    .venv/bin/python bench/inbound.py --conversations 100000
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

from harness import cpu_seconds, pct, wait_port, write_config

from bridge.providers.twilio.signature import twilio_signature
from bridge.settings.load import load_settings
from bridge.store.factory import open_store
from tests.support.smtp_sink import SmtpSink

TOKEN = "bench-token"
SID = "AC" + "0" * 32
PATH = "/webhooks/twilio/inbound"
REPLY = "+447700900100"


def _config(folder: Path, sink: int) -> tuple[Path, int]:
    path, _, http = write_config(
        folder,
        f"""
[provider]
name = "twilio"
[provider.twilio]
account_sid = "{SID}"
base_url = "http://127.0.0.1:9"
[mail]
transport = "smtp"
from_address = "sms-bridge@sms.example.com"
[mail.smtp]
host = "127.0.0.1"
port = {sink}
starttls = false
[[numbers]]
number = "+447700900100"
inbox = ["team@example.com"]
""",
        public=True,
    )
    return path, http


CUSTOMERS = 1000  # distinct customers texting; --conversations sets it to their number


def _customer(i: int) -> str:
    return f"+4477{i % CUSTOMERS:08d}"


def _seed(config: Path, conversations: int) -> None:
    """``conversations`` live conversations in the bridge's store, written before it starts."""
    os.environ["SMSBRIDGE_PROVIDER__TWILIO__AUTH_TOKEN"] = TOKEN
    settings = load_settings(config)
    store = open_store(settings)
    asyncio.run(store.open())
    asyncio.run(store.close())
    now = time.time()
    rows = [
        (
            _customer(i),
            REPLY,
            f"staff{i % 50}@example.com",
            f"<seed{i}@example.com>",
            "Your order",
            "Your order is ready",
            now,
            f"cseed{i}",
            now,
        )
        for i in range(conversations)
    ]
    with sqlite3.connect(
        settings.store.path or Path(settings.bridge.data_dir) / "smsbridge.db"
    ) as db:
        db.executemany(
            "INSERT INTO conversations (customer_number, reply_number, author, message_id,"
            " subject, last_text, last_at, id, active_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )


def _fields(i: int) -> dict[str, str]:
    return {
        "MessageSid": f"SM{i:032d}",
        "AccountSid": SID,
        "From": _customer(i),
        "To": REPLY,
        "Body": f"Inbound benchmark text {i}",
    }


def _request(path: str, url: str, i: int) -> bytes:
    body = urlencode(_fields(i)).encode()
    signature = twilio_signature(url, _fields(i).items(), TOKEN)
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Twilio-Signature: {signature}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


async def _response(reader: asyncio.StreamReader) -> None:
    head = await reader.readuntil(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(head.decode(errors="replace"))
    length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
    await reader.readexactly(length)


async def _connection(
    port: int, requests: list[tuple[str, bytes]], sent_at: dict[str, float]
) -> None:
    """One keep-alive connection sending its share of pre-signed requests one after another."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for sid, request in requests:
        sent_at[sid] = time.perf_counter()
        writer.write(request)
        await _response(reader)
    writer.close()


def _requests(url: str, first: int, count: int) -> list[tuple[str, bytes]]:
    """Signed before the clock starts, so the client's CPU is spent on sending only."""
    return [(_fields(i)["MessageSid"], _request(PATH, url, i)) for i in range(first, first + count)]


async def _burst(port: int, requests: list[tuple[str, bytes]], sent_at: dict[str, float]) -> float:
    started = time.perf_counter()
    await asyncio.gather(*(_connection(port, requests[c::20], sent_at) for c in range(20)))
    return started


async def _paced(
    port: int, url: str, first: int, rate: float, seconds: float, sent_at: dict[str, float]
) -> int:
    total = int(rate * seconds)
    requests = _requests(url, first, total)
    start = time.perf_counter()
    tasks = []
    for n, item in enumerate(requests):
        delay = start + n / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(_connection(port, [item], sent_at)))
    await asyncio.gather(*tasks)
    return total


class _Arrivals:
    """The SMTP sink in its own process (so it does not share this one's CPU), read line by line."""

    def __init__(self, *, aiosmtpd: bool) -> None:
        kind = ["--aiosmtpd-sink"] if aiosmtpd else []
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--sink", *kind], stdout=subprocess.PIPE, text=True
        )
        assert self.proc.stdout is not None
        self.port = int(self.proc.stdout.readline())
        self.times: dict[str, float] = {}
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            arrived, sid = line.split()
            self.times[sid] = float(arrived)

    def wait_for(self, count: int, timeout: float) -> float:
        deadline = time.monotonic() + timeout
        while len(self.times) < count:
            if time.monotonic() > deadline:
                raise SystemExit(f"only {len(self.times)} of {count} emails arrived")
            time.sleep(0.05)
        return max(self.times.values())

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def _run_sink(aiosmtpd: bool) -> None:
    if aiosmtpd:
        _run_aiosmtpd_sink()
    else:
        asyncio.run(_raw_sink())


def _run_aiosmtpd_sink() -> None:
    with SmtpSink.threaded() as sink:
        print(sink.port, flush=True)
        seen = 0
        while True:
            messages = sink.messages
            for message in messages[seen:]:
                number = message.parsed().get_content().split("Inbound benchmark text ", 1)[1]
                print(f"{message.arrived} SM{int(number.split()[0]):032d}", flush=True)
            seen = len(messages)
            time.sleep(0.05)


_NUMBER = re.compile(rb"Inbound benchmark text (\d+)")


class _RawSink(asyncio.Protocol):
    """The smallest SMTP server the bridge's client accepts: every command answered 250, each
    message's text number found with one regular expression. A real smarthost (Postfix, say)
    costs less CPU per message than aiosmtpd, which took half as much CPU as the bridge itself
    when it played the smarthost here, on the same two cores."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._buffer = b""
        self._in_data = False
        transport.write(b"220 sink ESMTP\r\n")

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while True:
            if self._in_data:
                end = self._buffer.find(b"\r\n.\r\n")
                if end < 0:
                    return
                self._message(self._buffer[:end])
                self._buffer, self._in_data = self._buffer[end + 5 :], False
                continue
            line, found, rest = self._buffer.partition(b"\r\n")
            if not found:
                return
            self._buffer = rest
            self._command(line[:4].upper())

    def _command(self, verb: bytes) -> None:
        if verb == b"EHLO":
            self._transport.write(b"250-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
        elif verb == b"DATA":
            self._in_data = True
            self._transport.write(b"354 go ahead\r\n")
        elif verb == b"QUIT":
            self._transport.write(b"221 bye\r\n")
            self._transport.close()
        else:
            self._transport.write(b"250 OK\r\n")

    def _message(self, content: bytes) -> None:
        self._transport.write(b"250 OK queued\r\n")
        arrived = time.perf_counter()
        found = _NUMBER.search(content)
        number = int(found.group(1)) if found else -1
        sys.stdout.write(f"{arrived} SM{number:032d}\n")


async def _raw_sink() -> None:
    server = await asyncio.get_running_loop().create_server(_RawSink, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    while True:  # lines are flushed in batches: each carries its own arrival time
        await asyncio.sleep(0.02)
        sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=3000)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument(
        "--conversations", type=int, default=0, help="live conversations stored first"
    )
    parser.add_argument(
        "--aiosmtpd-sink", action="store_true", help="aiosmtpd as the smarthost (as until 2026-12)"
    )
    parser.add_argument("--sink", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sink:
        _run_sink(args.aiosmtpd_sink)
        return
    sink = _Arrivals(aiosmtpd=args.aiosmtpd_sink)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            _run(Path(tmp), sink, args)
    finally:
        sink.close()


def _run(folder: Path, sink: _Arrivals, args: argparse.Namespace) -> None:
    config, http = _config(folder, sink.port)
    if args.conversations:
        global CUSTOMERS
        CUSTOMERS = args.conversations
        started = time.perf_counter()
        _seed(config, args.conversations)
        took = time.perf_counter() - started
        print(f"stored {args.conversations} conversations in {took:.1f} s", flush=True)
    env = {**os.environ, "SMSBRIDGE_PROVIDER__TWILIO__AUTH_TOKEN": TOKEN}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bridge", "run", "--config", str(config)], env=env
    )
    try:
        _measure(http, sink, args, proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _cpu(pid: int) -> float:
    """A process's CPU time, or with a negative ``pid`` its main thread's (Linux ``/proc``)."""
    if pid > 0:
        return cpu_seconds(pid)
    fields = Path(f"/proc/{-pid}/task/{-pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _measure(http: int, sink: _Arrivals, args: argparse.Namespace, bridge: int) -> None:
    wait_port(http)
    url = f"http://127.0.0.1:{http}{PATH}"
    sent_at: dict[str, float] = {}
    # the bridge's main thread (its event loop) has the id of the process
    pids = {"bridge": bridge, "its event loop": -bridge, "client": os.getpid()}
    pids["smarthost"] = sink.proc.pid
    requests = _requests(url, 0, args.texts)
    before = {name: _cpu(pid) for name, pid in pids.items()}
    started = asyncio.run(_burst(http, requests, sent_at))
    last = sink.wait_for(args.texts, timeout=300)
    used = {name: _cpu(pid) - before[name] for name, pid in pids.items()}
    print(
        f"inbound: {args.texts} signed webhooks on 20 connections:"
        f" {args.texts / (last - started):.0f} texts/s to emails accepted by the smarthost"
    )
    print(
        "CPU per text: "
        + ", ".join(f"{name} {1000 * cpu / args.texts:.2f} ms" for name, cpu in used.items())
    )
    paced: dict[str, float] = {}
    total = asyncio.run(_paced(http, url, args.texts, args.rate, args.seconds, paced))
    sink.wait_for(args.texts + total, timeout=300)
    latencies = [sink.times[sid] - at for sid, at in paced.items()]
    print(
        f"latency at {args.rate:.0f} texts/s for {args.seconds:.0f} s ({len(latencies)} texts),"
        f" webhook POST to email at the smarthost: p50 {pct(latencies, 0.5) * 1000:.1f} ms,"
        f" p99 {pct(latencies, 0.99) * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
