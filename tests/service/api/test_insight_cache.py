"""The insight cache: problems kept per digest and finished run, least recently used out, within bytes."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from fastapi.testclient import TestClient

from enmusubi.scenarios.generator import generate_problem
from enmusubi.service.api.insight_cache import InsightCache
from enmusubi.solver import parse_problem, solve
from enmusubi.solver.insight import Insight
from enmusubi.solver.recommend import recommend
from tests.service.api.test_api_scenarios_insight import _done_run


def _insight(seed: int) -> Insight:
    problem = parse_problem(generate_problem(60, 10, seed=seed))
    return Insight.of(problem, solve(problem))


def test_least_recently_used_goes_first_when_over_budget() -> None:
    a, b, c = _insight(1), _insight(2), _insight(3)
    cache = InsightCache(max_bytes=a.nbytes() + b.nbytes() + c.nbytes() // 2)
    cache.keep(a, run_id="run-a")
    cache.keep(b)
    assert cache.for_run("run-a") is a  # a is now the most recent
    cache.keep(c)
    assert cache.for_digest(b.digest) is None
    assert cache.for_digest(a.digest) is a and cache.for_digest(c.digest) is c
    assert cache.bytes_used <= cache.max_bytes


def test_nothing_over_budget_or_unproven_is_kept() -> None:
    a = _insight(1)
    cache = InsightCache(max_bytes=a.nbytes() - 1)
    cache.keep(a, run_id="run-a")
    assert len(cache) == 0 and cache.for_run("run-a") is None
    roomy = InsightCache(max_bytes=10**9)
    unproven = Insight(a.problem, a.space, replace(a.base, proven=False), a.model)
    roomy.keep(unproven)
    assert len(roomy) == 0
    roomy.keep(a)
    assert roomy.for_digest(a.digest) is a


def test_a_finished_run_is_compiled_once_for_every_question(
    make_client: Callable[..., TestClient], example_problem: dict[str, Any]
) -> None:
    client = make_client()
    run_id = _done_run(client, example_problem)
    service = client.app.state.service  # type: ignore[attr-defined]
    first = client.post("/v1/recommend", json={"run": run_id, "position": "taito-pm"})
    kept = service.insights.for_run(run_id)
    assert kept is not None
    second = client.post("/v1/explain", json={"run": run_id, "partner": "p-pm", "position": "taito-pm"})
    inline = client.post("/v1/recommend", json={"problem": example_problem, "position": "taito-pm"})
    assert first.status_code == second.status_code == inline.status_code == 200, (first.text, second.text)
    assert service.insights.for_run(run_id) is kept and len(service.insights) == 1
    assert inline.json() == first.json()


def test_a_zero_budget_keeps_nothing(make_client: Callable[..., TestClient], example_problem: dict[str, Any]) -> None:
    client = make_client(insight_cache_bytes=0)
    response = client.post("/v1/recommend", json={"problem": example_problem, "position": "taito-pm"})
    assert response.status_code == 200
    assert len(client.app.state.service.insights) == 0  # type: ignore[attr-defined]


def test_a_finished_run_is_precomputed_before_it_is_asked(
    make_client: Callable[..., TestClient], example_problem: dict[str, Any]
) -> None:
    client = make_client(insight_precompute=True)
    run_id = _done_run(client, example_problem)
    service = client.app.state.service  # type: ignore[attr-defined]
    deadline = time.monotonic() + 60
    while service.insights.for_run(run_id) is None:  # kept just after the run is stored, before any question
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert service.insights.idle(timeout=120)
    kept = service.insights.for_run(run_id)
    settled = len(kept._exact)
    assert settled > 0
    asked = client.post("/v1/recommend", json={"run": run_id, "position": "taito-pm", "k": 3})
    assert asked.status_code == 200
    assert len(kept._exact) == settled, "answered from what was precomputed"
    problem = parse_problem(example_problem)
    assert asked.json() == recommend(problem, position="taito-pm", k=3).model_dump(mode="json")


def test_closing_the_cache_stops_its_precompute() -> None:
    cache = InsightCache(max_bytes=10**9, precompute=True)
    problem = parse_problem(generate_problem(300, 50, seed=3))
    cache.keep(Insight.of(problem, solve(problem)))
    assert not cache.idle(timeout=0.5), "300 x 50 takes longer than that"
    cache.close()
    assert cache.idle(timeout=30)
