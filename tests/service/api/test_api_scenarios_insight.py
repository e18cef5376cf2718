"""POST /v1/scenarios, /v1/recommend and /v1/explain in-process: inline problems and stored runs, 404s, 422s."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from enmusubi.solver import parse_problem
from enmusubi.solver.explain import explain
from enmusubi.solver.recommend import recommend

WAIT_SECONDS = 120


def _done_run(client: TestClient, problem: dict[str, Any]) -> str:
    run_id = client.post("/v1/runs", json={"problem": problem}).json()["id"]
    deadline = time.monotonic() + WAIT_SECONDS
    while client.get(f"/v1/runs/{run_id}").json()["status"] != "done":
        assert time.monotonic() < deadline
        time.sleep(0.02)
    return run_id


def _scenario(base: Any) -> dict[str, Any]:
    return {
        "version": 1,
        "name": "budget options",
        "base": base,
        "variants": [
            {"name": "Akishima budget cut", "changes": [{"municipality": "13207", "set": {"budget_yen": 0}}]},
            {"name": "PM remote", "changes": [{"position": "taito-pm", "set": {"onsite_days_per_week": 0}}]},
        ],
    }


def test_a_scenario_on_an_inline_base_returns_every_variant_and_its_difference(
    client: TestClient, example_problem: dict[str, Any]
) -> None:
    response = client.post("/v1/scenarios", json=_scenario(example_problem))
    assert response.status_code == 200, response.text
    run = response.json()
    assert run["name"] == "budget options"
    assert [v["name"] for v in run["variants"]] == ["Akishima budget cut", "PM remote"]
    cut = run["variants"][0]
    assert [p["position"] for p in cut["diff"]["pairs_removed"]] == ["akishima-creator"]
    assert cut["result"]["objective"] < run["base"]["objective"]


def test_a_scenario_on_a_stored_run_uses_that_runs_problem(client: TestClient, example_problem: dict[str, Any]) -> None:
    run_id = _done_run(client, example_problem)
    inline = client.post("/v1/scenarios", json=_scenario(example_problem)).json()
    stored = client.post("/v1/scenarios", json=_scenario({"run": run_id})).json()
    assert stored["base"]["objective"] == pytest.approx(inline["base"]["objective"])
    assert [v["diff"] for v in stored["variants"]] == [v["diff"] for v in inline["variants"]]


def test_scenario_faults_are_404_or_422_with_paths(client: TestClient, example_problem: dict[str, Any]) -> None:
    assert client.post("/v1/scenarios", json=_scenario({"run": "no-such-run"})).status_code == 404
    as_path = client.post("/v1/scenarios", json=_scenario("../tokyo/problem.json"))
    assert [d["path"] for d in as_path.json()["detail"]] == ["base"], "the API never reads files named by a client"
    bad = _scenario(example_problem)
    bad["variants"][1]["changes"][0]["position"] = "no-such-position"
    bad["base"]["positions"][0]["hours_per_week"] = 0
    response = client.post("/v1/scenarios", json=bad)
    assert response.status_code == 422
    assert sorted(d["path"] for d in response.json()["detail"]) == ["base.positions[0].hours_per_week"]
    bad["base"]["positions"][0]["hours_per_week"] = 12
    response = client.post("/v1/scenarios", json=bad)
    assert [d["path"] for d in response.json()["detail"]] == ["variants[1].changes[0]"]
    assert "no-such-position" in response.json()["detail"][0]["msg"]


def test_recommend_gives_the_librarys_answer(client: TestClient, example_problem: dict[str, Any]) -> None:
    response = client.post("/v1/recommend", json={"problem": example_problem, "partner": "p-pm", "k": 2})
    assert response.status_code == 200, response.text
    expected = recommend(parse_problem(example_problem), partner="p-pm", k=2)
    assert response.json() == expected.model_dump(mode="json")
    assert response.json()["candidates"][0]["position"] == "taito-pm"


def test_recommend_and_explain_accept_a_stored_run(client: TestClient, example_problem: dict[str, Any]) -> None:
    run_id = _done_run(client, example_problem)
    for path, extra in (
        ("/v1/recommend", {"position": "taito-pm"}),
        ("/v1/explain", {"partner": "p-pm", "position": "taito-pm"}),
    ):
        by_run = client.post(path, json={"run": run_id, **extra})
        inline = client.post(path, json={"problem": example_problem, **extra})
        assert by_run.status_code == inline.status_code == 200
        assert by_run.json() == inline.json()


def test_explain_lists_every_rule_and_why_a_pair_is_out(client: TestClient, example_problem: dict[str, Any]) -> None:
    response = client.post(
        "/v1/explain", json={"problem": example_problem, "partner": "p-designer", "position": "taito-pm"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert [r["name"] for r in body["rules"]] == ["skill", "onsite", "commute", "rate", "excluded", "hours", "budget"]
    assert body["eligible"] is False and body["in_optimal"] is False
    assert body["reason"].startswith("ineligible: rule skill")
    expected = explain(parse_problem(example_problem), "p-designer", "taito-pm")
    assert body == expected.model_dump(mode="json")


@pytest.mark.parametrize(
    ("path", "body", "status", "fault"),
    [
        ("/v1/explain", {"partner": "nobody", "position": "taito-pm"}, 404, "unknown partner"),
        ("/v1/explain", {"partner": "p-pm", "position": "nowhere"}, 404, "unknown position"),
        ("/v1/recommend", {"position": "nowhere"}, 404, "unknown position"),
        ("/v1/recommend", {"position": "taito-pm", "partner": "p-pm"}, 422, "exactly one of `position` and `partner`"),
        ("/v1/recommend", {"position": "taito-pm", "k": 0}, 422, "k"),
        ("/v1/recommend", {"position": "taito-pm", "k": 1000}, 422, "k"),
        ("/v1/explain", {"partner": "p-pm"}, 422, "position"),
    ],
)
def test_insight_faults(
    client: TestClient, example_problem: dict[str, Any], path: str, body: dict[str, Any], status: int, fault: str
) -> None:
    response = client.post(path, json={"problem": example_problem, **body})
    assert response.status_code == status, response.text
    assert fault in response.text


def test_insight_bodies_need_exactly_one_of_problem_and_run(
    client: TestClient, example_problem: dict[str, Any]
) -> None:
    neither = client.post("/v1/explain", json={"partner": "p-pm", "position": "taito-pm"})
    both = client.post(
        "/v1/explain", json={"problem": example_problem, "run": "x", "partner": "p-pm", "position": "taito-pm"}
    )
    for response in (neither, both):
        assert response.status_code == 422 and "exactly one of `problem` and `run`" in response.text
    assert client.post("/v1/explain", json={"run": "no-such-run", "partner": "a", "position": "b"}).status_code == 404
    example_problem["partners"][0]["lat"] = 123
    response = client.post("/v1/explain", json={"problem": example_problem, "partner": "p-pm", "position": "taito-pm"})
    assert [d["path"] for d in response.json()["detail"]] == ["problem.partners[0].lat"]
