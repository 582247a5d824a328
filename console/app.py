"""The web console's application: ``create_app(store_url, results)``.

Everything it shows comes from the scorecard store (redacted transcripts, outcomes, scores)
and the redacted recordings in ``results``; it serves no file from elsewhere (no CDN).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from console import audit
from console.audio import AudioSource
from console.auth import COOKIE, CookieSigner, fingerprint
from console.cache import AggregateCache
from console.permissions import ConsoleError, NotSignedIn, Principal, nav_for
from console.present import clock, percent
from console.services import Ctx
from storage.database import Store
from storage.schema import User

log = logging.getLogger("console")
HERE = Path(__file__).parent
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        b"media-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; "
        b"form-action 'self'",
    ),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"x-content-type-options", b"nosniff"),
]


class ConsoleMiddleware:
    """Cross-site request check, security headers and a Server-Timing header.

    Every state-changing request must come from the console's own pages: its Origin (or,
    failing that, its Referer) must name the host it was sent to. With the samesite=strict
    session cookie this is the CSRF defence; no form needs a token.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        if scope["method"] not in SAFE_METHODS and not _same_origin(scope):
            response = JSONResponse(
                {"detail": "cross-site request refused: Origin does not match this console"},
                status_code=403,
            )
            await response(scope, receive, send)
            return

        async def timed_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                elapsed = (time.perf_counter() - started) * 1000
                headers = list(message.get("headers", []))
                headers.append((b"server-timing", f"app;dur={elapsed:.1f}".encode()))
                headers.extend(SECURITY_HEADERS)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, timed_send)


def _same_origin(scope: Scope) -> bool:
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
    host = headers.get("host", "")
    claimed = headers.get("origin") or headers.get("referer")
    if not claimed or claimed == "null":
        return False
    return urlsplit(claimed).netloc == host


def client_of(request: Request) -> str | None:
    return request.client.host if request.client else None


def principal(request: Request, session: Any) -> Principal:
    """The signed-in user, from the session cookie; ``NotSignedIn`` if there is none, it
    is forged or expired, the account is disabled or its password changed since."""
    data = request.app.state.signer.loads(request.cookies.get(COOKIE))
    if data is None:
        raise NotSignedIn("sign in first")
    user = session.get(User, data.username)
    if user is None or not user.active or fingerprint(user) != data.fingerprint:
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
    if _wants_json(request):
        status = exc.status
        headers = {"WWW-Authenticate": "Cookie"} if status == 401 else None
        return JSONResponse({"detail": message}, status_code=status, headers=headers)
    if isinstance(exc, NotSignedIn):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(
        request,
        "error.html",
        {"who": who, "nav": nav_for(who) if who else [], "status": exc.status, "message": message},
        status_code=exc.status,
    )


def create_app(
    store_url: str | Store,
    results: AudioSource,
    policy_path: str | Path | None = None,
    *,
    secret: str | bytes | None = None,
    secure_cookies: bool = False,
    pack_path: str | Path | None = None,
) -> FastAPI:
    """The console over the store at ``store_url`` and the redacted audio in ``results``.

    ``secret`` signs session cookies (default: a random one, so sessions end with the
    process); ``secure_cookies`` marks them HTTPS-only (set it behind TLS).
    """
    from console import api, pages
    from rules.pack import default_pack_path, load_pack
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
    app.state.signer = CookieSigner(secret)
    app.state.secure_cookies = secure_cookies
    app.state.aggregates = AggregateCache()
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.globals.update(clock=clock, percent=percent, titles=app.state.rule_titles)
    app.state.templates = templates

    app.add_middleware(ConsoleMiddleware)
    app.add_exception_handler(ConsoleError, _error_handler)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(api.router)
    app.include_router(pages.router)

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

    return app
