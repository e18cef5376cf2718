"""Connected components of the pair-row graph, in numpy.

This replaces scipy.sparse.csgraph: it is the only thing the solve path needed scipy
for, and importing scipy costs a command-line run about 0.15 s.
"""

from __future__ import annotations

import numpy as np


def component_labels(n_nodes: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Per node, the smallest node index of its component (edges u[k]-v[k], undirected).

    Hook every root to the smallest root it touches, then jump pointers until each
    node points at its root; repeat until no edge joins two roots. Labels only ever
    decrease, so this ends; a 200,000-node path takes milliseconds.
    """
    label = np.arange(n_nodes, dtype=np.int64)
    u = np.asarray(u, dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    while True:
        lu, lv = label[u], label[v]
        across = lu != lv
        if not across.any():
            return label
        lu, lv = lu[across], lv[across]
        low = np.minimum(lu, lv)
        np.minimum.at(label, lu, low)
        np.minimum.at(label, lv, low)
        while True:
            jumped = label[label]
            if np.array_equal(jumped, label):
                break
            label = jumped
