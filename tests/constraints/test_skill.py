"""Rule 1, `skill`: every required level must be met; the skill index finds exactly those pairs."""

from __future__ import annotations

import numpy as np
import pytest

from enmusubi import solver
from enmusubi.constraints import skill
from enmusubi.solver.data import compile_problem
from tests import reference as ref
from tests.core_builders import engine_scores, failing_rule, partner, position, problem, unfilled_reasons


def one_pair(level: int | None, required: int = 3) -> dict:
    skills = {} if level is None else {"security": level}
    return problem([position("j", required_skills={"security": required})], [partner("p", skills=skills)])


def test_below_the_level_fails() -> None:
    tiny = one_pair(level=2)
    rule, detail = failing_rule(tiny, "p", "j")
    assert rule == "skill"
    assert detail == "security 2 < 3"
    assert engine_scores(tiny) == {}
    result = solver.solve(tiny)
    assert result.assignments == []
    assert unfilled_reasons(result) == {"j": "no_eligible_partner"}


def test_an_unlisted_skill_is_level_zero() -> None:
    assert failing_rule(one_pair(level=None, required=1), "p", "j") == ("skill", "security 0 < 1")


@pytest.mark.parametrize("level", [3, 4, 5])
def test_equal_or_higher_level_passes(level: int) -> None:
    tiny = one_pair(level=level)
    assert failing_rule(tiny, "p", "j")[0] is None
    assert set(engine_scores(tiny)) == {("p", "j")}
    assert solver.solve(tiny).pair_set() == {("p", "j")}


def test_every_required_skill_counts() -> None:
    tiny = problem(
        [position("j", required_skills={"security": 2, "backend": 4})],
        [partner("p", skills={"security": 5, "backend": 3}), partner("q", skills={"security": 2, "backend": 4})],
    )
    assert failing_rule(tiny, "p", "j") == ("skill", "backend 3 < 4, security 5 >= 2")
    assert set(engine_scores(tiny)) == {("q", "j")}


def test_a_position_without_required_skills_takes_anyone() -> None:
    tiny = problem([position("j", preferred_skills={"pr_writing": 1.0})], [partner("p"), partner("q", skills={"x": 1})])
    assert set(engine_scores(tiny)) == {("p", "j"), ("q", "j")}


def test_fit_weights_required_skills_twice() -> None:
    """fit = (2 * 4/5 + 0.5 * 1/5) / 2.5 = 0.68; no commute, no budget: score = 1 + 0.68."""
    tiny = problem(
        [position("j", required_skills={"security": 3}, preferred_skills={"training": 0.5})],
        [partner("p", skills={"security": 4, "training": 1})],
    )
    assert engine_scores(tiny)[("p", "j")] == pytest.approx(1.68, abs=1e-12)
    assert ref.score(tiny, "p", "j") == pytest.approx(1.68, abs=1e-12)


def random_problem(rng: np.random.Generator, n_partners: int, n_positions: int, n_skills: int) -> dict:
    vocabulary = [f"s{k}" for k in range(n_skills)]
    partners = [
        partner(f"p{i}", skills={s: int(rng.integers(0, 6)) for s in vocabulary if rng.random() < 0.5})
        for i in range(n_partners)
    ]
    positions = []
    for j in range(n_positions):
        wanted = rng.choice(n_skills, size=int(rng.integers(0, 4)), replace=False)
        positions.append(position(f"j{j}", required_skills={vocabulary[s]: int(rng.integers(1, 6)) for s in wanted}))
    return problem(positions, partners)


@pytest.mark.parametrize("seed", range(6))
def test_skill_index_equals_brute_force_mask(seed: int) -> None:
    rng = np.random.default_rng(seed)
    data = compile_problem(solver.parse_problem(random_problem(rng, 60, 25, 6)))
    partner_idx, position_idx = skill.candidate_pairs(data)
    found = list(zip(partner_idx.tolist(), position_idx.tolist(), strict=True))
    assert len(found) == len(set(found)), "a pair came out of the index twice"
    every_i, every_j = np.meshgrid(np.arange(data.n_partners), np.arange(data.n_positions), indexing="ij")
    keep = skill.mask(data, every_i.ravel(), every_j.ravel())
    expected = set(zip(every_i.ravel()[keep].tolist(), every_j.ravel()[keep].tolist(), strict=True))
    assert set(found) == expected
    assert 0 < len(expected) < data.n_partners * data.n_positions


def test_skill_index_edge_sizes() -> None:
    no_skills = compile_problem(solver.parse_problem(problem([position("j")], [partner("p"), partner("q")])))
    assert sorted(zip(*map(np.ndarray.tolist, skill.candidate_pairs(no_skills)), strict=True)) == [(0, 0), (1, 0)]
    nobody = compile_problem(solver.parse_problem(problem([position("j", required_skills={"a": 1})], [])))
    assert all(len(a) == 0 for a in skill.candidate_pairs(nobody))
