"""A planned chunk of a bulk send's file as plain tuples, to cross from the process that
plans it to the bulk worker.

Tuples of strings and numbers are what ``marshal`` writes and reads fastest (about 0.2 µs a
row, where unpickling a frozen ``BulkRow`` holding a phonenumbers ``PhoneNumber`` costs
about 8 µs): the worker decides each row on one core while the next chunk is planned on the
other, and what the transfer costs it comes off that gain. A row keeps what parsing its
number found (``Parsed.packed``), so the chain does not parse it again in the worker.

``keep`` names the kept fields once for the whole file; a row carries only their values,
in that order.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from bridge.bulk.rows import BulkRow, Duplicate, PlanChunk, PlanHead, RowError
from bridge.parsing.numbers import Parsed

__all__ = ["head_of", "packed_chunk", "packed_head", "unpacked_chunk"]

_NONE: Mapping[str, str] = MappingProxyType({})

# (rows, errors, duplicates): each a tuple of tuples, as ``packed_chunk`` makes them
PackedChunk = tuple[tuple[tuple[Any, ...], ...], ...]


def packed_head(head: PlanHead) -> tuple[str, tuple[str, ...], str]:
    return head.kind, head.header, head.number_column


def head_of(values: tuple[Any, ...]) -> PlanHead:
    kind, header, number_column = values
    return PlanHead(str(kind), tuple(header), str(number_column))


def packed_chunk(chunk: PlanChunk, keep: tuple[str, ...]) -> PackedChunk:
    rows = tuple(
        (
            row.line,
            row.number,
            row.country,
            row.text,
            tuple(row.fields[name] for name in keep),
            None if row.parsed is None else row.parsed.packed(),
        )
        for row in chunk.rows
    )
    errors = tuple((error.line, error.written, error.reason) for error in chunk.errors)
    duplicates = tuple((dup.line, dup.number, dup.first_line) for dup in chunk.duplicates)
    return rows, errors, duplicates


def unpacked_chunk(values: PackedChunk, keep: tuple[str, ...]) -> PlanChunk:
    """``packed_chunk`` undone: each ``BulkRow`` and its ``Parsed`` equal to the planned one."""
    rows, errors, duplicates = values
    return PlanChunk(
        rows=tuple(
            BulkRow(
                line,
                number,
                country,
                text,
                dict(zip(keep, kept, strict=True)) if keep else _NONE,
                None if found is None else Parsed.unpacked(found),
            )
            for line, number, country, text, kept, found in rows
        ),
        errors=tuple(RowError(*error) for error in errors),
        duplicates=tuple(Duplicate(*dup) for dup in duplicates),
    )
