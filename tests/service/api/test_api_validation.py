"""Bad numbers and bad bodies, through the API: the limits of PROBLEM.md §11 and NaN by their path, /v1/runs
refusing what /v1/solve refuses, the OpenAPI document stating every range and one-of rule, a full Allow header,
the scenario variant cap, and at most ENMUSUBI_MAX_CONCURRENT_DECODES bodies decoded at once."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient

from enmusubi.service.api import dependencies


def _paths(response: Any) -> list[str]:
    assert response.status_code == 422, response.text
    return [d["path"] for d in response.json()["detail"]]


def test_huge_numbers_are_422_naming_their_path_not_a_500(client: TestClient, example_problem: dict[str, Any]) -> None:
    example_problem["positions"][0]["openings"] = 10**18
    example_problem["partners"][1]["max_assignments"] = 10**6
    example_problem["municipalities"][0]["budget_yen"] = 10**16
    example_problem["weights"] = {"commute": 1e9}
    response = client.post("/v1/solve", json=example_problem)
    assert sorted(_paths(response)) == [
        "municipalities[0].budget_yen",
        "partners[1].max_assignments",
        "positions[0].openings",
        "weights.commute",
    ]
    assert "less than or equal to 10000" in json.dumps(response.json())


def test_nan_is_refused_by_its_path(client: TestClient) -> None:
    body = b'{"version": 1, "partners": [{"id": "a", "hourly_rate_yen": NaN}, {"lat": -Infinity}]}'
    response = client.post("/v1/solve", content=body, headers={"Content-Type": "application/json"})
    assert _paths(response) == ["partners[0].hourly_rate_yen", "partners[1].lat"]
    assert response.json()["detail"][1]["msg"] == "-Infinity is not allowed: JSON numbers must be finite"


@pytest.mark.parametrize(
    ("locks", "fragment"),
    [
        ([{"partner": "p-designer", "position": "taito-pm"}], "is not eligible: rule skill"),
        (
            [{"partner": "p-pm", "position": "taito-pm"}, {"partner": "p-designer", "position": "akishima-creator"}],
            None,
        ),
    ],
)
def test_runs_refuse_what_solve_refuses(
    client: TestClient, example_problem: dict[str, Any], locks: list[dict[str, str]], fragment: str | None
) -> None:
    example_problem["locks"] = locks
    solved = client.post("/v1/solve", json=example_problem)
    queued = client.post("/v1/runs", json={"problem": example_problem})
    if fragment is None:  # locks that hold: both accept
        assert solved.status_code == 200 and queued.status_code == 202
        return
    assert _paths(solved) == ["locks[0]"] and fragment in solved.json()["detail"][0]["msg"]
    assert _paths(queued) == ["problem.locks[0]"] and fragment in queued.json()["detail"][0]["msg"]
    assert client.get("/v1/runs").json()["runs"] == [], "nothing is stored for a refused run"


def test_locks_that_cannot_hold_together_are_422_on_runs(client: TestClient, example_problem: dict[str, Any]) -> None:
    example_problem["partners"][0]["hours_per_week"] = 12  # the designer cannot take two 12 h positions
    example_problem["positions"][1]["required_skills"] = {}
    example_problem["positions"][1]["hours_per_week"] = 12
    example_problem["locks"] = [
        {"partner": "p-designer", "position": "akishima-creator"},
        {"partner": "p-designer", "position": "taito-pm"},
    ]
    queued = client.post("/v1/runs", json={"problem": example_problem})
    assert _paths(queued) == ["problem.locks"] and "cannot hold together" in queued.text


def test_the_openapi_document_states_every_range_in_standard_keywords(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    text = json.dumps(document)
    assert not re.search(r'"(ge|le|gt|lt)":', text), "pydantic's non-standard range keys leaked into the schema"
    schemas = document["components"]["schemas"]
    position = schemas["Position"]["properties"]
    assert (position["openings"]["minimum"], position["openings"]["maximum"]) == (1, 10_000)
    assert position["hours_per_week"] == {
        "exclusiveMinimum": 0,
        "maximum": 168,
        "title": "Hours Per Week",
        "type": "number",
    }
    assert position["required_skills"]["additionalProperties"] == {"type": "integer", "minimum": 1, "maximum": 5}
    partner = schemas["Partner"]["properties"]
    assert partner["skills"]["additionalProperties"] == {"type": "integer", "minimum": 0, "maximum": 5}
    assert partner["max_assignments"]["maximum"] == 100 and partner["hourly_rate_yen"]["maximum"] == 10**7
    assert schemas["Municipality"]["properties"]["budget_yen"]["anyOf"][0]["maximum"] == 10**15
    assert all(field["maximum"] == 1000 for field in schemas["Weights"]["properties"].values())
    assert schemas["PairRef"]["properties"]["partner"]["maxLength"] == 100


def test_the_openapi_document_states_the_one_of_rules(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    recommend = schemas["RecommendRequest"]
    assert recommend["allOf"] == [
        {"oneOf": [{"required": ["problem"]}, {"required": ["run"]}]},
        {"oneOf": [{"required": ["position"]}, {"required": ["partner"]}]},
    ]
    assert "anyOf" not in recommend["properties"]["position"], "not nullable: the server refuses null"
    assert schemas["ExplainRequest"]["allOf"] == [{"oneOf": [{"required": ["problem"]}, {"required": ["run"]}]}]
    assert [c["required"] for c in schemas["SetChange"]["oneOf"]] == [["municipality"], ["position"], ["partner"]]


def test_an_explicit_null_is_refused(client: TestClient, example_problem: dict[str, Any]) -> None:
    body = {"problem": example_problem, "run": None, "partner": "p-pm", "position": "taito-pm"}
    assert _paths(client.post("/v1/explain", json=body)) == ["run"]


def test_405_names_every_method_of_the_path(client: TestClient) -> None:
    assert client.put("/v1/runs").headers["allow"] == "GET, POST"
    assert client.post("/v1/runs/some-id").headers["allow"] == "DELETE, GET"


def test_scenarios_over_the_variant_cap_are_422(
    make_client: Callable[..., TestClient], example_problem: dict[str, Any]
) -> None:
    client = make_client(max_scenario_variants=2)
    variants = [{"name": f"v{k}", "changes": [{"weights": {"commute": k / 10}}]} for k in range(3)]
    response = client.post("/v1/scenarios", json={"version": 1, "base": example_problem, "variants": variants})
    assert _paths(response) == ["variants"] and "ENMUSUBI_MAX_SCENARIO_VARIANTS" in response.text
    response = client.post("/v1/scenarios", json={"version": 1, "base": example_problem, "variants": variants[:2]})
    assert response.status_code == 200


def test_at_most_the_configured_number_of_bodies_are_decoded_at_once(
    make_client: Callable[..., TestClient], example_problem: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    client = make_client(max_concurrent_decodes=2)
    lock = threading.Lock()
    now = {"decoding": 0, "most": 0}
    real = dependencies.decode_json

    def slow_decode(body: bytes) -> Any:
        with lock:
            now["decoding"] += 1
            now["most"] = max(now["most"], now["decoding"])
        time.sleep(0.2)
        with lock:
            now["decoding"] -= 1
        return real(body)

    monkeypatch.setattr(dependencies, "decode_json", slow_decode)
    with ThreadPoolExecutor(6) as threads:
        answers = list(threads.map(lambda _: client.post("/v1/solve", json=example_problem).status_code, range(6)))
    assert answers == [200] * 6
    assert now["most"] == 2


def test_the_openapi_document_states_this_services_size_caps(make_client: Callable[..., TestClient]) -> None:
    client = make_client(max_partners=40, max_positions=30, max_scenario_variants=7)
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert schemas["Problem"]["properties"]["partners"]["maxItems"] == 40
    assert schemas["Problem"]["properties"]["positions"]["maxItems"] == 30
    assert schemas["ScenarioRequest"]["properties"]["variants"]["maxItems"] == 7
