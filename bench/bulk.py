"""Bulk sends (issue 19): a 100,000-row file read, planned and previewed; later, end to end.

Phase 1 (now): for a generated CSV (semicolon-separated Windows-1252, as a European Excel
saves it) and the same rows as XLSX (numbers as Excel's floats), the time and peak RSS of
``bridge.bulk``'s pure steps on the attachment's bytes: read the table, plan the rows (each
number parsed, duplicates merged, the template filled), and write the preview with its
not-sent CSV. Every row is taken as accepted (``outcomes.estimate``) because the chain is
not run here. Each file is measured in a fresh process (``--measure FILE``), so one's peak
RSS is not the other's.

    .venv/bin/python bench/bulk.py                    # 100,000 rows, CSV and XLSX
    .venv/bin/python bench/bulk.py --rows 20000 --formats csv

Phase 2 (``--end-to-end sqlite,postgres``): the CSV emailed to a running bridge's bulk
address (``smsbridge run``, the sandbox provider, its emails to an SMTP sink); the time from
the 250 to the preview at the sink, SEND, the time from SEND to its 250 (answered once every
held text is queued), and the bridge's peak RSS, on SQLite and on PostgreSQL; the CPU time
to the preview of the bridge's process and of the child that planned the file.

    .venv/bin/python bench/bulk.py --end-to-end sqlite,postgres --formats csv
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import smtplib
import sqlite3
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from harness import DOMAIN, scratch_schema

from bridge.bulk.outcomes import estimate
from bridge.bulk.preview import not_sent_csv, preview_text
from bridge.bulk.rows import plan_rows
from bridge.bulk.table import read_table
from bridge.parsing.placeholders import Template

TEMPLATE = (
    "Hi {first_name}, your order {order} is ready for collection at {store}. Reply STOP to opt out."
)
PRICES = {"GB": 0.04}
FIRST_NAMES = ("Ann", "Bob", "Zoë", "Jürgen", "Renée", "Ægir", "Siân", "Øystein")
STORES = ("Leeds", "Köln", "Malmö", "Lyon")


# Numbers in the file's order (as the first benchmarks wrote them) or spread over the range
# as a customer list's are (``--spread``): the store's indexes that lead with the number
# take a file in order into neighbouring pages, and one in no order into pages all over.
SPREAD = {"on": False}


def customer(i: int) -> tuple[str, str, str, str, str]:
    """Row ``i``: a UK mobile written nationally (07911 …, distinct for each row; 1 row in 200
    repeats the number of the row 100 before it, 1 in 500 is too short), a first name (1 in
    300 empty: a row error), an order, an amount with a decimal comma, a store."""
    number = f"07911 {_subscriber(i):06d}"
    if i % 200 == 199:
        number = f"07911 {_subscriber(i - 100):06d}"
    if i % 500 == 0:
        number = "07911 123"
    name = "" if i % 300 == 299 else FIRST_NAMES[i % len(FIRST_NAMES)]
    return number, name, f"A-{100_000 + i}", f"{i % 97},{i % 100:02d}", STORES[i % len(STORES)]


def _subscriber(i: int) -> int:
    """Row ``i``'s six digits: ``i`` itself, or (spread) ``i`` shuffled within its hundred
    thousand (7,919 is prime to 100,000, so no two rows share a number, and the numbers are
    the same ones, all in use, as in order)."""
    if SPREAD["on"]:
        i = i // 100_000 * 100_000 + i * 7919 % 100_000
    return i % 1_000_000


HEADER = ("Mobile", "First name", "Order", "Betrag", "Store")


def write_csv(path: Path, rows: int) -> None:
    """Semicolons, Windows-1252, CRLF: Excel's "CSV (separated)" in a German locale."""
    with path.open("w", encoding="cp1252", newline="") as out:
        out.write(";".join(HEADER) + "\r\n")
        for i in range(rows):
            out.write(";".join(customer(i)) + "\r\n")


