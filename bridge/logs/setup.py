"""Where the log lines go and how they look: stderr, as text for people or JSON lines.

Here rather than in the command line's package because an SMTP listener process
(``bridge.listeners.process``) configures its logging the same way without importing every
command.
"""

from __future__ import annotations

import logging
import sys

from bridge.logs.context import IdsFilter
from bridge.logs.json_lines import JsonLines

__all__ = ["configure_logging"]


def configure_logging(level: str, log_format: str = "text", *, pid: bool = False) -> None:
    """Lines to stderr (journald and Docker collect them there): text for people, or one JSON
    object per line for a log collector, with the ids of the job, customer's text or
    conversation being worked on (``bridge.logs``) as fields of their own. ``pid`` adds the
    process id to every line, for a bridge of several SMTP listener processes sharing one
    stderr (``smtp.processes``)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(IdsFilter())
    if log_format == "json":
        handler.setFormatter(JsonLines(pid=pid))
    else:
        name = "%(name)s[%(process)d]" if pid else "%(name)s"
        handler.setFormatter(logging.Formatter(f"%(asctime)s %(levelname)s {name}: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler])
    # aiosmtpd logs every command, whole addresses (phone numbers) included, at INFO, and
    # httpx every request's URL, which for an aggregator taking its fields in the query string
    # holds the number, the text and the key: keep their chatter for debugging only. Our own
    # lines mask numbers.
    if level != "DEBUG":
        for chatty in ("mail.log", "httpx"):
            logging.getLogger(chatty).setLevel(logging.WARNING)
