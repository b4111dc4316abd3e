"""One text's timeline in the console, and what an administrator may do to it: retry a text
that reached nobody, cancel one still waiting, reveal its number.

The timeline is what the store keeps of the text: when it was accepted and what each rule of
the outbound chain did (``sms_jobs.chain``), its attempts, the provider that took it and its
id there, the last error, the delivery report's state, and every console action on it (the
audit log). Retry and cancel each have a confirmation page; the POST that does it carries
the session's CSRF token (checked in ``bridge.web.admin``) and is written to the audit log
by the store, with what came of it, in the same transaction. The number is masked unless
the administrator presses "Reveal", a POST that is audited too; the revealed page is that
POST's answer, so no URL shows a whole number.
"""

from __future__ import annotations

from dataclasses import replace
from html import escape

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bridge.models import JobState, LinkClicks, SmsJob
from bridge.parsing.numbers import mask
from bridge.store.console_records import AuditEntry
from bridge.web.console_common import Pages, audit_entry, header, when
from bridge.web.guarded import guarded
from bridge.web.sessions import csrf_input

__all__ = ["RETRYABLE", "timeline_routes"]

RETRYABLE = frozenset({JobState.FAILED, JobState.UNDELIVERED})
_ACTIONS = {
    "retry": (
        "Retry",
        "queue it again from its first attempt: it will be sent again, through the same"
        " providers, and its author told again if it fails",
    ),
    "cancel": ("Cancel", "cancel it: it will not be sent"),
}
_SAID = {
    "retry-done": "The text is queued again.",
    "retry-gone": "The text was not retried: it is no longer failed or undelivered.",
    "cancel-done": "The text was cancelled: it will not be sent.",
    "cancel-gone": "The text was not cancelled: it is no longer waiting (or a provider may have it).",
}


def timeline_routes(pages: Pages) -> list[Route]:
    """``GET /admin/texts/{id}``, its retry and cancel (GET: confirm; POST: do) and
    ``POST /admin/texts/{id}/reveal``."""

    async def timeline(request: Request) -> Response:
        return await _show(request, pages, reveal=False)

    async def reveal(request: Request) -> Response:
        job_id = request.path_params["job_id"][:80]
        if await pages.store.get_sms(job_id) is None:
            return _missing(request, pages)
        entry = audit_entry(request, at=pages.clock(), action="reveal", job_id=job_id)
        await pages.store.write_audit(replace(entry, detail="the number was shown"))
        return await _show(request, pages, reveal=True)

    async def confirm(request: Request) -> Response:
        job_id, action = request.path_params["job_id"][:80], request.url.path.rsplit("/", 1)[1]
        job = await pages.store.get_sms(job_id)
        if job is None:
            return _missing(request, pages)
        return pages.render(
            f"{_ACTIONS[action][0]} {job_id}: smsbridge admin", _confirm(request, job, action)
        )

    async def act(request: Request) -> Response:
        job_id, action = request.path_params["job_id"][:80], request.url.path.rsplit("/", 1)[1]
        now = pages.clock()
        entry = audit_entry(request, at=now, action=action, job_id=job_id)
        if action == "retry":
            done = await pages.store.retry_sms(job_id, now=now, entry=entry)
        else:
            done = await pages.store.cancel_sms_audited(job_id, now=now, entry=entry)
        said = f"{action}-{'done' if done else 'gone'}"
        return RedirectResponse(f"/admin/texts/{job_id}?done={said}", status_code=303)

    async def confirm_or_act(request: Request) -> Response:
        """GET: the confirmation page; POST (its form, with the CSRF token): do it."""
        return await (confirm if request.method == "GET" else act)(request)

    path = "/admin/texts/{job_id}"
    return [
        Route(path, guarded(pages.guard, timeline), methods=["GET"]),
        Route(path + "/reveal", guarded(pages.guard, reveal), methods=["POST"]),
        Route(path + "/retry", guarded(pages.guard, confirm_or_act), methods=["GET", "POST"]),
        Route(path + "/cancel", guarded(pages.guard, confirm_or_act), methods=["GET", "POST"]),
    ]


def _missing(request: Request, pages: Pages) -> Response:
    body = (
        f"{header(request, 'smsbridge admin: text')}<main><section>"
        '<p class="error">No such text is stored (it may have been purged).</p>'
        '<p><a href="/admin/history">Back to the history</a></p></section></main>'
    )
    response = pages.render("No such text: smsbridge admin", body)
    response.status_code = 404
    return response


async def _show(request: Request, pages: Pages, *, reveal: bool) -> Response:
    job_id = request.path_params["job_id"][:80]
    job = await pages.store.get_sms(job_id)
    if job is None:
        return _missing(request, pages)
    audits = await pages.store.audit_of(job.id)
    clicks = (await pages.store.job_clicks([job.id])).get(job.id)
    said = _SAID.get(request.query_params.get("done", ""), "")
    note = f'<p id="text-said">{escape(said)}</p>' if said else ""
    body = (
        f"{header(request, 'smsbridge admin: text')}<main><section><h2>Text {escape(job.id)}"
        f"</h2>{note}{_summary(request, job, reveal, clicks)}{_buttons(job)}</section>"
        f"<section><h2>Timeline</h2>{_timeline(job, audits, clicks)}</section>"
        f'<section><h2>Text</h2><pre id="text-body">{escape(job.text)}</pre></section></main>'
    )
    return pages.render(f"Text {job.id}: smsbridge admin", body)


