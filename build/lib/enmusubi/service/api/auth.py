"""API keys: `Authorization: Bearer <key>` on every /v1 call when keys are configured."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import HTTPException, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="One of the keys in ENMUSUBI_API_KEYS, sent as `Authorization: Bearer <key>`.",
)


def key_is_valid(given: str, keys: list[str]) -> bool:
    """Compare against every key in constant time each, without stopping at the first match."""
    given_bytes = given.encode("utf-8")
    valid = False
    for key in keys:
        valid |= hmac.compare_digest(given_bytes, key.encode("utf-8"))
    return valid


def unauthorized(message: str) -> HTTPException:
    return HTTPException(status_code=401, detail=message, headers={"WWW-Authenticate": "Bearer"})


async def require_api_key(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)]
) -> None:
    """Runs before anything else of a /v1 route, so a refused call reads and writes nothing."""
    keys: list[str] = request.app.state.settings.api_keys
    if not keys:
        return
    if credentials is None:
        raise unauthorized("missing API key: send Authorization: Bearer <key>")
    if not key_is_valid(credentials.credentials, keys):
        raise unauthorized("invalid API key")
