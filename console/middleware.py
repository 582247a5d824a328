"""What every request to the console goes through before any route sees it: the Host
header checked against the console's own names (against DNS rebinding), the cross-site
check, the body size limit, and the response headers (security, ``no-store``, timing)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from urllib.parse import urlsplit

from fastapi import HTTPException
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
DEFAULT_HOSTS = ("localhost", "127.0.0.1", "::1")
MAX_BODY_BYTES = 64 * 1024  # the console posts short forms and JSON, never files
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
    """Host check, cross-site check, body limit, security and cache headers, and a
    Server-Timing header.

    Every state-changing request must come from the console's own pages: its Origin (or,
    failing that, its Referer) must name the scheme and host it was sent to. With the
    samesite=strict session cookie this is the CSRF defence; no form needs a token.
    Transcripts and call data are never kept in a browser or proxy cache: everything but
    ``/static`` is sent ``Cache-Control: no-store``.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        allowed_hosts: Iterable[str] = DEFAULT_HOSTS,
        https: bool = False,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self.app = app
        self.allowed_hosts = frozenset(_bare_host(name) for name in allowed_hosts)
        self.https = https
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        cacheable = scope["path"].startswith("/static/")
        response_started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
                elapsed = (time.perf_counter() - started) * 1000
                headers = list(message.get("headers", []))
                headers.append((b"server-timing", f"app;dur={elapsed:.1f}".encode()))
                headers.extend(SECURITY_HEADERS)
                if not cacheable and not any(k.lower() == b"cache-control" for k, _ in headers):
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        refusal = self._refusal(scope)
        if refusal is not None:
            await refusal(scope, receive, send_with_headers)
            return
        try:
            await self.app(scope, self._limited(receive), send_with_headers)
        except HTTPException as exc:  # the body limit, hit outside FastAPI's own handling
            if exc.status_code != 413 or response_started:
                raise
            await _refuse(413, str(exc.detail))(scope, receive, send_with_headers)

    def _refusal(self, scope: Scope) -> JSONResponse | None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        host = headers.get("host", "")
        if _host_name(host) not in self.allowed_hosts:
            return _refuse(400, "unknown Host header: this console answers to its own names only")
        scheme = "https" if self.https else scope.get("scheme", "http")
        if scope["method"] not in SAFE_METHODS and not _same_origin(headers, scheme, host):
            return _refuse(403, "cross-site request refused: Origin does not match this console")
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body_bytes):
            return _refuse(413, self._too_large())
        return None

    def _too_large(self) -> str:
        return f"request body over the console's limit of {self.max_body_bytes} bytes"

    def _limited(self, receive: Receive) -> Receive:
        """``receive`` that stops a body (chunked, or longer than it said) at the limit."""
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body_bytes:
                    raise HTTPException(status_code=413, detail=self._too_large())
            return message

        return limited


def _refuse(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status)


def _bare_host(name: str) -> str:
    """``name`` without IPv6 brackets, lower-cased: ``[::1]`` -> ``::1``."""
    return name.strip().lower().removeprefix("[").removesuffix("]")


def _host_name(host: str) -> str:
    """The name in a Host header, without its port: ``[::1]:8080`` -> ``::1``."""
    if host.startswith("["):
        return _bare_host(host.partition("]")[0])
    if host.count(":") == 1:
        host = host.partition(":")[0]
    return _bare_host(host)


def _same_origin(headers: dict[str, str], scheme: str, host: str) -> bool:
    claimed = headers.get("origin") or headers.get("referer")
    if not claimed or claimed == "null":
        return False
    parts = urlsplit(claimed)
    return parts.scheme == scheme and parts.netloc.lower() == host.lower()