def write_xlsx(path: Path, rows: int) -> None:
    """The same rows in a workbook, each number as Excel stores one typed bare: a float."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Customers")
    sheet.append(list(HEADER))
    for i in range(rows):
        number, *rest = customer(i)
        digits = number.replace(" ", "")
        sheet.append([float("44" + digits[1:]) if len(digits) == 11 else number, *rest])
    book.save(path)


def rss_mb() -> float:
    """Peak resident set size of this process so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(path: Path) -> dict[str, Any]:
    """Read + plan + preview ``path``'s bytes, as the wiring will on the attachment."""
    data = path.read_bytes()
    template = Template(TEMPLATE)
    before = rss_mb()
    cpu = time.process_time()
    rows = sum(1 for _ in read_table(data, max_rows=200_000).rows)  # the reading alone
    read_cpu = time.process_time() - cpu
    began, cpu = time.perf_counter(), time.process_time()
    table = read_table(data, max_rows=200_000)
    plan = plan_rows(table, template, default_region="GB")
    planned = time.perf_counter()
    assert rows == plan.rows_read
    checked = plan.checked([estimate(row) for row in plan.rows])
    text = preview_text(checked, filename=path.name, prices=PRICES, currency="GBP")
    attachment = not_sent_csv(checked)
    done = time.perf_counter()
    return {
        "file": path.name,
        "bytes": len(data),
        "rows": plan.rows_read,
        "read_only_cpu_s": round(read_cpu, 2),
        "texts": len(plan.rows),
        "errors": len(plan.errors),
        "duplicates": len(plan.duplicates),
        "read_plan_s": round(planned - began, 2),
        "preview_s": round(done - planned, 2),
        "total_s": round(done - began, 2),
        "cpu_s": round(time.process_time() - cpu, 2),  # the machine's 2 cores may be shared
        "rss_before_mb": round(before, 1),
        "rss_peak_mb": round(rss_mb(), 1),
        "preview_chars": len(text),
        "attachment_bytes": len(attachment),
    }


