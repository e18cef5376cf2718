"""`enmusubi scenario --executor ray`: 10 variants (every kind of change: budgets, partners leaving, weights) as tasks
on a local Ray of 2 workers give the same files as the local process pool, byte for byte once the timings are taken
out. (20 variants took 154 s of the suite on a loaded machine for no kind of change more.)"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml

from enmusubi.scenarios.generator import generate_problem
from tests.scenarios.test_scenario_cli import enmusubi

pytest.importorskip("ray", reason="the ray extra is not installed (it is part of the dev extra)")

VARIANTS = 10
TIME_LIMIT = 20  # per solve: keeps the test bounded; these small problems solve to optimality in far less


def ten_variants(problem: dict[str, Any], base: Path) -> dict[str, Any]:
    budgeted = [m["id"] for m in problem["municipalities"] if m["budget_yen"] is not None]
    partners = [p["id"] for p in problem["partners"]]
    variants: list[dict[str, Any]] = [{"name": "As it is", "changes": []}]
    for k, municipality in enumerate(budgeted[:3]):
        factor = ("*0.7", "*1.3")[k % 2]
        variants.append(
            {
                "name": f"{municipality} budget {factor}",
                "changes": [{"municipality": municipality, "set": {"budget_yen": factor}}],
            }
        )
    for k in range(3):
        variants.append(
            {"name": f"Partners {k} leave", "changes": [{"remove": {"partners": partners[k * 3 : k * 3 + 3]}}]}
        )
    for weight in ("commute", "cost", "incumbent"):
        variants.append({"name": f"{weight} counts double", "changes": [{"weights": {weight: 2.0}}]})
    assert len(variants) == VARIANTS
    return {
        "version": 1,
        "name": "Ten questions",
        "base": str(base),
        "time_limit_seconds": TIME_LIMIT,
        "variants": variants,
    }


def _without_timings(path: Path) -> Any:
    """The file's content with every timing taken out: `*_seconds` fields of JSON, `N.NN s` in the reports; a
    workbook's cell values (its zip records when it was written); report.html's pictures without their random
    element ids."""
    if path.suffix == ".xlsx":
        workbook = openpyxl.load_workbook(path, read_only=True)
        return {sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)] for sheet in workbook}
    text = path.read_text()
    if path.suffix == ".json":

        def drop(value: Any) -> Any:
            if isinstance(value, dict):
                return {k: drop(v) for k, v in value.items() if not k.endswith("_seconds") or k == "time_limit_seconds"}
            if isinstance(value, list):
                return [drop(v) for v in value]
            return value

        return json.dumps(drop(json.loads(text)), indent=2, sort_keys=True)
    text = re.sub(r"\b(p|m|image)[0-9a-f]{10}\b", r"\1-id", text)  # matplotlib's SVG ids are random per drawing
    return re.sub(r"\d+\.\d+ s\b", "N s", text)


def test_ten_variants_on_ray_match_the_local_executor(tmp_path: Path) -> None:
    problem = generate_problem(n_partners=80, n_positions=20, seed=11)
    base = tmp_path / "problem.json"
    base.write_text(json.dumps(problem))
    scenario = tmp_path / "ten.yaml"
    scenario.write_text(yaml.safe_dump(ten_variants(problem, base), sort_keys=False))
    outputs = {}
    for executor in ("local", "ray"):
        out = tmp_path / executor
        run = enmusubi("scenario", str(scenario), "--out", str(out), "--workers", "2", "--executor", executor, "-q")
        assert run.returncode == 0, run.stderr
        outputs[executor] = out
    files = sorted(p.relative_to(outputs["local"]) for p in outputs["local"].rglob("*") if p.is_file())
    results = [name for name in files if name.name == "result.json"]
    assert len(results) == VARIANTS + 1, "a result per variant and the base"
    assert files == sorted(p.relative_to(outputs["ray"]) for p in outputs["ray"].rglob("*") if p.is_file())
    for name in files:
        assert _without_timings(outputs["ray"] / name) == _without_timings(outputs["local"] / name), name
    comparison = json.loads((outputs["ray"] / "comparison.json").read_text())
    assert (comparison["workers"], comparison["parallel"]) == (2, True)
