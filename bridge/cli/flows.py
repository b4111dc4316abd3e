"""``smsbridge flows``: the dialogue flows of the settings, one of them step by step, and a
scripted conversation played against them (``bridge.flows.script``)."""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bridge.cli.common import EXIT_FAILED, read_settings
from bridge.cli.where import UsageError
from bridge.flows.script import ScriptError, play_script
from bridge.routing.explain import parse_at
from bridge.settings.flows import FlowSettings, FlowStep
from bridge.settings.root import Settings

__all__ = ["cmd_flows", "cmd_flows_show", "cmd_flows_test", "format_flow"]


def cmd_flows(args: argparse.Namespace) -> int:
    settings = read_settings(args.config)
    if args.json:
        for flow in settings.flows:
            print(json.dumps(flow.model_dump(mode="json"), ensure_ascii=False))
        return 0
    if not settings.flows:
        print("No flows: add [[flows]] to the settings (docs/flows.md).")
        return 0
    width = max(len("NAME"), *(len(f.name) for f in settings.flows))
    print(f"{'NAME':<{width}}  {'KEYWORDS':<20}  {'STEPS':>5}  NUMBERS")
    for flow in settings.flows:
        words = ", ".join(w.upper() for w in flow.keywords)
        numbers = ", ".join(flow.numbers) or "all"
        print(f"{flow.name:<{width}}  {words:<20}  {len(flow.steps):>5}  {numbers}")
    return 0


def cmd_flows_show(args: argparse.Namespace) -> int:
    settings = read_settings(args.config)
    flow = next((f for f in settings.flows if f.name == args.name), None)
    if flow is None:
        known = ", ".join(f.name for f in settings.flows) or "none are set up"
        print(f"There is no flow called {args.name!r}; the flows are: {known}.")
        return EXIT_FAILED
    print(
        json.dumps(flow.model_dump(mode="json"), ensure_ascii=False)
        if args.json
        else format_flow(flow)
    )
    return 0


def cmd_flows_test(args: argparse.Namespace) -> int:
    settings = read_settings(args.config)
    number = args.number or _default_number(settings)
    reply_number = settings.reply_number(number)
    zone = reply_number.timezone if reply_number else "UTC"
    at = parse_at(args.at, zone) if args.at else datetime.now(ZoneInfo(zone))
    try:
        script = Path(args.script).read_text(encoding="utf-8")
        result = play_script(
            script, settings.flows, number=number, at=at.astimezone(ZoneInfo(zone))
        )
    except (OSError, ScriptError) as exc:
        raise UsageError(str(exc)) from None
    print("\n".join(result.lines))
    for failure in result.failures:
        print(f"{args.script}:{failure}")
    if result.failures:
        print(f"{len(result.failures)} expected answer(s) differ.")
        return EXIT_FAILED
    return 0


def _default_number(settings: Settings) -> str:
    """The first number a flow names, else the first of [[numbers]]."""
    for flow in settings.flows:
        if flow.numbers:
            return flow.numbers[0]
    if settings.numbers:
        return settings.numbers[0].number
    raise UsageError("name the reply number the customer texts: --number +447700900100")


def format_flow(flow: FlowSettings) -> str:
    numbers = ", ".join(flow.numbers) or "every reply number"
    lines = [
        f"Flow {flow.name}: started by {', '.join(w.upper() for w in flow.keywords)} on {numbers}",
        f"Ends after {flow.timeout_minutes:g} minutes idle; hands over after"
        f" {flow.max_failures} wrong answer(s) at a step, on {_words(flow.handover_words)}"
        f" (asked for a person) and on {_words(flow.escalate_words)}; fuzzy matches from"
        f" {flow.fuzzy_threshold:g}.",
        f"At the end: answers to {', '.join(flow.notify) or 'nobody by email'}"
        + (f" and {flow.webhook}" if flow.webhook else "")
        + ("; resumes after a person closes the conversation" if flow.resume else "")
        + ".",
        "Steps:",
    ]
    for step in flow.steps:
        lines += _step(step)
    return "\n".join(lines)


def _words(words: tuple[str, ...]) -> str:
    return ", ".join(repr(w) for w in words) or "no words"


def _step(step: FlowStep) -> list[str]:
    lines = [
        f"  {step.id} ({step.kind}): {step.say!r}" if step.say else f"  {step.id} ({step.kind})"
    ]
    for choice in step.choices:
        lines.append(f"    {' / '.join(choice.words)} -> {choice.goto}")
    for answer in step.answers:
        found = [*answer.keywords, *(f"~{q}" for q in answer.questions)]
        lines.append(f"    {' / '.join(found)}: {answer.answer!r}")
    if step.kind == "ask":
        check = f"{step.value} {step.pattern!r}" if step.value == "regex" else step.value
        lines.append(f"    {step.field} = a {check} -> {step.next}")
    elif step.next:
        lines.append(f"    then -> {step.next}")
    if step.retry:
        lines.append(f"    retry: {step.retry!r}")
    return lines
