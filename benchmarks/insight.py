"""Recommend and explain: warm through the API (a finished run, kept in the insight cache), cold
(the library from a result, compiling and relaxing afresh) and the old method (one full re-solve
with the lock per candidate), on the same seeded questions in the same run.

Every objective change the new path calls exact is checked against the old method's within the
spec's tolerance (the benchmark fails otherwise). Figures go to benchmarks/results/insight.json.

    .venv/bin/python -m benchmarks.insight [--sizes 900x150 2000x300] [--questions 50] [--old 50]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from fastapi.testclient import TestClient

from benchmarks.common import SEED, write
from enmusubi.scenarios.generator import generate_problem
from enmusubi.service.api.app import create_app
from enmusubi.service.settings import Settings
from enmusubi.solver import Problem, parse_problem, solve
from enmusubi.solver.explain import explain
from enmusubi.solver.lock_search import Base, PairSpace, base_allocation, locked_optimum
from enmusubi.solver.recommend import recommend
from enmusubi.solver.tolerances import optimality_tolerance

K = 5
QUESTION_SECONDS = 600.0  # a time limit per question, so one hard question cannot stall the run
LIMIT = {"time_limit_seconds": QUESTION_SECONDS}


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _summary(seconds: list[float]) -> dict[str, Any]:
    return {
        "questions": len(seconds),
        "p50_ms": None if not seconds else round(1e3 * statistics.median(seconds), 1),
        "p95_ms": None if not seconds else round(1e3 * (_percentile(seconds, 0.95) or 0.0), 1),
        "max_ms": None if not seconds else round(1e3 * max(seconds), 1),
        "total_s": round(sum(seconds), 2),
    }


def _questions(problem: Problem, space: PairSpace, n: int, seed: int) -> list[dict[str, str]]:
    """n positions and n partners (with an eligible pair each), and for each an eligible pair to explain."""
    rng = np.random.default_rng(seed)
    cands = space.cands
    asked: list[dict[str, str]] = []
    positions = np.unique(cands.position)
    partners = np.unique(cands.partner)
    for j in rng.choice(positions, min(n, len(positions)), replace=False).tolist():
        pool = np.flatnonzero(cands.position == j)
        c = int(rng.choice(pool))
        asked.append({"position": space.data.position_ids[j], "explain_partner": space.ids(c)[0]})
    for i in rng.choice(partners, min(n, len(partners)), replace=False).tolist():
        pool = np.flatnonzero(cands.partner == i)
        c = int(rng.choice(pool))
        asked.append({"partner": space.data.partner_ids[i], "explain_position": space.ids(c)[1]})
    return asked


def _target(q: dict[str, str]) -> dict[str, str]:
    return {"position": q["position"]} if "position" in q else {"partner": q["partner"]}


def _pair(q: dict[str, str]) -> tuple[str, str]:
    return (q["explain_partner"], q["position"]) if "position" in q else (q["partner"], q["explain_position"])


def _old_changes(space: PairSpace, problem: Problem, base: Base, q: dict[str, str]) -> tuple[dict[int, float], float]:
    """The old method: every eligible candidate of the question re-solved with its lock."""
    started = time.perf_counter()
    cands = space.cands
    if "position" in q:
        pool = np.flatnonzero(cands.position == space.position_of(q["position"]))
    else:
        pool = np.flatnonzero(cands.partner == space.partner_of(q["partner"]))
    changes: dict[int, float] = {}
    for c in pool.tolist():
        if base.chosen[c]:
            changes[c] = 0.0
        elif space.lock_conflict(c) is None:
            found = locked_optimum(space, problem, base, c, None)
            assert found.proven
            changes[c] = found.value - base.objective
    return changes, time.perf_counter() - started


def run_size(partners: int, positions: int, n_questions: int, n_old: int) -> dict[str, Any]:
    problem_dict = generate_problem(partners, positions, seed=SEED)
    problem = parse_problem(problem_dict)
    started = time.perf_counter()
    result = solve(problem)
    cold_solve = time.perf_counter() - started
    assert result.status == "optimal"
    space = PairSpace.of(problem)
    base = base_allocation(space, problem, result, None)
    tolerance = optimality_tolerance(base.objective)
    questions = _questions(problem, space, n_questions, SEED)
    figures: dict[str, Any] = {"size": f"{partners}x{positions}", "seed": SEED, "cold_solve_s": round(cold_solve, 2)}

    # Cold: the library from the result, a new Insight per question (compile, LP, everything).
    cold_rec, cold_exp, cold_answers = [], [], {}
    for q in questions:
        t = time.perf_counter()
        found = recommend(problem, k=K, result=result, time_limit_seconds=QUESTION_SECONDS, **_target(q))
        cold_rec.append(time.perf_counter() - t)
        t = time.perf_counter()
        why = explain(problem, *_pair(q), result=result, time_limit_seconds=QUESTION_SECONDS)
        cold_exp.append(time.perf_counter() - t)
        cold_answers[str(q)] = (found, why)

    # Warm: through the API on a finished run, recommend then explain (the cache built by the first).
    warm_rec, warm_exp = [], []
    not_exact = 0
    same_base = 0
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(database_url=f"sqlite:///{Path(folder) / 'runs.sqlite3'}", workers=1)
        with TestClient(create_app(settings)) as client:
            # A generous limit for the run itself: on a busy machine the default could leave it unproven.
            body = {"problem": problem_dict, "time_limit_seconds": QUESTION_SECONDS}
            run_id = client.post("/v1/runs", json=body).json()["id"]
            while client.get(f"/v1/runs/{run_id}").json()["status"] != "done":
                time.sleep(0.1)
            # The cache is filled by a first question on a pair of the optimum (it learns nothing else).
            held = result.assignments[0]
            client.post("/v1/explain", json={"run": run_id, "partner": held.partner, "position": held.position})
            # Explain first (nothing learnt yet about the pairs asked), then recommend on the same questions.
            explained = []
            for q in questions:
                partner_id, position_id = _pair(q)
                t = time.perf_counter()
                why = client.post(
                    "/v1/explain", json={"run": run_id, "partner": partner_id, "position": position_id, **LIMIT}
                )
                warm_exp.append(time.perf_counter() - t)
                assert why.status_code == 200, why.text
                explained.append(why.json())
            for q, why_json in zip(questions, explained, strict=True):
                t = time.perf_counter()
                response = client.post("/v1/recommend", json={"run": run_id, "k": K, **_target(q), **LIMIT})
                warm_rec.append(time.perf_counter() - t)
                assert response.status_code == 200, response.text
                got = response.json()
                cold_found, cold_why = cold_answers[str(q)]
                # The run's solve may have found another optimal allocation than the benchmark's own solve:
                # then displaced pairs may differ, the objective changes only within the tolerance.
                cold_changes = [c.objective_change for c in cold_found.candidates]
                warm_changes = [c["objective_change"] for c in got["candidates"]]
                assert len(cold_changes) == len(warm_changes), (q, cold_changes, warm_changes)
                assert all(abs(a - b) <= tolerance for a, b in zip(cold_changes, warm_changes, strict=True)), q
                if cold_why.objective_change is not None:
                    assert abs(why_json["objective_change"] - cold_why.objective_change) <= tolerance, q
                same_base += got["base_objective"] == cold_found.base_objective
                not_exact += sum(not c["exact"] for c in got["candidates"])

    # The old method on the first n_old questions, and the check of every exact change against it.
    old_rec, checked = [], 0
    for q in questions[:n_old]:
        changes, seconds = _old_changes(space, problem, base, q)
        old_rec.append(seconds)
        found, why = cold_answers[str(q)]
        best = sorted(changes.values(), reverse=True)[:K]
        got = [c.objective_change for c in found.candidates]
        assert len(got) == len(best), (q, got, best)
        for mine, theirs in zip(got, best, strict=True):
            assert abs(mine - theirs) <= tolerance, (q, got, best)
            checked += 1
        for c in found.candidates:
            pair = (c.partner or q.get("partner"), c.position or q.get("position"))
            k = space.candidate(space.partner_of(str(pair[0])), space.position_of(str(pair[1])))
            assert k is not None and abs(changes[k] - c.objective_change) <= tolerance, (q, pair)
        k = space.candidate(space.partner_of(_pair(q)[0]), space.position_of(_pair(q)[1]))
        if why.objective_change is not None and k in changes:
            assert abs(changes[k] - why.objective_change) <= tolerance, (q, "explain")
            checked += 1
    same = len(old_rec)
    figures.update(
        {
            "questions": len(questions),
            "tolerance": tolerance,
            "warm_api_recommend": _summary(warm_rec),
            "warm_api_explain": _summary(warm_exp),
            "cold_recommend": _summary(cold_rec),
            "cold_explain": _summary(cold_exp),
            "old_recommend": _summary(old_rec),
            "old_questions": same,
            "speedup_warm_recommend_vs_old_same_questions": round(sum(old_rec) / max(sum(warm_rec[:same]), 1e-9), 1),
            "speedup_cold_recommend_vs_old_same_questions": round(sum(old_rec) / max(sum(cold_rec[:same]), 1e-9), 1),
            "changes_checked_against_old": checked,
            "candidates_not_exact": not_exact,
            "warm_answers_on_the_same_base_allocation": same_base,
        }
    )
    print(figures, flush=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="*", default=["900x150", "2000x300"])
    parser.add_argument("--questions", type=int, default=50, help="positions and as many partners")
    parser.add_argument("--old", type=int, default=100, help="questions also answered the old way")
    args = parser.parse_args()
    runs = []
    for size in args.sizes:
        partners, positions = (int(x) for x in size.split("x"))
        runs.append(run_size(partners, positions, args.questions, args.old))
    path = write(
        "insight",
        {
            "runs": runs,
            "command": "python -m benchmarks.insight "
            + " ".join(["--sizes", *args.sizes, "--questions", str(args.questions), "--old", str(args.old)]),
        },
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
