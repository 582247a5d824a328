"""The Live page (issue 12): calls in progress with their rolling redacted transcript and
the alerts raised on them, for QA leads and supervisors (see ``console.live_stream``).

``GET /live`` renders the page (it works without JavaScript: a refresh shows what is new);
``GET /live/stream`` sends what is written after that as Server-Sent Events, polling the
store every ``poll_seconds``. Each event's id is the stream's position, so a reconnecting
``EventSource`` resumes after the last event it got (``Last-Event-ID``). A stream lasts
``stream_seconds`` at most, then the browser reconnects; before every poll the session is
checked again, so signing out, a disabled account or a changed role or team takes effect
within one poll. Every page read and every stream is audited with the calls it showed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from console import audit
from console.app import client_of, context, principal, render
from console.live_stream import (
    EventMark,
    LiveScope,
    StreamState,
    can_listen,
    live_page,
    poll,
)
from console.permissions import ConsoleError

router = APIRouter(include_in_schema=False)
CallParam = Query(default=None, max_length=128)


@dataclass(frozen=True)
class LiveSettings:
    poll_seconds: float = 0.5
    stream_seconds: float = 300.0  # then the browser reconnects, resuming where it was
    per_call_segments: int = 100  # the rolling transcript's length on the page
    refresh_seconds: int = 10  # the page's own refresh, for browsers without JavaScript


def install(app: FastAPI, settings: LiveSettings | None = None) -> None:
    """Adds the Live page to the console ``app`` (and its link to the navigation)."""
    app.state.live_settings = settings or LiveSettings()
    app.state.templates.env.globals["can_listen"] = can_listen
    app.include_router(router)


def _settings(request: Request) -> LiveSettings:
    settings: LiveSettings = request.app.state.live_settings
    return settings


def _call_param(call_id: str | None) -> dict[str, str]:
    return {"call": call_id} if call_id else {}


def _target(call_id: str | None) -> str:
    return f"live:{call_id}" if call_id else "live"


@router.get("/live")
def live_page_view(request: Request, call: str | None = CallParam) -> Response:
    settings = _settings(request)
    with context(request) as ctx:
        scope = LiveScope.of(ctx.who)
        page = live_page(ctx.session, scope, call, settings.per_call_segments)
        shown = [v.call.id for v in page.calls]
        ctx.audit("view_live", _target(call), detail="calls shown: " + ", ".join(shown))
        return render(
            request,
            "live.html",
            ctx.who,
            page=page,
            call_id=call,
            stream_url="/live/stream?" + urlencode({"after": page.after, **_call_param(call)}),
            refresh=settings.refresh_seconds,
        )


@router.get("/live/stream")
def live_stream(
    request: Request, call: str | None = CallParam, after: str | None = None
) -> Response:
    """The events after ``Last-Event-ID`` (a reconnect) or ``after`` (the page's mark);
    everything of the calls shown when neither is given. Refusals (not signed in, no live
    access, a call out of scope) are answered before the stream starts."""
    mark = EventMark.decode(request.headers.get("last-event-id") or after)
    with context(request) as ctx:
        scope = LiveScope.of(ctx.who)
        scope.calls(ctx.session, call)  # a call out of scope: 404 now, not an empty stream
    # An EventSource asks for text/event-stream and keeps listening; any other client (a
    # script, curl) gets what there is now and the end of the response.
    listening = "text/event-stream" in request.headers.get("accept", "")
    return StreamingResponse(
        _events(request, call, StreamState.starting_at(mark), listening),
        media_type="text/event-stream",
        # no-store as every console page; no-transform and X-Accel-Buffering keep proxies
        # from holding events back
        headers={"Cache-Control": "no-store, no-transform", "X-Accel-Buffering": "no"},
    )


async def _events(
    request: Request, call_id: str | None, state: StreamState, listening: bool
) -> AsyncIterator[str]:
    settings = _settings(request)
    deadline = time.monotonic() + (settings.stream_seconds if listening else 0.0)
    yield f"retry: {int(max(settings.poll_seconds, 1.0) * 2000)}\n\n"
    first = True
    while True:
        try:
            events = await run_in_threadpool(_poll_once, request, call_id, state, first)
        except ConsoleError as exc:
            # signed out, the role or team changed, the call no longer visible: the stream
            # ends with why, and the page stops listening
            reason = " ".join(str(exc).split())[:200]
            yield f"event: end\ndata: {reason}\n\n"
            return
        first = False
        for chunk in events:
            yield chunk
        if time.monotonic() >= deadline or await request.is_disconnected():
            return
        await asyncio.sleep(settings.poll_seconds)


def _poll_once(request: Request, call_id: str | None, state: StreamState, first: bool) -> list[str]:
    """One poll in one transaction, with the session checked again and the calls newly
    shown audited in the same transaction as the read."""
    store = request.app.state.store
    with store.session() as session:
        who = principal(request, session)
        scope = LiveScope.of(who)
        events, newly_shown = poll(session, scope, state, call_id, request.app.state.rule_titles)
        if newly_shown:
            audit.record(
                session,
                who,
                "stream_live",
                _target(call_id),
                detail=("calls streamed: " if first else "calls newly streamed: ")
                + ", ".join(newly_shown),
                client=client_of(request),
            )
        elif first:
            audit.record(
                session,
                who,
                "stream_live",
                _target(call_id),
                detail="no calls",
                client=client_of(request),
            )
        return events
