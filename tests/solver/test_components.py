"""solver.components against scipy's connected components, on random graphs."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from enmusubi.solver.components import component_labels


def scipy_min_node_labels(n: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    graph = coo_matrix((np.ones(len(u)), (u, v)), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    smallest = np.full(label.max() + 1, n)
    np.minimum.at(smallest, label, np.arange(n))
    return smallest[label]


@st.composite
def graphs(draw: st.DrawFn) -> tuple[int, np.ndarray, np.ndarray]:
    n = draw(st.integers(1, 60))
    edges = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=120))
    u = np.array([a for a, _ in edges], dtype=np.int64)
    v = np.array([b for _, b in edges], dtype=np.int64)
    return n, u, v


@settings(max_examples=300, derandomize=True)
@given(graphs())
def test_labels_are_the_smallest_node_of_each_component(graph: tuple[int, np.ndarray, np.ndarray]) -> None:
    n, u, v = graph
    assert np.array_equal(component_labels(n, u, v), scipy_min_node_labels(n, u, v))


def test_a_long_path_numbered_against_its_order_is_one_component() -> None:
    """The worst case for label propagation: a path whose smallest node sits at the far end."""
    n = 20_000
    order = np.arange(n)[::-1]
    labels = component_labels(n, order[:-1], order[1:])
    assert np.all(labels == 0)


def test_isolated_nodes_keep_their_own_label() -> None:
    labels = component_labels(5, np.array([1]), np.array([3]))
    assert labels.tolist() == [0, 1, 2, 1, 4]
