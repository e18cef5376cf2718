"""Interview shortlists (PROBLEM.md §10) against a two-stage reference MIP written here with highspy:
first the most positions covered, then the largest total score, under both caps."""

from __future__ import annotations

from typing import Any

import highspy
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from enmusubi.solver import InputError, solve
from enmusubi.solver.shortlist import shortlist
from tests import reference as ref
from tests.core_builders import busy_partners, pair_refs, partner, position, problem
from tests.solver.test_properties import PROPERTY_SETTINGS, valid_problems

Problem = dict[str, Any]


def reference_shortlists(problem_dict: Problem, size: int, cap: int) -> tuple[int, float]:
    """(most positions covered, then the largest total score) by two MIPs over the positive eligible pairs."""
    scores = {pair: s for pair, s in ref.reference_scores(problem_dict).items() if s > 0}
    pairs = sorted(scores)
    if not pairs:
        return 0, 0.0
    positions = sorted({j for _, j in pairs})
    partners = sorted({i for i, _ in pairs})
    n, g = len(pairs), len(positions)
    rows: list[tuple[float, float, list[int], list[float]]] = []  # lower, upper, columns, values
    for j_index, j in enumerate(positions):
        cols = [k for k, (_, jj) in enumerate(pairs) if jj == j]
        rows.append((-highspy.kHighsInf, float(size), cols, [1.0] * len(cols)))
        rows.append((-highspy.kHighsInf, 0.0, [n + j_index, *cols], [1.0] + [-1.0] * len(cols)))  # covered_j
    for i in partners:
        cols = [k for k, (ii, _) in enumerate(pairs) if ii == i]
        rows.append((-highspy.kHighsInf, float(cap), cols, [1.0] * len(cols)))

    def run(cost: list[float], extra: list[tuple[float, float, list[int], list[float]]]) -> float:
        h = highspy.Highs()
        h.silent()
        h.setOptionValue("mip_rel_gap", 1e-9)
        h.setOptionValue("mip_abs_gap", 1e-9)
        h.addBinaries(n + g, obj=cost)
        h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        for lower, upper, cols, vals in rows + extra:
            h.addRow(lower, upper, len(cols), np.array(cols, dtype=np.int32), np.array(vals))
        h.run()
        assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
        return float(h.getInfo().objective_function_value)

    covered = round(run([0.0] * n + [1.0] * g, []))
    best = run(
        [scores[p] for p in pairs] + [0.0] * g, [(float(covered), highspy.kHighsInf, list(range(n, n + g)), [1.0] * g)]
    )
    return covered, best


@pytest.fixture(scope="module", autouse=True)
def engine_runs_highs_first() -> None:
    """See test_properties.engine_runs_highs_first."""
    assert solve(busy_partners()).stats.components_by_engine >= 1


@PROPERTY_SETTINGS
@given(valid_problems(), st.integers(1, 4), st.integers(1, 3))
def test_shortlists_equal_the_two_stage_reference(problem_dict: Problem, size: int, cap: int) -> None:
    got = shortlist(problem_dict, size=size, max_per_partner=cap)
    covered, best = reference_shortlists(problem_dict, size, cap)
    assert got.covered == covered
    assert got.total_score == pytest.approx(best, abs=1e-6)
    scores = ref.reference_scores(problem_dict)
    forbidden = {(e["partner"], e["position"]) for e in problem_dict.get("forbidden", [])}
    per_partner: dict[str, int] = {}
    assert [s.position for s in got.shortlists] == [j["id"] for j in problem_dict["positions"]]
    for entry in got.shortlists:
        assert len(entry.candidates) <= size
        assert (entry.reason is None) == bool(entry.candidates)
        keys = [(-c.score, c.partner) for c in entry.candidates]
        assert keys == sorted(keys), "best score first, ties by partner id"
        for c in entry.candidates:
            pair = (c.partner, entry.position)
            assert scores[pair] > 0 and pair not in forbidden
            assert c.score == pytest.approx(scores[pair], abs=1e-9)
            assert sum(c.breakdown.values()) == pytest.approx(c.score, abs=1e-9)
            per_partner[c.partner] = per_partner.get(c.partner, 0) + 1
    assert all(n <= cap for n in per_partner.values())


def test_a_star_is_not_sent_to_every_interview_and_uncovered_positions_say_why() -> None:
    # p is best everywhere; q only fits j0; nobody fits j3 (skill).
    positions = [position(f"j{k}", required_skills={"pm": 1}) for k in range(3)]
    positions.append(position("j3", required_skills={"security": 3}))
    partners = [partner("p", skills={"pm": 5}), partner("q", skills={"pm": 1})]
    built = problem(positions, partners, forbidden=pair_refs(("q", "j1"), ("q", "j2")))
    got = shortlist(built, size=3, max_per_partner=2)
    # Coverage first: q must cover j0 so that p can cover j1 and j2.
    assert [[c.partner for c in s.candidates] for s in got.shortlists] == [["q"], ["p"], ["p"], []]
    assert got.covered == 3
    assert got.shortlists[3].reason == "no eligible partner"
    tight = shortlist(built, size=3, max_per_partner=1)
    assert tight.covered == 2
    reason = next(s.reason for s in tight.shortlists if not s.candidates)
    assert reason is not None and reason.startswith("its 1 eligible partner(s) are all on 1")


def test_locks_are_ignored_and_ties_are_broken_by_partner_id() -> None:
    built = problem([position("j")], [partner("b"), partner("a"), partner("c")], locks=pair_refs(("c", "j")))
    got = shortlist(built, size=2)
    assert [c.partner for c in got.shortlists[0].candidates] == ["a", "b"]


@pytest.mark.parametrize(
    ("size", "cap", "path"),
    [(0, 2, "size"), (21, 2, "size"), (3, 0, "max_per_partner"), (3, 51, "max_per_partner"), (True, 2, "size")],
)
def test_limits_out_of_range_name_the_argument(size: Any, cap: Any, path: str) -> None:
    with pytest.raises(InputError) as caught:
        shortlist(problem([position("j")], [partner("p")]), size=size, max_per_partner=cap)
    assert caught.value.issues[0].path == path
