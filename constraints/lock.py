"""Aggregate rule `lock`: every locked pair is in the result.

Locks are checked before solving (`enmusubi.solver.locks`): a lock must be an eligible
pair, and the locks alone must fit every packing rule (openings, hours, count, budget).
As all those rules only ever limit from above, locks that fit them alone always leave a
feasible problem, so infeasibility is reported as an input error naming the locks.
"""

from __future__ import annotations

NAME = "lock"
