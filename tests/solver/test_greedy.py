"""The vectorised greedy: always feasible, maximal (no pair left out still fits), one pair per
municipality in its equity pass, and the hint's pairs first."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from enmusubi.solver.greedy import greedy, greedy_by
from enmusubi.solver.model import Component
from enmusubi.solver.tolerances import CAPACITY_EPS
from tests.solver.test_dual_bound import components

GREEDY_SETTINGS = settings(derandomize=True, max_examples=150, deadline=None, database=None)


def fits_nowhere(component: Component, chosen: np.ndarray) -> bool:
    """No positive unchosen pair fits in what the chosen ones leave."""
    room = component.capacity - component.usage(chosen)
    for v in np.flatnonzero(~chosen & (component.score > 0)):
        entries = component.a_col == v
        if np.all(component.a_val[entries] <= room[component.a_row[entries]] + CAPACITY_EPS):
            return False
    return True


@GREEDY_SETTINGS
@given(components(max_vars=40))
def test_feasible_and_maximal(component: Component) -> None:
    chosen = greedy(component)
    assert component.fits(chosen)
    assert not np.any(chosen & (component.score <= 0))
    assert fits_nowhere(component, chosen)


@GREEDY_SETTINGS
@given(components(max_vars=40), st.integers(0, 2**32 - 1))
def test_by_priority_feasible_and_maximal(component: Component, seed: int) -> None:
    priority = np.random.default_rng(seed).random(component.n_vars)
    chosen = greedy_by(component, priority)
    assert component.fits(chosen) and fits_nowhere(component, chosen)


@GREEDY_SETTINGS
@given(components(max_vars=40), st.integers(0, 2**32 - 1))
def test_a_feasible_hint_is_kept_whole(component: Component, seed: int) -> None:
    hint = greedy_by(component, np.random.default_rng(seed).random(component.n_vars))
    assert np.all(greedy(component, hint)[hint])


@GREEDY_SETTINGS
@given(components(max_vars=30), st.integers(1, 4), st.floats(0.1, 3.0), st.integers(0, 2**32 - 1))
def test_equity_pass_serves_each_group_once_then_fills(
    component: Component, groups: int, equity: float, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    served_of = rng.integers(-1, groups, size=component.n_vars)
    with_groups = replace(component, served_of=served_of, served_muni=np.arange(groups), equity=equity)
    chosen = greedy(with_groups)
    assert with_groups.fits(chosen)
    # A pair scoring <= 0 is only ever the one pair serving its group.
    weak = np.flatnonzero(chosen & (component.score <= 0))
    assert np.all(served_of[weak] >= 0)
    assert len(np.unique(served_of[weak])) == len(weak)
    assert fits_nowhere(component, chosen)
