"""Recommend and explain through the API on a finished run: warm (the run's answers precomputed, as
the service's background thread does once a run is stored, here for the questions asked: how long
that took is reported), live (the
run kept in the cache but nothing precomputed), cold (the library from a result, compiling and
relaxing afresh) and the old method (one full re-solve with the lock per candidate), on the same
seeded questions in the same run. Live, cold and old are asked on a seeded subset (the first
--live / --old positions and partners): on 2 cores they take minutes per question.

Every objective change is checked against the live, cold and old answers within the spec's
tolerance (the benchmark fails otherwise). Figures go to benchmarks/results/insight.json.

    .venv/bin/python -m benchmarks.insight [--sizes 900x150 2000x300] [--questions 50] [--old 10] [--live 10]
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
from enmusubi.solver import Problem, StopFlag, parse_problem, solve
from enmusubi.solver.explain import explain
from enmusubi.solver.insight import Insight, Item
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


def _check(got: list[float], want: list[float], tolerance: float, what: Any) -> None:
    assert len(got) == len(want), (what, got, want)
    assert all(abs(a - b) <= tolerance for a, b in zip(got, want, strict=True)), (what, got, want)


def _ask_all(
    client: TestClient, run_id: str, questions: list[dict[str, str]]
) -> tuple[list[float], list[float], list[dict[str, Any]], list[dict[str, Any]]]:
    """Explain first (nothing learnt yet about the pairs asked), then recommend, on the same questions."""
    rec, exp, recommended, explained = [], [], [], []
    for q in questions:
        partner_id, position_id = _pair(q)
        t = time.perf_counter()
        why = client.post("/v1/explain", json={"run": run_id, "partner": partner_id, "position": position_id, **LIMIT})
        exp.append(time.perf_counter() - t)
        assert why.status_code == 200, why.text
        explained.append(why.json())
    for q in questions:
        t = time.perf_counter()
        response = client.post("/v1/recommend", json={"run": run_id, "k": K, **_target(q), **LIMIT})
        rec.append(time.perf_counter() - t)
        assert response.status_code == 200, response.text
        recommended.append(response.json())
    return rec, exp, recommended, explained


def _stored_run(client: TestClient, problem_dict: dict[str, Any]) -> str:
    # A generous limit for the run itself: on a busy machine the default could leave it unproven.
    run_id = client.post("/v1/runs", json={"problem": problem_dict, "time_limit_seconds": QUESTION_SECONDS}).json()[
        "id"
    ]
    while client.get(f"/v1/runs/{run_id}").json()["status"] != "done":
        time.sleep(0.1)
    return run_id


def _asked_items(kept: Insight, questions: list[dict[str, str]]) -> list[Item]:
    """The precompute items the questions need: each recommend's pool, each explained pair left out."""
    items: list[Item] = []
    space = kept.space
    for q in questions:
        items.append(("top", kept.pool(**_target(q))[0]))
        k = space.candidate(space.partner_of(_pair(q)[0]), space.position_of(_pair(q)[1]))
        if k is not None and not kept.base.chosen[k] and kept.comp_of[k] >= 0:
            items.append(("pair", np.array([k])))
    return items


def _subset(questions: list[dict[str, str]], n: int) -> list[dict[str, str]]:
    """The first n position questions and the first n partner questions (seeded, like all of them)."""
    positions = [q for q in questions if "position" in q][:n]
    partners = [q for q in questions if "partner" in q][:n]
    return positions + partners


