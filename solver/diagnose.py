"""Why positions stay unfilled and partners unplaced, and the per-municipality totals.

The answers use the rule names of `constraints`, so a coordinator can follow them
into an explanation of any single pair.
"""

from __future__ import annotations

import numpy as np

from enmusubi.constraints import ELIGIBILITY_RULE_NAMES, first_failing_rules
from enmusubi.solver.data import ProblemData
from enmusubi.solver.result import MunicipalitySummary, PartnerSummary, Unfilled, Unserved
from enmusubi.solver.scoring import Candidates
from enmusubi.solver.tolerances import CAPACITY_EPS

RULE_PHRASES = {
    "skill": "lack the required skills",
    "onsite": "accept fewer on-site days",
    "commute": "live beyond their commute limit",
    "rate": "charge above the position's maximum rate",
    "excluded": "exclude the municipality or are forbidden",
    "hours": "offer fewer weekly hours",
    "budget": "would cost more than the whole budget",
}


def _skill_text(data: ProblemData, j: int) -> str:
    needs = [f"{data.skills[s]} >= {int(data.required[j, s])}" for s in np.flatnonzero(data.required[j])]
    return ", ".join(needs) if needs else "no skill"


def no_eligible_detail(data: ProblemData, j: int) -> str:
    """Which rule stopped the nearest partners: those who pass the most rules before failing."""
    n = data.n_partners
    if n == 0:
        return "there are no partners"
    # The skill rule (first) on the position's own required skills, then the other rules only for the
    # partners who pass it: the same counts as all rules on every partner, at a fraction of the work.
    needed = np.flatnonzero(data.required[j])
    skilled = np.flatnonzero(np.all(data.levels[:, needed] >= data.required[j, needed], axis=1))
    first = first_failing_rules(data, skilled.astype(np.int32), np.full(len(skilled), j, dtype=np.int32))
    counts = np.bincount(first[first >= 0], minlength=len(ELIGIBILITY_RULE_NAMES))
    counts[0] = n - len(skilled)
    have_skills = len(skilled)
    if have_skills == 0:
        near = data.levels[:, data.required[j] > 0] >= (data.required[j][data.required[j] > 0] - 1)
        close = int(near.all(axis=1).sum()) if near.size else 0
        return f"no partner has {_skill_text(data, j)}" + (f"; {close} partner(s) are one level short" if close else "")
    furthest = int(first[first >= 0].max()) if (first >= 0).any() else 0
    stopped = ", ".join(
        f"{int(counts[k])} {RULE_PHRASES[name]} ({name})"
        for k, name in enumerate(ELIGIBILITY_RULE_NAMES)
        if k > 0 and counts[k]
    )
    nearest = int(counts[furthest])
    who = "the nearest partner" if nearest == 1 else f"the nearest {nearest} partners"
    return (
        f"{have_skills} partner(s) have {_skill_text(data, j)}, but {stopped}; "
        f"{who} got as far as the {ELIGIBILITY_RULE_NAMES[furthest]} rule"
    )


