"""Inbound benchmark: signed Twilio webhooks in, emails handed to a smarthost out.

Runs ``smsbridge run`` as a subprocess with the Twilio provider and a reply number whose inbox
is a local SMTP sink (``bridge.testing.smtp_sink``, in this process). Phase 1 posts N signed
webhooks with 20 concurrent clients and reports texts/s until the last email reached the sink.
Phase 2 posts 100 webhooks a second and reports the latency from the POST to the email's
arrival at the sink, p50 and p99.

    .venv/bin/python bench/inbound.py
    .venv/bin/python bench/inbound.py --texts 5000 --rate 100 --seconds 20
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bridge.inbound.signatures import twilio_signature
from bridge.testing.smtp_sink import SmtpSink, ThreadedSmtpSink

TOKEN = "bench-token"
SID = "AC" + "0" * 32


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _config(folder: Path, smtp: int, http: int, sink: int) -> Path:
    path = folder / "bench.toml"
    path.write_text(f"""
[bridge]
data_dir = "{folder / "var"}"
log_level = "WARNING"
public_url = "http://127.0.0.1:{http}"
[smtp]
port = {smtp}
domains = ["sms.example.com"]
[http]
port = {http}
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
""", encoding="utf-8")  # fmt: skip
    return path


def _fields(i: int) -> dict[str, str]:
    return {"MessageSid": f"SM{i:032d}", "AccountSid": SID, "From": f"+4477009{i % 1000:05d}",
            "To": "+447700900100", "Body": f"Inbound benchmark text {i}"}  # fmt: skip


async def _post(client: httpx.AsyncClient, url: str, i: int, sent_at: dict[str, float]) -> None:
    fields = _fields(i)
    signature = twilio_signature(url, fields.items(), TOKEN)
    sent_at[fields["MessageSid"]] = time.perf_counter()
    answer = await client.post(url, data=fields, headers={"X-Twilio-Signature": signature})
    answer.raise_for_status()


async def _burst(url: str, first: int, count: int, sent_at: dict[str, float]) -> None:
    limit = asyncio.Semaphore(20)
    async with httpx.AsyncClient(timeout=30) as client:

        async def one(i: int) -> None:
            async with limit:
                await _post(client, url, i, sent_at)

        await asyncio.gather(*(one(i) for i in range(first, first + count)))


async def _paced(
    url: str, first: int, rate: float, seconds: float, sent_at: dict[str, float]
) -> int:
    total = int(rate * seconds)
    start = time.perf_counter()
    async with httpx.AsyncClient(timeout=30) as client:
        tasks = []
        for n in range(total):
            delay = start + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(_post(client, url, first + n, sent_at)))
        await asyncio.gather(*tasks)
    return total


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=3000)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    with SmtpSink.threaded() as sink, tempfile.TemporaryDirectory() as tmp:
        smtp, http = _free_port(), _free_port()
        config = _config(Path(tmp), smtp, http, sink.port)
        env = {**os.environ, "SMSBRIDGE_PROVIDER__TWILIO__AUTH_TOKEN": TOKEN}
        proc = subprocess.Popen([sys.executable, "-m", "bridge", "run", "--config", str(config)],
                                env=env)  # fmt: skip
        try:
            _wait_port(http)
            url = f"http://127.0.0.1:{http}/webhooks/twilio/inbound"
            sent_at: dict[str, float] = {}
            started = time.perf_counter()
            asyncio.run(_burst(url, 0, args.texts, sent_at))
            posted = time.perf_counter() - started
            sink.wait_for(args.texts, timeout=300)
            elapsed = time.perf_counter() - started
            print(f"inbound: {args.texts} signed webhooks, 20 clients: {args.texts / elapsed:.0f}"
                  " texts/s to emails accepted by the smarthost"
                  f" (webhooks answered at {args.texts / posted:.0f}/s)")  # fmt: skip
            sent_at.clear()
            total = asyncio.run(_paced(url, args.texts, args.rate, args.seconds, sent_at))
            sink.wait_for(args.texts + total, timeout=300)
            _report_latency(sink, sent_at, args)
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def _report_latency(
    sink: ThreadedSmtpSink, sent_at: dict[str, float], args: argparse.Namespace
) -> None:
    latencies = []
    for message in sink.messages:
        body = message.parsed().get_content()
        number = body.split("Inbound benchmark text ", 1)[-1].split()[0]
        sid = f"SM{int(number):032d}"
        if sid in sent_at:
            latencies.append(message.arrived - sent_at[sid])
    print(f"latency at {args.rate:.0f} texts/s for {args.seconds:.0f} s ({len(latencies)} texts),"
          f" webhook POST to email at the smarthost: p50 {_pct(latencies, 0.5) * 1000:.1f} ms,"
          f" p99 {_pct(latencies, 0.99) * 1000:.1f} ms")  # fmt: skip


def _wait_port(port: int) -> None:
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("the bridge did not start")


if __name__ == "__main__":
    main()
