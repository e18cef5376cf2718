"""The Lagrangian bound b·y + Σ max(0, c - Aᵀy) is an upper bound for every y >= 0, checked against the
0/1 optimum by enumeration on small random components; subgradient steps never raise it."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from enmusubi.solver.dual_bound import best_multipliers, dual_bound, subgradient
from enmusubi.solver.model import Component


@st.composite
def components(draw: st.DrawFn, max_vars: int = 10) -> Component:
    """A random packing problem: nonnegative coefficients (ones and knapsack weights), mixed-sign scores."""
    n = draw(st.integers(1, max_vars))
    m = draw(st.integers(1, 5))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    dense = np.where(rng.random((m, n)) < 0.5, rng.choice([1.0, 1.0, 2.5, 4.0, 8.0], size=(m, n)), 0.0)
    rows, cols = np.nonzero(dense)
    return Component(
        pairs=np.arange(n),
        score=np.round(rng.normal(1.0, 1.0, size=n), 3),
        capacity=rng.choice([0.0, 1.0, 2.0, 5.0, 8.0, 12.0], size=m),
        a_row=rows.astype(np.int64),
        a_col=cols.astype(np.int64),
        a_val=dense[rows, cols],
    )


def optimum(component: Component) -> float:
    """The 0/1 optimum by enumerating every choice (reference: shares nothing with the engines)."""
    dense = np.zeros((component.n_rows, component.n_vars))
    dense[component.a_row, component.a_col] = component.a_val
    best = 0.0
    for bits in itertools.product((0.0, 1.0), repeat=component.n_vars):
        x = np.array(bits)
        if np.all(dense @ x <= component.capacity + 1e-9):
            best = max(best, float(component.score @ x))
    return best


@settings(derandomize=True, max_examples=80, deadline=None, database=None)
@given(components(), st.lists(st.floats(0.0, 5.0), min_size=5, max_size=5))
def test_any_nonnegative_multipliers_bound_the_optimum(component: Component, raw: list[float]) -> None:
    y = np.array(raw[: component.n_rows])
    assert dual_bound(component, y) >= optimum(component) - 1e-9
    # Negative entries are clipped, not trusted: a sign slip cannot produce an invalid bound.
    assert dual_bound(component, -y) >= optimum(component) - 1e-9


@settings(derandomize=True, max_examples=40, deadline=None, database=None)
@given(components())
def test_subgradient_lowers_a_bound_and_keeps_it_valid(component: Component) -> None:
    start, start_bound = best_multipliers(component, [])
    y, bound = subgradient(component, start, 0.0, None, iterations=50)
    assert np.all(y >= 0)
    assert optimum(component) - 1e-9 <= bound <= start_bound + 1e-9
    assert abs(dual_bound(component, y) - bound) <= 1e-9