def unfilled_positions(data: ProblemData, cands: Candidates, chosen: np.ndarray) -> list[Unfilled]:
    filled = np.bincount(cands.position[chosen], minlength=data.n_positions)
    eligible = np.bincount(cands.position, minlength=data.n_positions)
    worth = np.bincount(cands.position[cands.score > 0], minlength=data.n_positions)
    spent = np.bincount(data.position_muni[cands.position[chosen]], weights=cands.cost[chosen], minlength=data.n_munis)
    hours_used = np.bincount(
        cands.partner[chosen], weights=data.position_hours[cands.position[chosen]], minlength=data.n_partners
    )
    count_used = np.bincount(cands.partner[chosen], minlength=data.n_partners)
    # Each position's pairs as a slice of one ordering, instead of a scan of every pair per position.
    by_position = np.argsort(cands.position, kind="stable")
    first = np.searchsorted(cands.position[by_position], np.arange(data.n_positions + 1))
    out = []
    for j in np.flatnonzero(filled < data.openings).tolist():
        pos = data.problem.positions[j]
        m = int(data.position_muni[j])
        if eligible[j] == 0:
            reason, detail = "no_eligible_partner", no_eligible_detail(data, j)
        elif worth[j] == 0:
            reason = "not_worth"
            detail = (
                f"its {eligible[j]} eligible partner(s) all score <= 0 (commute and cost penalties outweigh the fit)"
            )
        elif not (mine := _unplaced_worth(cands, chosen, np.sort(by_position[first[j] : first[j + 1]]))).size:
            reason = "not_worth"
            others = int(eligible[j] - worth[j])
            detail = f"every eligible partner who scores above 0 ({worth[j]}) is placed here" + (
                f"; the other {others} score <= 0" if others else "; no other partner is eligible"
            )
        else:
            room = data.muni_budget[m] - spent[m]
            cheapest = float(cands.cost[mine].min())
            partners = cands.partner[mine]
            full_hours = hours_used[partners] + data.position_hours[j] > data.partner_hours[partners] + CAPACITY_EPS
            full_count = count_used[partners] >= data.max_assignments[partners]
            if cheapest > room + CAPACITY_EPS:
                reason = "budget"
                detail = (  # the reason ("budget") says the budget ran out; the detail says by how much
                    f"¥{room:,.0f} left of ¥{data.muni_budget[m]:,.0f}, "
                    f"the cheapest of its {len(mine)} unplaced eligible partner(s) costs ¥{cheapest:,.0f}"
                )
            else:
                reason = "outscored"
                parts = []
                if full_hours.any():
                    parts.append(f"{int(full_hours.sum())} have their weekly hours taken by other placements (hours)")
                if (full_count & ~full_hours).any():
                    parts.append(f"{int((full_count & ~full_hours).sum())} are at their maximum placements (count)")
                rest = int((~full_hours & ~full_count).sum())
                if rest:
                    parts.append(
                        f"{rest} could still be placed, but every way of doing so lowers the total "
                        "(it would displace better placements of the budget or openings)"
                    )
                detail = f"its {len(mine)} unplaced eligible partner(s) are outscored elsewhere: " + "; ".join(parts)
        out.append(
            Unfilled(
                position=pos.id,
                title=pos.title,
                municipality=pos.municipality,
                openings=pos.openings,
                filled=int(filled[j]),
                reason=reason,
                detail=detail,
                eligible_partners=int(eligible[j]),
            )
        )
    return out