def run_size(partners: int, positions: int, n_questions: int, n_old: int, n_live: int) -> dict[str, Any]:
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
    live = _subset(questions, n_live)
    figures: dict[str, Any] = {"size": f"{partners}x{positions}", "seed": SEED, "cold_solve_s": round(cold_solve, 2)}
    print(f"{partners}x{positions}: cold solve {cold_solve:.2f} s, {len(questions)} questions", flush=True)

    # Cold, on the subset: the library from the result, a new Insight per question (compile, LP, everything).
    cold_rec, cold_exp, cold_answers = [], [], {}
    for q in live:
        t = time.perf_counter()
        found = recommend(problem, k=K, result=result, time_limit_seconds=QUESTION_SECONDS, **_target(q))
        cold_rec.append(time.perf_counter() - t)
        t = time.perf_counter()
        why = explain(problem, *_pair(q), result=result, time_limit_seconds=QUESTION_SECONDS)
        cold_exp.append(time.perf_counter() - t)
        cold_answers[str(q)] = (found, why)
    print(f"cold done: recommend {_summary(cold_rec)}", flush=True)

    with tempfile.TemporaryDirectory() as folder:
        # Warm, live: a finished run kept in the cache, nothing precomputed (the subset).
        settings = Settings(database_url=f"sqlite:///{Path(folder) / 'a.sqlite3'}", workers=1, insight_precompute=False)
        with TestClient(create_app(settings)) as client:
            run_id = _stored_run(client, problem_dict)
            held = result.assignments[0]  # the cache is filled by a first question on a pair of the optimum
            client.post("/v1/explain", json={"run": run_id, "partner": held.partner, "position": held.position})
            live_rec, live_exp, live_recommended, live_explained = _ask_all(client, run_id, live)
        print(f"warm live done: recommend {_summary(live_rec)}", flush=True)

        # Warm, precomputed: what the service's background thread settles for every position, partner and pair
        # once a run is stored, settled here for the questions asked (their pools and pairs, the same items of
        # Insight.plan(); the whole plan takes hours on 2 cores), timed; then every question is asked.
        settings = Settings(database_url=f"sqlite:///{Path(folder) / 'b.sqlite3'}", workers=1, insight_precompute=False)
        with TestClient(create_app(settings)) as client:
            run_id = _stored_run(client, problem_dict)
            client.post("/v1/explain", json={"run": run_id, "partner": held.partner, "position": held.position})
            kept = client.app.state.service.insights.for_run(run_id)  # type: ignore[attr-defined]
            asked = _asked_items(kept, questions)
            t = time.perf_counter()
            settled = kept.precompute(StopFlag(), plan=asked)
            precompute_s = time.perf_counter() - t
            full_plan = sum(1 for _ in kept.plan())
            print(f"precompute of {len(asked)} items done in {precompute_s:.1f} s ({settled} settled)", flush=True)
            exact_before = len(kept._exact)
            warm_rec, warm_exp, warm_recommended, warm_explained = _ask_all(client, run_id, questions)
            learnt = len(kept._exact) - exact_before

    # Every answer: the precomputed ones against the live ones and the cold ones (the subset), all exact.
    not_exact = sum(not c["exact"] for got in warm_recommended for c in got["candidates"])
    not_exact += sum(why["exact"] is False for why in warm_explained)
    by_question = {str(q): (r, e) for q, r, e in zip(questions, warm_recommended, warm_explained, strict=True)}
    for q, r, e in zip(live, live_recommended, live_explained, strict=True):
        warm_r, warm_e = by_question[str(q)]
        cold_found, cold_why = cold_answers[str(q)]
        changes = [c["objective_change"] for c in warm_r["candidates"]]
        _check(changes, [c["objective_change"] for c in r["candidates"]], tolerance, (q, "live"))
        _check(changes, [c.objective_change for c in cold_found.candidates], tolerance, (q, "cold"))
        if cold_why.objective_change is not None:
            _check([warm_e["objective_change"]], [e["objective_change"]], tolerance, (q, "explain live"))
            _check([warm_e["objective_change"]], [cold_why.objective_change], tolerance, (q, "explain cold"))

    # The old method on the first n_old questions of each kind, and the check of every exact change against it.
    old_rec, checked = [], 0
    for q in _subset(questions, n_old):
        changes, seconds = _old_changes(space, problem, base, q)
        old_rec.append(seconds)
        got_r, got_e = by_question[str(q)]
        best = sorted(changes.values(), reverse=True)[:K]
        _check([c["objective_change"] for c in got_r["candidates"]], best, tolerance, (q, "old"))
        checked += len(best)
        for c in got_r["candidates"]:
            pair = (c["partner"] or q.get("partner"), c["position"] or q.get("position"))
            k = space.candidate(space.partner_of(str(pair[0])), space.position_of(str(pair[1])))
            assert k is not None and abs(changes[k] - c["objective_change"]) <= tolerance, (q, pair)
        k = space.candidate(space.partner_of(_pair(q)[0]), space.position_of(_pair(q)[1]))
        if got_e["objective_change"] is not None and k in changes:
            assert abs(changes[k] - got_e["objective_change"]) <= tolerance, (q, "explain")
            checked += 1
    old_questions = _subset(questions, n_old)
    warm_same = [warm_rec[questions.index(q)] for q in old_questions]
    live_same = [live_rec[live.index(q)] for q in old_questions if q in live]
    figures.update(
        {
            "questions": len(questions),
            "tolerance": tolerance,
            "precompute_s": round(precompute_s, 1),
            "precompute_items": len(asked),
            "precompute_items_settled": settled,
            "precomputed_exact_pairs": exact_before,
            "full_plan_items": full_plan,
            "pairs_learnt_while_asked": learnt,
            "warm_api_recommend": _summary(warm_rec),
            "warm_api_explain": _summary(warm_exp),
            "live_questions": len(live),
            "live_api_recommend": _summary(live_rec),
            "live_api_explain": _summary(live_exp),
            "cold_recommend": _summary(cold_rec),
            "cold_explain": _summary(cold_exp),
            "old_recommend": _summary(old_rec),
            "old_questions": len(old_rec),
            "speedup_warm_recommend_vs_old_same_questions": round(sum(old_rec) / max(sum(warm_same), 1e-9), 1),
            "speedup_live_recommend_vs_old_same_questions": (
                round(sum(old_rec) / max(sum(live_same), 1e-9), 1) if len(live_same) == len(old_rec) else None
            ),
            "changes_checked_against_old": checked,
            "candidates_not_exact": not_exact,
        }
    )
    print(figures, flush=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="*", default=["900x150", "2000x300"])
    parser.add_argument("--questions", type=int, default=50, help="positions and as many partners")
    parser.add_argument("--old", type=int, default=10, help="positions and as many partners also asked the old way")
    parser.add_argument("--live", type=int, default=10, help="positions and partners also asked live and cold")
    args = parser.parse_args()
    runs = []
    for size in args.sizes:
        partners, positions = (int(x) for x in size.split("x"))
        runs.append(run_size(partners, positions, args.questions, args.old, args.live))
    path = write(
        "insight",
        {
            "runs": runs,
            "command": "python -m benchmarks.insight "
            + " ".join(["--sizes", *args.sizes, "--questions", str(args.questions)])
            + f" --old {args.old} --live {args.live}",
        },
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
