"""``bridge.log_format = "json"``: one JSON object per line, for Loki, Elasticsearch or
journald's structured fields: time (UTC, ISO 8601), level, logger, message, the bound ids
(``job``, ``inbound``, ``conversation``: ``bridge.logs.context``), for an error the
exception's type and traceback, and with several SMTP listener processes the ``pid``. The
message is the same sentence the text format writes, numbers masked by whoever logged it."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

__all__ = ["JsonLines"]


class JsonLines(logging.Formatter):
    def __init__(self, *, pid: bool = False) -> None:
        """``pid``: every line names its process (``"pid"``), as with several SMTP listener
        processes (``bridge.logs.setup``)."""
        super().__init__()
        self._pid = pid

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if self._pid:
            line["pid"] = record.process
        line.update(getattr(record, "ids", None) or {})
        if record.exc_info and record.exc_info[0] is not None:
            line["error"] = record.exc_info[0].__name__
            line["traceback"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)