def _unplaced_worth(cands: Candidates, chosen: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """Of `pairs` (indices), those not chosen that score above 0."""
    kept: np.ndarray = pairs[~chosen[pairs] & (cands.score[pairs] > 0)]
    return kept


def municipality_summaries(data: ProblemData, cands: Candidates, chosen: np.ndarray) -> list[MunicipalitySummary]:
    muni_of = data.position_muni[cands.position[chosen]]
    spent = np.bincount(muni_of, weights=cands.cost[chosen], minlength=data.n_munis)
    filled = np.bincount(muni_of, minlength=data.n_munis)
    openings = np.bincount(data.position_muni, weights=data.openings, minlength=data.n_munis)
    out = []
    for m, muni in enumerate(data.problem.municipalities):
        budget = muni.budget_yen
        out.append(
            MunicipalitySummary(
                id=muni.id,
                name=muni.name,
                budget_yen=budget,
                spent_yen=float(spent[m]),
                remaining_yen=None if budget is None else float(budget - spent[m]),
                openings=int(openings[m]),
                filled=int(filled[m]),
            )
        )
    return out


def partner_summaries(data: ProblemData, cands: Candidates, chosen: np.ndarray) -> list[PartnerSummary]:
    placements = np.bincount(cands.partner[chosen], minlength=data.n_partners)
    hours = np.bincount(
        cands.partner[chosen], weights=data.position_hours[cands.position[chosen]], minlength=data.n_partners
    )
    eligible = np.bincount(cands.partner, minlength=data.n_partners)
    out = []
    for i, partner in enumerate(data.problem.partners):
        if placements[i]:
            note = ""
        elif partner.max_assignments == 0 or partner.hours_per_week == 0:
            note = "offers no hours or placements"
        elif eligible[i] == 0:
            note = "eligible for no position"
        else:
            note = (
                f"eligible for {int(eligible[i])} position(s), all filled by better-scoring partners or out of budget"
            )
        out.append(
            PartnerSummary(
                id=partner.id,
                name=partner.name,
                placements=int(placements[i]),
                hours_used=float(hours[i]),
                hours_per_week=partner.hours_per_week,
                eligible_positions=int(eligible[i]),
                note=note,
            )
        )
    return out


def _budget_blocks(data: ProblemData, positions: np.ndarray) -> bool:
    """Every partner who passes all other rules for some position of the municipality fails only the budget."""
    n = data.n_partners
    if n == 0:
        return False
    partner = np.tile(np.arange(n, dtype=np.int32), len(positions))
    position = np.repeat(positions.astype(np.int32), n)
    first = first_failing_rules(data, partner, position)
    return bool((first == ELIGIBILITY_RULE_NAMES.index("budget")).any())


def unserved_municipalities(data: ProblemData, cands: Candidates, chosen: np.ndarray) -> list[Unserved]:
    """Every municipality with positions and no placement, with why (PROBLEM.md §9)."""
    equity = data.problem.weights.equity
    pair_muni = data.position_muni[cands.position]
    served = np.zeros(data.n_munis, dtype=bool)
    served[pair_muni[chosen]] = True
    n_positions = np.bincount(data.position_muni, minlength=data.n_munis)
    hours_used = np.bincount(
        cands.partner[chosen], weights=data.position_hours[cands.position[chosen]], minlength=data.n_partners
    )
    count_used = np.bincount(cands.partner[chosen], minlength=data.n_partners)
    out = []
    for m in np.flatnonzero((n_positions > 0) & ~served).tolist():
        muni = data.problem.municipalities[m]
        positions = np.flatnonzero(data.position_muni == m)
        mine = np.flatnonzero(pair_muni == m)
        worth = mine[cands.score[mine] + equity > 0]
        if len(mine) == 0 and muni.budget_yen is not None and _budget_blocks(data, positions):
            reason = "budget"
            detail = (
                f"no eligible partner: those who pass every other rule would cost more than "
                f"the whole budget of ¥{muni.budget_yen:,}"
            )
        elif len(mine) == 0:
            reason = "no_eligible_partner"
            detail = "no eligible partner: " + "; ".join(
                f"{data.position_ids[j]}: {no_eligible_detail(data, int(j))}" for j in positions[:3]
            )
        elif len(worth) == 0:
            reason = "not_worth"
            detail = (
                f"its {len(mine)} eligible pair(s) score at most {float(cands.score[mine].max()):.3f}, "
                f"not above 0 even with the equity reward of {equity:g}"
            )
        else:
            reason = "placed_elsewhere"
            partners = np.unique(cands.partner[worth])
            hours = data.position_hours[cands.position[worth]]
            full_hours = np.zeros(data.n_partners, dtype=bool)
            full_hours[cands.partner[worth]] = (
                hours_used[cands.partner[worth]] + hours > data.partner_hours[cands.partner[worth]] + 1e-9
            )
            full_hours = full_hours[partners]
            full_count = (count_used[partners] >= data.max_assignments[partners]) & ~full_hours
            parts = []
            if full_hours.any():
                parts.append(f"{int(full_hours.sum())} have their weekly hours taken by placements elsewhere")
            if full_count.any():
                parts.append(f"{int(full_count.sum())} are at their maximum placements elsewhere")
            rest = len(partners) - int(full_hours.sum()) - int(full_count.sum())
            if rest:
                parts.append(f"{rest} could be placed here, but every way of doing so lowers the objective")
            detail = f"its {len(partners)} eligible partner(s) are placed elsewhere: " + "; ".join(parts)
        out.append(
            Unserved(
                municipality=muni.id,
                name=muni.name,
                positions=len(positions),
                eligible_pairs=len(mine),
                reason=reason,
                detail=detail,
            )
        )
    return out