def measured_apart(path: Path) -> dict[str, Any]:
    """``measure`` in a fresh interpreter, so each file's peak RSS is its own."""
    done = subprocess.run(
        [sys.executable, __file__, "--measure", str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(done.stdout))


# --- phase 2: end to end, through a running bridge ---


def bulk_email(path: Path, *, to: str, author: str = "alice@example.com") -> EmailMessage:
    """The author's email: the template as its body, the file attached."""
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = author, to, "October orders"
    mail["Message-ID"] = f"<bulk-{random.getrandbits(64):x}@example.com>"
    mail.set_content(TEMPLATE)
    kind = (
        ("text", "csv")
        if path.suffix == ".csv"
        else ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    )
    mail.add_attachment(path.read_bytes(), maintype=kind[0], subtype=kind[1], filename=path.name)
    return mail


def send_email(port: int, mail: EmailMessage) -> float:
    """Hand ``mail`` to the bridge on ``port``; the time at which its 250 arrived."""
    with smtplib.SMTP("127.0.0.1", port, timeout=120) as client:
        client.send_message(mail)
    return time.perf_counter()


def wait_preview(sink: Any, *, after: int = 0, timeout: float = 60.0) -> tuple[float, Any]:
    """Until the sink (tests/support/smtp_sink.py, threaded) holds more than ``after``
    messages: the time it arrived and the message."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if len(sink.messages) > after:
            return time.perf_counter(), sink.messages[after]
        time.sleep(0.01)
    raise SystemExit(f"no preview within {timeout:.0f} s")


def reply(preview: EmailMessage, word: str, *, author: str = "alice@example.com") -> EmailMessage:
    """The author's answer to the preview: ``SEND`` or ``CANCEL``, threaded under it."""
    mail = EmailMessage()
    mail["From"], mail["To"] = author, str(preview["Reply-To"] or preview["From"])
    mail["Subject"] = f"Re: {preview['Subject']}"
    mail["In-Reply-To"] = mail["References"] = str(preview["Message-ID"])
    mail.set_content(word)
    return mail


def end_to_end(path: Path, *, dsn: str | None) -> dict[str, Any]:
    """Phase 2: email ``path`` to a running bridge's bulk address (``harness.running``; its
    store SQLite, or PostgreSQL at ``dsn``), time the preview at an SMTP sink from the 250,
    reply SEND and time its 250 (which comes once every text is queued), and read the
    bridge's peak RSS (``VmHWM``) before it stops."""
    from harness import cpu_seconds, reaped_cpu_seconds, running, write_config

    from tests.support.smtp_sink import SmtpSink

    with (
        tempfile.TemporaryDirectory(prefix="smsbridge-bulk-") as folder,
        SmtpSink.threaded() as sink,
    ):
        store = f'[store]\nbackend = "postgres"\ndsn = "{dsn}"\n' if dsn else ""
        config, port, _ = write_config(Path(folder), _settings(store, sink.port), size_mb=40)
        if dsn:
            subprocess.run(
                [sys.executable, "-m", "bridge", "migrate", "--config", str(config)],
                check=True,
                capture_output=True,
            )
        with running(config, port) as proc:
            rss_start = _rss(proc.pid, "VmRSS")
            cpu_before = cpu_seconds(proc.pid)
            children_before = reaped_cpu_seconds(proc.pid)
            answered = send_email(port, bulk_email(path, to=f"bulk@{DOMAIN}"))
            shown, preview = wait_preview(sink, timeout=600)
            cpu = cpu_seconds(proc.pid) - cpu_before
            planner = reaped_cpu_seconds(proc.pid) - children_before
            words = preview.parsed().get_body(preferencelist=("plain",)).get_content()
            asked = time.perf_counter()
            queued = send_email(port, reply(preview.parsed(), "SEND"))
            texts = _queued(dsn, Path(folder) / "var" / "smsbridge.db")
            peak = _rss(proc.pid, "VmHWM")
    counts = {
        line.split(":")[0]: line.split(":")[1].strip()
        for line in words.splitlines()
        if line.startswith(
            ("Rows read:", "Texts to send:", "Rows with errors:", "Duplicates merged:")
        )
    }
    return {
        "store": "postgres" if dsn else "sqlite",
        "file": path.name,
        "bytes": path.stat().st_size,
        **counts,
        "queued_by_send": texts,
        "s_250_to_preview": round(shown - answered, 2),
        "bridge_cpu_s_to_preview": round(cpu, 2),  # steadier than the wall time on a busy machine
        # the planning child's CPU (0 for a file planned in the bridge's own process)
        "planner_cpu_s": round(planner, 2),
        "s_send_to_all_queued": round(queued - asked, 2),
        "rss_start_mb": rss_start,
        "rss_peak_mb": peak,
    }


def _settings(store: str, sink: int) -> str:
    """The bridge: the sandbox, its emails to the sink, the author's sender rule."""
    return (
        f'{store}[provider]\nname = "sandbox"\n'
        f'[mail]\ntransport = "smtp"\nfrom_address = "sms-bridge@{DOMAIN}"\n'
        f'[mail.smtp]\nhost = "127.0.0.1"\nport = {sink}\nstarttls = false\n'
        "[bulk]\nmax_rows = 200000\n"
        '[[senders.rules]]\nmatch = "example.com"\nsender = "ExampleCo"\n'
    )


def _rss(pid: int, field: str) -> float:
    """The process's resident set (``VmRSS``) or its peak so far (``VmHWM``), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return round(int(line.split()[1]) / 1024, 1)
    raise SystemExit(f"no {field} for process {pid}")


def _queued(dsn: str | None, db: Path) -> int:
    """The texts in the store once SEND was answered: queued, or already sent since."""
    sql = "SELECT count(*) FROM sms_jobs WHERE state <> 'held'"
    if dsn is None:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            return int(conn.execute(sql).fetchone()[0])
    import asyncio

    import asyncpg

    async def count() -> int:
        base, _, schema = dsn.partition("?search_path=")
        conn = await asyncpg.connect(base, server_settings={"search_path": schema})
        try:
            return int(await conn.fetchval(sql))
        finally:
            await conn.close()

    return asyncio.run(count())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--formats", default="csv,xlsx")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument(
        "--end-to-end",
        default="",
        help="instead: email a CSV to running bridges, on these stores (sqlite,postgres)",
    )
    parser.add_argument("--dsn", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument(
        "--spread", action="store_true", help="the numbers in no order, as a customer list's"
    )
    args = parser.parse_args()
    SPREAD["on"] = args.spread
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return
    if args.end_to_end:
        with tempfile.TemporaryDirectory() as folder:
            for fmt in args.formats.split(","):
                path = Path(folder) / f"customers.{fmt}"
                (write_csv if fmt == "csv" else write_xlsx)(path, args.rows)
                for backend in args.end_to_end.split(","):
                    if backend == "sqlite":
                        print(json.dumps(end_to_end(path, dsn=None)), flush=True)
                        continue
                    with scratch_schema(args.dsn) as dsn:
                        print(json.dumps(end_to_end(path, dsn=dsn)), flush=True)
        return
    with tempfile.TemporaryDirectory() as folder:
        for fmt in args.formats.split(","):
            path = Path(folder) / f"customers.{fmt}"
            (write_csv if fmt == "csv" else write_xlsx)(path, args.rows)
            print(json.dumps(measured_apart(path)))


if __name__ == "__main__":
    main()
