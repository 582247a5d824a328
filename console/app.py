"""The web console's application: ``create_app(store_url, results)``.

Everything it shows comes from the scorecard store (redacted transcripts, outcomes, scores)
and the redacted recordings in ``results``; it serves no file from elsewhere (no CDN).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from console import audit
from console.audio import AudioSource
from console.auth import COOKIE
from console.cache import AggregateCache
from console.middleware import DEFAULT_HOSTS, MAX_BODY_BYTES, ConsoleMiddleware
from console.permissions import ConsoleError, NotSignedIn, Principal, nav_for
from console.present import clock, percent
from console.services import Ctx
from console.signin import SignInRules, SignIns
from storage.database import Store

log = logging.getLogger("console")
HERE = Path(__file__).parent


def client_of(request: Request) -> str | None:
    return request.client.host if request.client else None


def principal(request: Request, session: Any) -> Principal:
    """The signed-in user, from the session cookie; ``NotSignedIn`` if there is none, or
    its session has ended (signed out, idle, expired, the account disabled, removed or its
    password changed)."""
    sign_ins: SignIns = request.app.state.sign_ins
    user = sign_ins.user_of(session, request.cookies.get(COOKIE))
    if user is None:
        raise NotSignedIn("sign in first")
    who = Principal.of(user)
    request.state.who = who
    return who


@contextmanager
def context(request: Request) -> Iterator[Ctx]:
    """A store transaction and the signed-in viewer, for one request."""
    state = request.app.state
    with state.store.session() as session:
        yield Ctx(
            session=session,
            who=principal(request, session),
            policy=state.policy,
            rule_titles=state.rule_titles,
            client=client_of(request),
            cache=state.aggregates,
        )


def render(request: Request, name: str, who: Principal, status: int = 200, **data: Any) -> Response:
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(
        request, name, {"who": who, "nav": nav_for(who), **data}, status_code=status
    )


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ConsoleError)
    message = str(exc) or type(exc).__name__
    who: Principal | None = getattr(request.state, "who", None)
    if exc.status in (403, 404) and who is not None:
        # refused looks are recorded too: who tried to see what
        with request.app.state.store.session() as session:
            audit.record(
                session, who, "denied", request.url.path, detail=message, client=client_of(request)
            )
    headers = {"WWW-Authenticate": "Cookie"} if exc.status == 401 else {}
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:  # a locked sign-in, or too many at once
        headers["Retry-After"] = str(retry_after)
    if _wants_json(request):
        return JSONResponse({"detail": message}, status_code=exc.status, headers=headers)
    if isinstance(exc, NotSignedIn):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(
        request,
        "error.html",
        {"who": who, "nav": nav_for(who) if who else [], "status": exc.status, "message": message},
        status_code=exc.status,
        headers=headers,
    )


def create_app(
    store_url: str | Store,
    results: AudioSource,
    policy_path: str | Path | None = None,
    *,
    secure_cookies: bool = False,
    pack_path: str | Path | None = None,
    allowed_hosts: Iterable[str] = DEFAULT_HOSTS,
    sign_in: SignInRules | None = None,
    max_body_bytes: int = MAX_BODY_BYTES,
) -> FastAPI:
    """The console over the store at ``store_url`` and the redacted audio in ``results``.

    ``secure_cookies`` marks the session cookie HTTPS-only and makes the cross-site check
    expect ``https://`` origins (set it behind TLS). ``allowed_hosts``: the names the
    console answers to (any other Host header gets 400; default: loopback names only).
    ``sign_in``: the throttle, session timeouts and parallel password checks.
    ``max_body_bytes``: larger request bodies get 413.
    """
    from rules.pack_loading import default_pack_path, load_pack
    from rules.policy import load_policy

    app = FastAPI(
        title="callqa console",
        summary="Review queue, call pages, compliance and scorecards (sign-in required).",
        docs_url=None,  # Swagger UI loads from a CDN: the description is at /api/openapi.json
        redoc_url=None,
        openapi_url=None,
    )
    store = store_url if isinstance(store_url, Store) else Store(store_url)
    pack = load_pack(pack_path or default_pack_path())
    app.state.store = store
    app.state.audio = results
    app.state.policy = load_policy(policy_path)
    app.state.rule_titles = {rule.id: rule.title for rule in pack.rules}
    app.state.sign_ins = SignIns(store, sign_in)
    app.state.secure_cookies = secure_cookies
    app.state.aggregates = AggregateCache()
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.globals.update(clock=clock, percent=percent, titles=app.state.rule_titles)
    app.state.templates = templates

    app.add_middleware(
        ConsoleMiddleware,
        allowed_hosts=allowed_hosts,
        https=secure_cookies,
        max_body_bytes=max_body_bytes,
    )
    _install_routes(app)
    return app


def _install_routes(app: FastAPI) -> None:
    """The error pages, static files, the API and the pages, Live and Drivers, and the
    three plain endpoints (health, favicon, the signed-in OpenAPI description)."""
    from console import api, drivers_views, live_views, pages

    app.add_exception_handler(ConsoleError, _error_handler)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(api.router)
    app.include_router(pages.router)
    live_views.install(app)
    drivers_views.install(app)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response(status_code=204)

    @app.get("/api/openapi.json", include_in_schema=False)
    def openapi(request: Request) -> JSONResponse:
        with context(request):
            return JSONResponse(app.openapi())
