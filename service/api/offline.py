"""The pages people open (the console, /docs, /redoc) may load nothing from elsewhere: a Content-Security-Policy.

Their scripts and styles are served by the service; the policy makes that a rule the browser enforces, so
a stray link inside a bundled asset (ReDoc's footer logo points at its CDN) is never fetched. A plain ASGI
middleware, not Starlette's BaseHTTPMiddleware, so streaming responses and client disconnects pass untouched.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_COMMON = "default-src 'self'; img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'"
# The console: its own script only; inline styles for the SVG map's style attributes (matplotlib writes them).
CONSOLE_POLICY = f"{_COMMON}; script-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'"
# Swagger UI and ReDoc start from an inline script and ReDoc runs a worker from a blob.
DOCS_POLICY = f"{_COMMON}; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; worker-src 'self' blob:"


class OfflinePolicy:
    """Adds the Content-Security-Policy of each listed path (exact match) to its responses."""

    def __init__(self, app: ASGIApp, policies: dict[str, str]) -> None:
        self.app = app
        self.policies = policies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        policy = self.policies.get(scope["path"]) if scope["type"] == "http" else None
        if policy is None:
            await self.app(scope, receive, send)
            return

        async def send_with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).append("Content-Security-Policy", policy)
            await send(message)

        await self.app(scope, receive, send_with_policy)
