"""The flow engine: one pure function from a customer's text, the stored state and the time
to what the bridge answers and the state after.

``play`` is called for a text that STOP, START, HELP, campaigns and a live conversation with
a person did not take. In order:

1. A state the flow's ``timeout_minutes`` left idle is forgotten; so is one whose flow or
   step the settings no longer have.
2. A flow handed over to a person is silent (the text is routed as any other, to the route's
   inbox or the person who answered) until that person closes the conversation; then, with
   ``resume``, the text is an answer to the step where the flow stopped (or, when it does
   not fit, the step is asked again). An entry keyword after the timeout starts afresh.
3. In a flow, a hand-over word ("agent") or an escalation word ("complaint") anywhere in
   the text hands over; otherwise the step takes the text: a menu's choice or an ask's valid
   value goes on, a FAQ answers (nothing in the FAQ matches: hand over at once), a text that
   does not fit is asked again with the retry text, ``max_failures`` times at most, then
   handed over.
4. Not in a flow, a flow's entry keyword (the whole text) on a number it runs on starts it.

Everything else returns None: routing decides. Each ``Turn`` says why in ``decisions``
(which step, which phrase matched, how, with what score), for the inbound text's explanation
and ``smsbridge flows test``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bridge.flows.matching import Match, best_match, contains, words_of
from bridge.flows.values import check_value
from bridge.models import FlowState
from bridge.parsing.keywords import whole_text_keyword
from bridge.settings.flows import FlowSettings, FlowStep

__all__ = ["ACTIVE", "HANDED_OVER", "Turn", "play"]

ACTIVE = "active"
HANDED_OVER = "handed over"


@dataclass(frozen=True, slots=True, kw_only=True)
class Turn:
    """What a flow does with one text: ``say`` it (may be ""), keep ``state`` (None: the flow
    is over), hand over to a person for ``handover`` (the reason), and on reaching an end
    step report ``finished`` (the answers collected)."""

    flow: FlowSettings
    say: str
    state: FlowState | None
    handover: str = ""
    finished: tuple[tuple[str, str], ...] | None = None
    decisions: tuple[str, ...] = ()


def play(
    flows: tuple[FlowSettings, ...],
    state: FlowState | None,
    text: str,
    *,
    reply_number: str,
    at: datetime,
    closed_at: datetime | None = None,
) -> Turn | None:
    """The flow's turn on ``text``, or None when no flow takes it. ``at`` is aware and in the
    zone dates are read in; ``closed_at`` is when a person last closed the conversation."""
    flow = _flow_of(flows, state)
    if state is not None and flow is not None and flow.step(state.step) is not None:
        idle = at - state.updated_at > timedelta(minutes=flow.timeout_minutes)
        if state.status == HANDED_OVER:
            if closed_at is not None and closed_at >= state.updated_at and flow.resume:
                return _resume(flow, state, text, at=at)
            if not idle or _entry(flows, text, reply_number) is None:
                return None
        elif not idle:
            return _answer(flow, state, text, at=at)
    started = _entry(flows, text, reply_number)
    if started is None:
        return None
    note = f"flow {started.name!r}: started by the keyword {whole_text_keyword(text).upper()}"
    return _enter(started, started.steps[0], (), at=at, decisions=(note,))


def _flow_of(flows: tuple[FlowSettings, ...], state: FlowState | None) -> FlowSettings | None:
    return next((f for f in flows if state is not None and f.name == state.flow), None)


def _entry(flows: tuple[FlowSettings, ...], text: str, number: str) -> FlowSettings | None:
    word = whole_text_keyword(text)
    return next((f for f in flows if word in f.keywords and f.runs_on(number)), None)


def _enter(
    flow: FlowSettings,
    step: FlowStep,
    answers: tuple[tuple[str, str], ...],
    *,
    at: datetime,
    decisions: tuple[str, ...],
    before: str = "",
) -> Turn:
    """Reach ``step``: say its text (after ``before``); an end step finishes the flow."""
    say = "\n\n".join(part for part in (before, step.say) if part)
    if step.kind == "end":
        done = (*decisions, f"flow {flow.name!r}: ended at step {step.id!r}")
        return Turn(flow=flow, say=say, state=None, finished=answers, decisions=done)
    state = FlowState(flow=flow.name, step=step.id, answers=answers, updated_at=at)
    return Turn(flow=flow, say=say, state=state, decisions=(*decisions, f"now at {step.id!r}"))


def _answer(flow: FlowSettings, state: FlowState, text: str, *, at: datetime) -> Turn:
    step = flow.step(state.step)
    assert step is not None
    where = f"flow {flow.name!r} step {step.id!r}"
    words = words_of(text)
    for phrase in flow.handover_words:
        if contains(words, phrase):
            return _hand_over(flow, state, f"the customer asked for a person ({phrase!r})", at)
    for phrase in flow.escalate_words:
        if contains(words, phrase):
            return _hand_over(flow, state, f"the text mentions {phrase!r}", at)
    if step.kind == "menu":
        return _menu(flow, state, step, text, at=at, where=where)
    if step.kind == "faq":
        return _faq(flow, state, step, text, at=at, where=where)
    return _ask(flow, state, step, text, at=at, where=where)


def _menu(
    flow: FlowSettings, state: FlowState, step: FlowStep, text: str, *, at: datetime, where: str
) -> Turn:
    candidates = [(choice.words, ()) for choice in step.choices]
    found = best_match(text, candidates, threshold=flow.fuzzy_threshold)
    if found is None:
        return _failed(flow, state, step, at, f"{where}: no choice matches")
    goto = step.choices[found.index].goto
    note = f"{where}: choice {found.index + 1} {_how(found)} -> step {goto!r}"
    return _go(flow, state, goto, at=at, decisions=(note,))


def _faq(
    flow: FlowSettings, state: FlowState, step: FlowStep, text: str, *, at: datetime, where: str
) -> Turn:
    candidates = [(answer.keywords, answer.questions) for answer in step.answers]
    found = best_match(text, candidates, threshold=flow.fuzzy_threshold)
    if found is None:
        reason = f"nothing in the FAQ of step {step.id!r} matches"
        return _hand_over(flow, state, reason, at)
    answer = step.answers[found.index].answer
    note = f"{where}: answer {found.index + 1} {_how(found)}"
    if step.next:
        return _go(flow, state, step.next, at=at, decisions=(note,), before=answer)
    stay = replace(state, failures=0, updated_at=at)
    return Turn(flow=flow, say=answer, state=stay, decisions=(note, f"still at {step.id!r}"))


def _ask(
    flow: FlowSettings, state: FlowState, step: FlowStep, text: str, *, at: datetime, where: str
) -> Turn:
    value = check_value(step.value, text, pattern=step.pattern, at=at)
    if value is None:
        return _failed(flow, state, step, at, f"{where}: not a valid {step.value}")
    answers = (*((k, v) for k, v in state.answers if k != step.field), (step.field, value))
    note = f"{where}: {step.field} = {value!r}"
    return _go(flow, replace(state, answers=answers), step.next, at=at, decisions=(note,))


def _go(
    flow: FlowSettings,
    state: FlowState,
    step_id: str,
    *,
    at: datetime,
    decisions: tuple[str, ...],
    before: str = "",
) -> Turn:
    step = flow.step(step_id)
    assert step is not None  # the settings check every goto and next
    return _enter(flow, step, state.answers, at=at, decisions=decisions, before=before)


def _failed(flow: FlowSettings, state: FlowState, step: FlowStep, at: datetime, why: str) -> Turn:
    failures = state.failures + 1
    if failures >= flow.max_failures:
        reason = f"step {step.id!r} did not understand the answer {failures} times"
        return _hand_over(flow, state, reason, at, decisions=(why,))
    again = step.retry or f"Sorry, I did not understand that. {step.say}".strip()
    kept = replace(state, failures=failures, updated_at=at)
    return Turn(flow=flow, say=again, state=kept, decisions=(why, f"asked again ({failures})"))


def _hand_over(
    flow: FlowSettings,
    state: FlowState,
    reason: str,
    at: datetime,
    *,
    decisions: tuple[str, ...] = (),
) -> Turn:
    kept = replace(state, status=HANDED_OVER, failures=0, updated_at=at)
    note = f"flow {flow.name!r}: handed over to a person: {reason}"
    return Turn(
        flow=flow,
        say=flow.handover_say,
        state=kept,
        handover=reason,
        decisions=(*decisions, note),
    )


def _resume(flow: FlowSettings, state: FlowState, text: str, *, at: datetime) -> Turn:
    """After a person closed the conversation: the text answers the step it stopped at."""
    active = replace(state, status=ACTIVE, failures=0)
    turn = _answer(flow, active, text, at=at)
    note = f"flow {flow.name!r}: resumed at {state.step!r} after the conversation was closed"
    words = words_of(text)
    asked = any(contains(words, p) for p in (*flow.handover_words, *flow.escalate_words))
    if not asked and (turn.handover or (turn.state is not None and turn.state.failures)):
        step = flow.step(state.step)
        assert step is not None
        again = replace(active, updated_at=at)
        return Turn(flow=flow, say=step.say, state=again, decisions=(note, "asked again"))
    return replace(turn, decisions=(note, *turn.decisions))


def _how(found: Match) -> str:
    return f"({found.how} match on {found.phrase!r}, score {found.score:.2f})"
