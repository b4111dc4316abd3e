"""The summary email's text, when a bulk send has finished (or was cancelled and has stopped).

Counts only, in the order an author asks about them (sent, failed, opted out, cancelled,
then what the file or the chain kept back); each row's own result is in the attached
result CSV (``results.py``), named ``RESULTS_NAME``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from bridge.bulk.status import Status
from bridge.bulk.words import counted, figure

__all__ = ["RESULTS_NAME", "Totals", "summary_text"]

RESULTS_NAME = "results.csv"


@dataclass(frozen=True, slots=True)
class Totals:
    """How many rows ended in each state: ``sent`` and ``failed`` were handed to a provider,
    ``opted_out`` and ``refused`` stopped by the chain (before SEND or when sent),
    ``cancelled`` not sent because of CANCEL, ``invalid`` and ``duplicates`` by the file."""

    sent: int = 0
    failed: int = 0
    opted_out: int = 0
    refused: int = 0
    cancelled: int = 0
    invalid: int = 0
    duplicates: int = 0

    @classmethod
    def of(cls, statuses: Iterable[Status]) -> Totals:
        """Counted from each row's final status; ``accepted`` or ``deferred`` (not finished)
        is a ``ValueError``: the summary is written once every row has ended."""
        counts = Counter(statuses)
        unfinished = counts[Status.ACCEPTED] + counts[Status.DEFERRED]
        if unfinished:
            raise ValueError(f"{unfinished} rows have not finished")
        return cls(
            sent=counts[Status.SENT],
            failed=counts[Status.FAILED],
            opted_out=counts[Status.OPTED_OUT],
            refused=counts[Status.REFUSED],
            cancelled=counts[Status.CANCELLED],
            invalid=counts[Status.INVALID],
            duplicates=counts[Status.DUPLICATE],
        )

    @property
    def rows(self) -> int:
        return (
            self.sent
            + self.failed
            + self.opted_out
            + self.refused
            + self.cancelled
            + self.invalid
            + self.duplicates
        )


def summary_text(totals: Totals, *, filename: str) -> str:
    """The summary's body."""
    first = (
        f"Your bulk send from {filename} was cancelled; what had been sent before stays sent."
        if totals.cancelled
        else f"Your bulk send from {filename} has finished."
    )
    lines = [
        f"Sent: {figure(totals.sent)}",
        f"Failed: {figure(totals.failed)}"
        + (" (the reason for each is in the attached file)" if totals.failed else ""),
        f"Opted out: {figure(totals.opted_out)}",
        f"Cancelled: {figure(totals.cancelled)}",
    ]
    if totals.refused:
        lines.append(f"Refused: {figure(totals.refused)}")
    kept = []
    if totals.invalid:
        kept.append(counted(totals.invalid, "row") + " with errors")
    if totals.duplicates:
        kept.append(counted(totals.duplicates, "duplicate") + " merged")
    if kept:
        lines.append(f"Not sent because of the file: {' and '.join(kept)}")
    closing = (
        f"Each of the {counted(totals.rows, 'row')} of your file, with what became of it, is in"
        f" the attached {RESULTS_NAME}."
    )
    return f"{first}\n\n" + "\n".join(lines) + f"\n\n{closing}\n"
