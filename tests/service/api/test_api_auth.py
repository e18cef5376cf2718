"""API keys: 401 with WWW-Authenticate and nothing read or written; open health and docs; keys compared fully."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from enmusubi.service.api.auth import key_is_valid

V1_CALLS = [
    ("GET", "/v1/runs"),
    ("GET", "/v1/runs/some-id"),
    ("DELETE", "/v1/runs/some-id"),
    ("POST", "/v1/solve"),
    ("POST", "/v1/runs"),
    ("POST", "/v1/scenarios"),
    ("POST", "/v1/recommend"),
    ("POST", "/v1/explain"),
]


BAD_AUTHORIZATIONS = [None, "Bearer x", "Basic {key}", "Bearer {key}x", "Bearer", "Bearer {key}{key}", "bearer {short}"]


@pytest.mark.parametrize("authorization", BAD_AUTHORIZATIONS)
@pytest.mark.parametrize(("method", "path"), V1_CALLS)
def test_every_v1_call_without_a_valid_key_is_401(
    client: TestClient, api_key: str, example_problem: dict[str, Any], method: str, path: str, authorization: str | None
) -> None:
    headers = {"Authorization": authorization.format(key=api_key, short=api_key[:-1])} if authorization else {}
    client.headers.pop("Authorization")
    body = {"problem": example_problem} if path == "/v1/runs" else example_problem
    response = client.request(method, path, json=body if method == "POST" else None, headers=headers)
    assert response.status_code == 401, response.text
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert "API key" in response.json()["detail"]


def test_a_refused_call_writes_nothing_and_reads_no_body(
    make_client: Callable[..., TestClient], example_problem: dict[str, Any]
) -> None:
    client = make_client(max_body_bytes=1024)
    for _ in range(3):
        refused = client.post("/v1/runs", json={"problem": example_problem}, headers={"Authorization": "Bearer nope"})
        assert refused.status_code == 401
    oversized = client.post("/v1/solve", content=b"x" * 5000, headers={"Authorization": "Bearer nope"})
    assert oversized.status_code == 401, "the key is checked before the body is read"
    assert client.get("/v1/runs").json()["runs"] == []
    assert client.app.state.service.store.count() == 0


def test_health_and_the_openapi_document_need_no_key(client: TestClient) -> None:
    client.headers.pop("Authorization")
    assert client.get("/healthz").status_code == 200
    document = client.get("/openapi.json")
    assert document.status_code == 200
    assert document.json()["components"]["securitySchemes"]["ApiKey"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "One of the keys in ENMUSUBI_API_KEYS, sent as `Authorization: Bearer <key>`.",
    }
    assert document.json()["paths"]["/v1/runs"]["get"]["security"] == [{"ApiKey": []}]


def test_any_of_several_keys_is_accepted(make_client: Callable[..., TestClient]) -> None:
    client = make_client(api_keys="first-key, second-key")
    for key in ("first-key", "second-key"):
        assert client.get("/v1/runs", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    assert client.get("/v1/runs", headers={"Authorization": "Bearer first-key,second-key"}).status_code == 401


def test_without_configured_keys_v1_is_open_and_documented_so(make_client: Callable[..., TestClient]) -> None:
    client = make_client(api_keys="")
    client.headers.pop("Authorization")
    assert client.get("/v1/runs").status_code == 200
    document = client.get("/openapi.json").json()
    assert "security" not in document["paths"]["/v1/runs"]["get"]
    assert "401" not in document["paths"]["/v1/runs"]["get"]["responses"]


def test_key_comparison() -> None:
    assert key_is_valid("abc", ["x", "abc"])
    assert not key_is_valid("ab", ["abc"])
    assert not key_is_valid("abcd", ["abc"])
    assert not key_is_valid("", ["abc"])
    assert not key_is_valid("abc", [])
    assert key_is_valid("鍵", ["鍵"])
