"""The OpenAPI document (complete, its examples valid), /healthz, CORS, and internal errors as JSON."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from enmusubi.service.api.schemas import (
    EXAMPLE_PROBLEM,
    ExplainRequest,
    RecommendRequest,
    RunCreate,
    ScenarioRequest,
    ShortlistRequest,
)
from enmusubi.solver import parse_problem

API_MD_ENDPOINTS = {
    ("get", "/healthz"),
    ("post", "/v1/solve"),
    ("post", "/v1/runs"),
    ("get", "/v1/runs/{run_id}"),
    ("get", "/v1/runs"),
    ("delete", "/v1/runs/{run_id}"),
    ("post", "/v1/scenarios"),
    ("post", "/v1/recommend"),
    ("post", "/v1/explain"),
    ("post", "/v1/shortlists"),
    ("get", "/v1/runs/{run_id}/events"),  # Additions: progress
    ("get", "/v1/runs/{run_id}/files/{name}"),  # Additions: runs as files
}


@pytest.fixture
def document(client: TestClient) -> dict[str, Any]:
    return client.get("/openapi.json").json()


def test_the_document_has_exactly_the_endpoints_of_api_md(document: dict[str, Any]) -> None:
    found = {(method, path) for path, item in document["paths"].items() for method in item}
    assert found == API_MD_ENDPOINTS


def test_every_json_body_and_response_refers_to_a_defined_schema(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    refs: list[str] = []

    def collect(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                refs.append(node["$ref"])
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    collect(document)
    missing = {ref for ref in refs if ref.removeprefix("#/components/schemas/") not in schemas}
    assert not missing
    bodies = {
        path: item["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
        for path, item in document["paths"].items()
        if "post" in item
    }
    assert bodies == {
        "/v1/solve": "Problem",
        "/v1/runs": "RunCreate",
        "/v1/scenarios": "ScenarioRequest",
        "/v1/recommend": "RecommendRequest",
        "/v1/explain": "ExplainRequest",
        "/v1/shortlists": "ShortlistRequest",
    }
    ok = {
        path: item["post"]["responses"].get("200", item["post"]["responses"].get("202"))
        for path, item in document["paths"].items()
        if "post" in item
    }
    assert all("$ref" in str(response["content"]["application/json"]["schema"]) for response in ok.values())
    for path in ("/v1/solve", "/v1/runs"):
        codes = set(document["paths"][path]["post"]["responses"])
        assert {"401", "413", "422", "429"} <= codes


def test_the_documented_examples_are_valid_requests() -> None:
    parse_problem(EXAMPLE_PROBLEM)
    for model in (RunCreate, ScenarioRequest, RecommendRequest, ExplainRequest, ShortlistRequest):
        examples = model.model_json_schema()["examples"]
        assert examples
        for example in examples:
            model.model_validate(example)


def test_health_reports_ok_and_the_pools_load(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    health = response.json()
    replica = client.app.state.service.pool.replica_id
    replicas = health.pop("replicas")
    assert health == {
        "status": "ok", "detail": None, "workers": 2, "running": 0, "queued": 0, "replica": replica, "runs_held": [],
    }  # fmt: skip
    assert [(r["id"], r["runs"]) for r in replicas] == [(replica, 0)], "it beat once on start"


def test_health_is_503_when_the_database_does_not_answer(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> None:
        raise ConnectionError("database gone")

    monkeypatch.setattr(client.app.state.service.store, "ping", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable" and "ConnectionError" in response.json()["detail"]


def test_cors_allows_the_configured_portal_origin_only(make_client: Callable[..., TestClient]) -> None:
    client = make_client(cors_origins="https://portal.example.jp, https://staging.example.jp")
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }
    allowed = client.options("/v1/runs", headers={"Origin": "https://portal.example.jp", **preflight})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://portal.example.jp"
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
    refused = client.options("/v1/runs", headers={"Origin": "https://evil.example.com", **preflight})
    assert "access-control-allow-origin" not in refused.headers
    plain = client.get("/v1/runs", headers={"Origin": "https://staging.example.jp"})
    assert plain.headers["access-control-allow-origin"] == "https://staging.example.jp"


def test_an_internal_fault_is_a_json_500_without_a_traceback(
    make_client: Callable[..., TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    client = make_client()
    client_no_raise = TestClient(client.app, raise_server_exceptions=False, headers=client.headers)

    def broken(**_: Any) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(client.app.state.service.store, "list_runs", broken)
    response = client_no_raise.get("/v1/runs")
    assert response.status_code == 500
    assert response.json() == {"detail": "internal error: RuntimeError"}
