"""A table's rows as the texts of a bulk send: whose number, which text, and which rows not.

The number column is the one whose name (compared as ``field_name`` compares placeholders)
is one of ``NUMBER_COLUMNS``. Each number is read as an email's address is
(``parse_number``, national numbers in the sender's default region); a number written twice
gets one text, from its first line, and the later lines are listed as merged into it. The
email's body is the template: each row fills it, and a row missing a field the template
needs is an error naming the field, never a text with a literal ``{first_name}`` in it.

Nothing here asks the store or the chain: opt-outs, destinations and caps are decided by
the outbound chain, which the wiring runs for each of ``BulkPlan.rows`` and records with
``BulkPlan.checked`` before the preview is written.

A file is planned a chunk of rows at a time (``plan_chunks``), so that the bulk worker can
decide one chunk while the next is planned in another process (parsing the numbers is a
fifth of the CPU a 100,000-row send costs); ``plan_rows`` is the same planning gathered
into one ``BulkPlan``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from bridge.bulk.cells import LostDigits, unscientific
from bridge.bulk.outcomes import CheckedPlan, Outcome
from bridge.bulk.table import BulkFileError, Row, Table
from bridge.errors import InvalidNumber
from bridge.parsing.numbers import Parsed, country_of, parse_number, parsed
from bridge.parsing.placeholders import MissingFields, Template, field_name

__all__ = [
    "CHUNK_ROWS",
    "NUMBER_COLUMNS",
    "BulkPlan",
    "BulkRow",
    "Duplicate",
    "PlanChunk",
    "PlanHead",
    "PlanParts",
    "RowError",
    "number_column",
    "plan_chunks",
    "plan_rows",
]

NUMBER_COLUMNS = tuple(
    field_name(name)
    for name in (
        "number",
        "phone",
        "mobile",
        "to",
        "msisdn",
        "cell",
        "phone number",
        "mobile number",
    )
)
_FORMULA_GUARD = ("'=", "'+", "'-", "'@", "'\t", "'\r")
_NONE: Mapping[str, str] = MappingProxyType({})
CHUNK_ROWS = 2000  # rows of the file planned in one chunk: a few milliseconds to decide


@dataclass(frozen=True, slots=True)
class BulkRow:
    """A row that makes a text: ``number`` in E.164, its ``country`` (``GB``; "" for none),
    the template filled with the row's values, and of those values only the ones
    ``plan_rows`` was asked to ``keep``, by field name. Keeping every cell would make a
    100,000-row plan 40 MB heavier (bench/bulk.py: 141 MB peak RSS instead of 101 MB) for
    values the text already holds. What parsing the number found is kept (about 190 bytes a
    row): the chain asks each number's line type and country long after the file was read,
    when only the last few thousand parsed numbers are kept, and parsing it again was a
    sixth of the time to the preview (docs/benchmarks.md)."""

    line: int
    number: str
    country: str
    text: str
    fields: Mapping[str, str]
    parsed: Parsed | None = None  # handed back to ``numbers.remember`` when the row is decided


@dataclass(frozen=True, slots=True)
class RowError:
    """A row that makes no text: ``written`` is its number cell as the file has it."""

    line: int
    written: str
    reason: str


@dataclass(frozen=True, slots=True)
class Duplicate:
    """A row whose number an earlier row (``first_line``) already has: merged into it."""

    line: int
    number: str
    first_line: int


@dataclass(frozen=True, slots=True)
class BulkPlan:
    """Everything the file decides. ``rows_read`` counts every non-blank data row:
    ``len(rows) + len(errors) + len(duplicates)``."""

    kind: str
    header: tuple[str, ...]
    number_column: str
    rows: tuple[BulkRow, ...]
    errors: tuple[RowError, ...]
    duplicates: tuple[Duplicate, ...]

    @property
    def rows_read(self) -> int:
        return len(self.rows) + len(self.errors) + len(self.duplicates)

    def checked(self, outcomes: Sequence[Outcome]) -> CheckedPlan:
        """The plan with the chain's outcome for each of ``rows``, in the same order."""
        if len(outcomes) != len(self.rows):
            raise ValueError(f"{len(outcomes)} outcomes for {len(self.rows)} rows")
        return CheckedPlan(self, tuple(outcomes))


def number_column(header: Sequence[str]) -> int:
    """The index of the number column; ``BulkFileError`` lists the columns found."""
    names = [field_name(cell) for cell in header]
    for wanted in NUMBER_COLUMNS:
        if wanted in names:
            return names.index(wanted)
    found = ", ".join(f'"{cell.strip()}"' for cell in header if cell.strip()) or "none"
    raise BulkFileError(
        "The attached file has no column of phone numbers: name one of its columns"
        f' "number" (or phone, mobile, to, msisdn, cell). The columns found: {found}.'
    )


@dataclass(frozen=True, slots=True)
class PlanHead:
    """What the file says before its first row: its kind, its header and which column
    holds the numbers, as ``BulkPlan`` has them."""

    kind: str
    header: tuple[str, ...]
    number_column: str


@dataclass(frozen=True, slots=True)
class PlanChunk:
    """What a run of the file's rows made, each list in the file's order."""

    rows: tuple[BulkRow, ...]
    errors: tuple[RowError, ...]
    duplicates: tuple[Duplicate, ...]