def _summary(request: Request, job: SmsJob, reveal: bool, clicks: LinkClicks | None) -> str:
    if reveal:
        number = f'<span id="number">{escape(job.to_number)}</span>'
    else:
        number = (
            f'<span id="number">{escape(mask(job.to_number))}</span> '
            f'<form class="inline-button" method="post" action="/admin/texts/{escape(job.id)}/reveal">'
            f'{csrf_input(request)}<button id="reveal" type=submit>Reveal</button></form>'
        )
    items: tuple[tuple[str, str], ...] = (
        ("To", number),
        ("From", escape(job.sender)),
        ("Author", escape(job.author or "-")),
        ("Subject", escape(job.subject)),
        ("State", f'<span class="state {job.state.value}">{job.state.value}</span>'),
        ("Category", escape(job.category)),
        ("Segments", f"{job.segments} ({escape(job.encoding)})"),
    )
    if clicks is not None and clicks.links:
        items += (("Short links", f'<span id="clicks">{escape(_clicks(clicks))}</span>'),)
    rows = "".join(f"<tr><th>{label}</th><td>{value}</td></tr>" for label, value in items)
    return f'<table id="text-summary">{rows}</table>'


def _buttons(job: SmsJob) -> str:
    links = []
    if job.state in RETRYABLE:
        links.append(f'<a id="retry" href="/admin/texts/{escape(job.id)}/retry">Retry…</a>')
    if job.state is JobState.QUEUED and job.maybe_sent_via is None:
        links.append(f'<a id="cancel" href="/admin/texts/{escape(job.id)}/cancel">Cancel…</a>')
    return f"<p>{' · '.join(links)}</p>" if links else ""


def _clicks(clicks: LinkClicks) -> str:
    """``2 links: 3 clicks (1 by previews or scanners, not counted)``."""
    links = f"{clicks.links} link{'' if clicks.links == 1 else 's'}"
    counted = f"{clicks.clicks} click{'' if clicks.clicks == 1 else 's'}"
    if not clicks.not_counted:
        return f"{links}: {counted}"
    return f"{links}: {counted} ({clicks.not_counted} by previews or scanners, not counted)"


def _timeline(job: SmsJob, audits: list[AuditEntry], clicks: LinkClicks | None = None) -> str:
    events = [(job.created_at.timestamp(), "accepted", _accepted(job))]
    if clicks is not None and clicks.first_click is not None:
        events.append((clicks.first_click.timestamp(), "clicked", "first click on a short link"))
    if job.attempts or job.in_doubt or job.maybe_sent_via:
        events.append((job.updated_at.timestamp(), "attempts", _attempts(job)))
    if job.provider:
        answer = f"{job.provider} took it as {job.provider_message_id or '(no id)'}"
        if job.price:
            answer += f", price {job.price}"
        events.append((job.updated_at.timestamp(), "provider", answer))
    if job.error or job.error_code:
        error = " ".join(part for part in (job.error_code, job.error) if part)
        events.append((job.updated_at.timestamp(), "last error", error))
    events.append((job.updated_at.timestamp(), "state", _state(job)))
    for entry in audits:
        said = f"{entry.action} by {entry.who} from {entry.address}: {entry.detail}"
        events.append((entry.at.timestamp(), "console", said))
    ordered = [event for _, _, event in sorted((e[0], i, e) for i, e in enumerate(events))]
    rows = "".join(
        f'<tr class="{escape(kind.replace(" ", "-"))}"><td>{escape(when(at))}</td>'
        f"<td>{escape(kind)}</td><td>{escape(what)}</td></tr>"
        for at, kind, what in ordered
    )
    note = (
        "<p>The store keeps each text's latest state, its last error and how many attempts"
        " it took, not each attempt; console actions come from the audit log.</p>"
    )
    return f'<table id="timeline"><tr><th>When (UTC)</th><th></th><th>What</th></tr>{rows}</table>{note}'


def _accepted(job: SmsJob) -> str:
    chain = (
        "; ".join(f"{hit.rule}: {hit.action} ({hit.detail})" for hit in job.chain)
        or "every rule of the outbound chain accepted it"
    )
    return f"from {job.author or 'the bridge'}, message {job.message_id}; {chain}"


def _attempts(job: SmsJob) -> str:
    said = f"{job.attempts} attempt{'s' if job.attempts != 1 else ''}"
    if job.in_doubt:
        said += "; a claim was taken over after a bridge stopped mid-send"
    if job.maybe_sent_via:
        said += f"; {job.maybe_sent_via} may have it (its answer never came)"
    if job.state is JobState.QUEUED and job.next_attempt_at is not None:
        said += f"; next try {when(job.next_attempt_at)}"
    return said


def _state(job: SmsJob) -> str:
    if job.state in (JobState.DELIVERED, JobState.UNDELIVERED):
        return f"{job.state.value} (the provider's delivery report)"
    return job.state.value


def _confirm(request: Request, job: SmsJob, action: str) -> str:
    label, what = _ACTIONS[action]
    form = (
        f'<form method="post" action="/admin/texts/{escape(job.id)}/{action}">'
        f'{csrf_input(request)}<button id="confirm" type=submit>{label} this text</button></form>'
    )
    back = f'<p><a href="/admin/texts/{escape(job.id)}">No, back to the text</a></p>'
    return (
        f"{header(request, 'smsbridge admin: confirm')}<main><section><h2>{label} text "
        f"{escape(job.id)}?</h2><p>To {escape(mask(job.to_number))} from {escape(job.author)},"
        f" now {job.state.value}: {escape(what)}.</p>{form}{back}</section></main>"
    )
