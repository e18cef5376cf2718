"""Beyond one process: a 100-variant sweep on Ray vs the local process pool, and runs per second with 1 and 2
service replicas on one PostgreSQL.

1. Sweep: 100 variants of the bundled Tokyo problem (budgets, partners leaving, weights), solved by
   `run_scenario` with the process pool (2 workers) and with Ray tasks on a local Ray of 2 CPUs, one after
   the other in this process; wall times side by side, and a check that every variant's objective and pairs
   are the same.
2. Replicas: `enmusubi serve` on loopback with PostgreSQL (ENMUSUBI_TEST_POSTGRES_URL or .ci/postgres.url;
   skipped without one), `--runs` small batch runs posted at once (alternately to each replica), timed from the
   first POST until every run is done: 1 replica of 1 worker, then 2 replicas of 1 worker each (on a 2-core
   machine, so each configuration uses at most the cores there are).

    .venv/bin/python -m benchmarks.sweep_replicas [--variants 100] [--runs 80] [--skip-sweep] [--skip-replicas]

Figures go to benchmarks/results/sweep_replicas.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from benchmarks.common import write
from benchmarks.load_api import KEY, Server
from enmusubi.scenarios.generator import generate_problem
from enmusubi.scenarios.run import ScenarioRun, run_scenario
from enmusubi.scenarios.scenario import parse_scenario
from enmusubi.service.jobs.store import normalise_url

ROOT = Path(__file__).resolve().parents[1]
TOKYO = ROOT / "scenarios" / "tokyo" / "problem.json"
POSTGRES_URL_FILE = ROOT / ".ci" / "postgres.url"
WORKERS = 2
VARIANT_TIME_LIMIT = 60
RUN_SIZE = (120, 25)  # partners, positions of each batch run: a fraction of a second each
DEADLINE_SECONDS = 900
POSTS_AT_ONCE = 8  # clients posting at the same time


def hundred_variants(problem: dict[str, Any], count: int) -> dict[str, Any]:
    """`count` what-ifs on the problem: budget changes per municipality, partners leaving, weights."""
    budgeted = [m["id"] for m in problem["municipalities"] if m["budget_yen"] is not None]
    partners = [p["id"] for p in problem["partners"]]
    factors = ("*0.8", "*0.9", "*1.1", "*1.25")
    weights = ("commute", "cost", "skill", "preference", "fill", "incumbent")
    variants: list[dict[str, Any]] = []
    k = 0
    while len(variants) < count:
        kind = k % 3
        if kind == 0:
            municipality, factor = budgeted[(k // 3) % len(budgeted)], factors[(k // 3) % len(factors)]
            change: dict[str, Any] = {"municipality": municipality, "set": {"budget_yen": factor}}
            name = f"{k:03d} {municipality} budget {factor}"
        elif kind == 1:
            leaving = partners[(k * 7) % len(partners) :][:5]
            change, name = {"remove": {"partners": leaving}}, f"{k:03d} five partners leave"
        else:
            weight = weights[(k // 3) % len(weights)]
            change = {"weights": {weight: 1.0 + 0.25 * ((k // 3) % 4 + 1)}}
            name = f"{k:03d} {weight} weight up"
        variants.append({"name": name, "changes": [change]})
        k += 1
    return {"version": 1, "name": "Hundred questions", "base": problem, "time_limit_seconds": VARIANT_TIME_LIMIT,
            "variants": variants}  # fmt: skip


def _outcome(run: ScenarioRun) -> list[tuple[str, float, list[tuple[str, str]]]]:
    return [(v.name, round(v.result.objective, 6), sorted(v.result.pair_set())) for v in run.variants]


def sweep(count: int) -> dict[str, Any]:
    problem = json.loads(TOKYO.read_text())
    scenario = parse_scenario(hundred_variants(problem, count))
    figures: dict[str, Any] = {"variants": count, "workers": WORKERS, "problem": "scenarios/tokyo/problem.json"}
    runs: dict[str, ScenarioRun] = {}
    for executor in ("local", "ray"):
        started = time.perf_counter()
        runs[executor] = run_scenario(scenario, workers=WORKERS, executor=executor)  # type: ignore[arg-type]
        outside = time.perf_counter() - started
        figures[executor] = {
            "wall_seconds": round(outside, 2),
            "variants_seconds": round(runs[executor].variants_seconds, 2),
            "variants_per_second": round(count / runs[executor].variants_seconds, 3),
        }
        print(f"{executor}: {figures[executor]}", flush=True)
    figures["ray_over_local_wall"] = round(figures["ray"]["wall_seconds"] / figures["local"]["wall_seconds"], 3)
    figures["ray_over_local_variants"] = round(
        figures["ray"]["variants_seconds"] / figures["local"]["variants_seconds"], 3
    )
    figures["same_results"] = _outcome(runs["local"]) == _outcome(runs["ray"])
    figures["differences"] = [  # a variant stopped by its time limit (a loaded machine) may end elsewhere
        {
            "variant": mine.name,
            "local": [mine.result.status, round(mine.result.objective, 6), mine.result.stopped],
            "ray": [theirs.result.status, round(theirs.result.objective, 6), theirs.result.stopped],
        }
        for mine, theirs in zip(runs["local"].variants, runs["ray"].variants, strict=True)
        if (mine.result.objective, mine.result.pair_set()) != (theirs.result.objective, theirs.result.pair_set())
    ]
    return figures


def _postgres_url() -> str | None:
    url = os.environ.get("ENMUSUBI_TEST_POSTGRES_URL")
    if not url and POSTGRES_URL_FILE.exists():
        url = POSTGRES_URL_FILE.read_text().strip()
    return normalise_url(url) if url else None


async def _drive(urls: list[str], problems: list[dict[str, Any]]) -> float:
    """Post every run at once (round robin over the replicas), then poll until all are done: the seconds taken."""
    headers = {"Authorization": f"Bearer {KEY}"}
    gate = asyncio.Semaphore(POSTS_AT_ONCE)
    async with httpx.AsyncClient(headers=headers, timeout=60) as client:

        async def post(k: int, problem: dict[str, Any]) -> str:
            async with gate:
                answer = await client.post(f"{urls[k % len(urls)]}/v1/runs", json={"problem": problem})
            if answer.status_code != 202:
                raise SystemExit(f"POST /v1/runs answered {answer.status_code}: {answer.text[:200]}")
            return str(answer.json()["id"])

        started = time.perf_counter()
        pending = set(await asyncio.gather(*(post(k, p) for k, p in enumerate(problems))))
        while pending:
            if time.perf_counter() - started > DEADLINE_SECONDS:
                raise SystemExit(f"{len(pending)} runs not done after {DEADLINE_SECONDS} s")
            await asyncio.sleep(0.05)
            for run_id in list(pending):
                run = (await client.get(f"{urls[0]}/v1/runs/{run_id}")).json()
                if run["status"] not in ("queued", "running"):
                    if run["status"] != "done":
                        raise SystemExit(f"run {run_id} ended {run['status']}: {run.get('error')}")
                    pending.discard(run_id)
        return time.perf_counter() - started


def replicas(runs: int) -> dict[str, Any]:
    base = _postgres_url()
    if base is None:
        return {"skipped": "no PostgreSQL configured (ENMUSUBI_TEST_POSTGRES_URL or .ci/postgres.url)"}
    problems = [generate_problem(*RUN_SIZE, seed=seed) for seed in range(runs)]
    figures: dict[str, Any] = {"runs": runs, "run_size": list(RUN_SIZE), "workers_per_replica": 1}
    admin = create_engine(base)
    for count in (1, 2):
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        with admin.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
        servers: list[Server] = []
        try:
            with tempfile.TemporaryDirectory() as folder:
                for k in range(count):
                    settings = {"database_url": url, "workers": "1", "queue_size": str(runs + 8), "poll_seconds": "0.2"}
                    servers.append(Server(Path(folder), f"replica-{k}", replica_id=f"replica-{k}", **settings))
                for server in servers:
                    server.wait_up()
                seconds = asyncio.run(_drive([s.url for s in servers], problems))
        finally:
            for server in servers:
                server.stop()
            with admin.begin() as connection:
                connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        figures[f"{count}_replica"] = {"seconds": round(seconds, 2), "runs_per_second": round(runs / seconds, 2)}
        print(f"{count} replica(s): {figures[f'{count}_replica']}", flush=True)
    admin.dispose()
    one, two = figures["1_replica"]["runs_per_second"], figures["2_replica"]["runs_per_second"]
    figures["two_over_one"] = round(two / one, 3)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", type=int, default=100)
    parser.add_argument("--runs", type=int, default=80)
    parser.add_argument("--skip-sweep", action="store_true")
    parser.add_argument("--skip-replicas", action="store_true")
    options = parser.parse_args()
    figures: dict[str, Any] = {"note": "2-core machine shared with other sessions while measured"}
    if not options.skip_replicas:
        figures["replicas"] = replicas(options.runs)
    if not options.skip_sweep:
        figures["sweep"] = sweep(options.variants)
    print(f"written: {write('sweep_replicas', figures)}")


if __name__ == "__main__":
    main()