@dataclass(slots=True)
class PlanParts:
    """A plan gathered a chunk at a time, in the order the chunks were planned."""

    rows: list[BulkRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)

    def add(self, chunk: PlanChunk) -> None:
        self.rows.extend(chunk.rows)
        self.errors.extend(chunk.errors)
        self.duplicates.extend(chunk.duplicates)

    def plan(self, head: PlanHead) -> BulkPlan:
        return BulkPlan(
            kind=head.kind,
            header=head.header,
            number_column=head.number_column,
            rows=tuple(self.rows),
            errors=tuple(self.errors),
            duplicates=tuple(self.duplicates),
        )


def plan_rows(
    table: Table, template: Template, *, default_region: str, keep: Collection[str] = ()
) -> BulkPlan:
    """Read every row of ``table`` into texts, row errors and duplicates; each text's row
    keeps the values of the fields named in ``keep`` (``field_name`` form, ``"name"``)."""
    head, chunks = plan_chunks(table, template, default_region=default_region, keep=keep)
    parts = PlanParts()
    for chunk in chunks:
        parts.add(chunk)
    return parts.plan(head)


def plan_chunks(
    table: Table,
    template: Template,
    *,
    default_region: str,
    keep: Collection[str] = (),
    rows_a_chunk: int = CHUNK_ROWS,
) -> tuple[PlanHead, Iterator[PlanChunk]]:
    """``plan_rows`` a chunk at a time: the head at once (a header nothing can use is a
    ``BulkFileError`` here), then a chunk for each ``rows_a_chunk`` rows of the file as
    they are read. A number's first line wins across chunks, as in one plan."""
    column = number_column(table.header)
    names = _field_names(table.header, template)
    _check_columns(template, names, table.header)
    planner = _Planner(column, names, template, default_region, frozenset(keep))
    head = PlanHead(table.kind, table.header, table.header[column].strip())
    return head, planner.chunks(table.rows, rows_a_chunk)


def _field_names(header: Sequence[str], template: Template) -> tuple[str, ...]:
    """Each column's field name; "" for a column nothing can use (unnamed, or a second
    column of the same name). Two columns of one name the template uses are an error."""
    names: list[str] = []
    for cell in header:
        name = field_name(cell)
        if name and name in names:
            if name in template.fields:
                raise BulkFileError(
                    f'Two columns of the attached file are called "{cell.strip()}", and the'
                    " message uses it: rename one of them."
                )
            name = ""
        names.append(name)
    return tuple(names)


def _check_columns(template: Template, names: Sequence[str], header: Sequence[str]) -> None:
    """A placeholder without a default that no column fills would fail every row: say so once."""
    try:
        template.fill({})
    except MissingFields as exc:
        absent = [written for written in exc.names if field_name(written) not in names]
        if absent:
            listed = ", ".join(f"{{{written}}}" for written in absent)
            columns = ", ".join(f'"{cell.strip()}"' for cell in header if cell.strip())
            raise BulkFileError(
                f"The message uses {listed}, but the attached file has no column of that name"
                f" (its columns: {columns}): rename a column or change the message."
            ) from None


@dataclass(slots=True)
class _Planner:
    """The one definition of planning a row: its number read, a number seen before merged
    into its first line, the template filled. What was planned waits in the lists until
    ``take`` hands it over; ``first_lines`` stays, so duplicates are found across chunks."""

    column: int
    names: tuple[str, ...]
    template: Template
    region: str
    keep: frozenset[str]
    rows: list[BulkRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    first_lines: dict[str, int] = field(default_factory=dict)
    planned: int = 0  # rows planned so far, of every kind

    def chunks(self, rows: Iterable[Row], size: int) -> Iterator[PlanChunk]:
        """A chunk for each ``size`` rows; a file with no data rows is a ``BulkFileError``."""
        for row in rows:
            self.add(row)
            if self.planned % size == 0:
                yield self.take()
        if not self.planned:
            raise BulkFileError("The attached file has column names but no rows under them.")
        if self.rows or self.errors or self.duplicates:
            yield self.take()

    def take(self) -> PlanChunk:
        chunk = PlanChunk(tuple(self.rows), tuple(self.errors), tuple(self.duplicates))
        self.rows.clear()
        self.errors.clear()
        self.duplicates.clear()
        return chunk

    def add(self, row: Row) -> None:
        self.planned += 1
        written = row.cells[self.column].strip() if self.column < len(row.cells) else ""
        try:
            number = _number(written, self.region)
        except (InvalidNumber, LostDigits) as exc:
            self.errors.append(RowError(row.line, written, str(exc).rstrip(".")))
            return
        first = self.first_lines.setdefault(number, row.line)
        if first != row.line:
            self.duplicates.append(Duplicate(row.line, number, first))
            return
        values = {name: cell for name, cell in zip(self.names, row.cells, strict=False) if name}
        kept = {name: values.get(name, "") for name in self.keep} if self.keep else _NONE
        try:
            text = self.template.fill(values)
        except MissingFields as exc:
            del self.first_lines[number]  # a later row with this number may still make a text
            self.errors.append(RowError(row.line, written, _missing(exc)))
            return
        country = country_of(number) or ""
        self.rows.append(BulkRow(row.line, number, country, text, kept, parsed(number)))


def _number(written: str, region: str) -> str:
    if not written:
        raise InvalidNumber("the number cell is empty")
    if written.startswith(_FORMULA_GUARD):  # a CSV the bridge wrote: its formula guard off
        written = written[1:]
    return parse_number(unscientific(written), default_region=region)


def _missing(exc: MissingFields) -> str:
    listed = " and ".join(f"{{{name}}}" for name in exc.names)
    verb = "is" if len(exc.names) == 1 else "are"
    return f"the message needs {listed}, which {verb} empty in this row"
