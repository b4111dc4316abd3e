"""The store's flow operations, once for both backends: a customer's state in a dialogue flow
(``bridge.flows``), read with the inbound context and saved in the transaction that marks
their text routed. A save names the version it was decided on; when another text saved
first (two bridges on one PostgreSQL database, each with one of the customer's texts),
``FlowConflict`` rolls the whole outcome back and the text is decided again on the newer
state. The SQL is named in ``bridge/store/queries/flows.sql``."""

from __future__ import annotations

import json
from typing import Any

from bridge.models import FlowState, FlowUpdate
from bridge.store.queries import Q
from bridge.store.rows import dt
from bridge.store.statements import Op, all_rows, count, one_row

__all__ = ["FlowConflict", "save", "state", "states"]


class FlowConflict(RuntimeError):
    """The flow state changed since the text was decided on: decide it again."""


def state(customer: str, reply_number: str) -> Op[FlowState | None]:
    row = yield one_row(Q.flow_state, customer, reply_number)
    return None if row is None else _state(row)


def states(limit: int) -> Op[list[tuple[str, str, FlowState]]]:
    """The latest saved states: (customer, reply number, state), newest first."""
    rows = yield all_rows(Q.flow_states, limit)
    return [(str(r["customer_number"]), str(r["reply_number"]), _state(r)) for r in rows]


def save(customer: str, reply_number: str, update: FlowUpdate, inbound_id: str) -> Op[None]:
    """Save ``update`` over the version it expects, or raise ``FlowConflict``."""
    new, expected = update.state, update.expected
    if update.keep:  # a text routed past the flows, decided on this version of the state
        now = yield from state(customer, reply_number)
        changed = int((now.version if now else None) == expected)
    elif new is None:
        changed = 1
        if expected is not None:
            changed = yield count(Q.flow_delete, customer, reply_number, expected)
    elif expected is None:
        changed = yield count(Q.flow_insert, customer, reply_number, *_values(new), inbound_id)
    else:
        values = (*_values(new), inbound_id, customer, reply_number, expected)
        changed = yield count(Q.flow_update, *values)
    if not changed:
        raise FlowConflict(f"the flow state of this customer changed after version {expected}")


def _values(new: FlowState) -> tuple[object, ...]:
    answers = json.dumps([list(pair) for pair in new.answers])
    return (new.flow, new.step, new.status, answers, new.failures, new.updated_at.timestamp())


def _state(row: Any) -> FlowState:
    updated = dt(row["updated_at"])
    assert updated is not None
    return FlowState(
        flow=str(row["flow"]),
        step=str(row["step"]),
        status=str(row["status"]),
        answers=tuple((str(k), str(v)) for k, v in json.loads(row["answers"])),
        failures=int(row["failures"]),
        updated_at=updated,
        version=int(row["version"]),
    )
