"""The admin page's dialogue flows: each flow of the settings in use, step by step (what it
says, its choices, answers and questions, where each leads), as ``smsbridge flows show``
prints it. Read only: a flow is changed in the settings file and reloaded. Served under
``/admin`` by ``bridge.web.admin``, behind its guard; every value is HTML-escaped.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bridge.settings.flows import FlowSettings, FlowStep
from bridge.settings.root import Settings
from bridge.web.console_common import header
from bridge.web.guarded import Guard, Render, guarded

__all__ = ["flows_routes"]


def flows_routes(*, guard: Guard, render: Render, settings: Callable[[], Settings]) -> list[Route]:
    """``GET /admin/flows``."""

    async def page(request: Request) -> Response:
        flows = settings().flows
        top = header(request, "smsbridge admin: dialogue flows")  # the console's links
        if not flows:
            shown = (
                '<p id="flows-none">No flows: add [[flows]] to the settings (docs/flows.md).</p>'
            )
        else:
            shown = "".join(_flow(flow) for flow in flows)
        return render("Flows: smsbridge admin", f"{top}<main>{shown}</main>")

    return [Route("/admin/flows", guarded(guard, page), methods=["GET"])]


def _flow(flow: FlowSettings) -> str:
    words = ", ".join(w.upper() for w in flow.keywords)
    numbers = ", ".join(flow.numbers) or "every reply number"
    facts = [
        f"Started by {words} on {numbers}; ends after {flow.timeout_minutes:g} minutes idle.",
        f"Hands over on {', '.join(flow.handover_words) or 'no words'}"
        f" (asked for a person), on {', '.join(flow.escalate_words) or 'no words'},"
        f" after {flow.max_failures} wrong answer(s), or when a FAQ has no answer.",
        f"Answers emailed to {', '.join(flow.notify) or 'nobody'}"
        + (f" and POSTed to {flow.webhook}" if flow.webhook else "")
        + ".",
    ]
    head = "<tr><th>Step</th><th>Kind</th><th>Says</th><th>Takes</th></tr>"
    rows = "".join(_step(step) for step in flow.steps)
    paragraphs = "".join(f"<p>{escape(fact)}</p>" for fact in facts)
    name = escape(flow.name)
    return (
        f'<section class="flow" id="flow-{name}"><h2>{name}</h2>{paragraphs}'
        f"<table>{head}{rows}</table></section>"
    )


def _step(step: FlowStep) -> str:
    takes = [f"{' / '.join(c.words)} → {c.goto}" for c in step.choices]
    takes += [f"{' / '.join((*a.keywords, *a.questions))}: {a.answer}" for a in step.answers]
    if step.kind == "ask":
        takes.append(f"{step.field}: a {step.value} → {step.next}")
    elif step.next:
        takes.append(f"then → {step.next}")
    cells = (step.id, step.kind, step.say, "\n".join(takes))
    return "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in cells) + "</tr>"
