"""report.md: the summary of an allocation run that a coordinator forwards to municipalities.

Everything in it comes from the Result (and the moves of a re-run), so it always agrees
with result.json; the CSVs beside it carry the full lists.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from enmusubi.markdown import table
from enmusubi.service.io.previous import Move
from enmusubi.solver.result import Assignment, MunicipalitySummary, Result, Unfilled

REASON_TEXT = {
    "no_eligible_partner": "no eligible partner",
    "budget": "budget ran out",
    "outscored": "outscored elsewhere",
    "not_worth": "not worth filling",
}


def yen(value: float | None) -> str:
    return "no limit" if value is None else f"¥{value:,.0f}"


def _percent(part: float, whole: float | None) -> str:
    return "–" if not whole else f"{part / whole:.0%}"


def _municipality_title(m: MunicipalitySummary) -> str:
    return f"{m.name} ({m.id})"


def _status_lines(result: Result) -> list[str]:
    if result.status == "optimal":
        return ["**Optimal**: no allocation scores higher (proven by the solver)."]
    if result.status == "infeasible":
        return [f"**Infeasible**: {result.message}"]
    return [
        f"**Not proven optimal.** The search stopped before a proof (solver: _{result.message}_). "
        "The allocation is valid: every rule holds. A better one may exist, "
        f"scoring at most {result.best_bound:.6f} (gap {result.gap:.3%}).",
    ]


def _summary(result: Result, source: str) -> list[str]:
    muni = result.municipalities
    openings = sum(m.openings for m in muni)
    filled = sum(m.filled for m in muni)
    limited = [m for m in muni if m.budget_yen is not None and m.openings]
    budget_total = sum(m.budget_yen or 0 for m in limited)
    spent_limited = sum(m.spent_yen for m in limited)
    spent_unlimited = sum(m.spent_yen for m in muni if m.budget_yen is None)
    placed = sum(1 for p in result.partners if p.placements)
    reasons = Counter(u.reason for u in result.unfilled)
    reason_text = ", ".join(f"{REASON_TEXT[r]} {n}" for r, n in reasons.most_common())
    stats, repro = result.stats, result.reproducibility
    rows = [
        ("Input", f"`{source}`"),
        ("Status", f"{result.status}" + ("" if result.status == "optimal" else f", gap {result.gap:.3%}")),
        ("Objective", f"{result.objective:.6f} (best bound {result.best_bound:.6f})"),
        (
            "Placements",
            f"{len(result.assignments)}; openings filled {filled} of {openings} ({_percent(filled, openings)})",
        ),
        ("Partners placed", f"{placed} of {len(result.partners)}"),
        (
            "Budget",
            f"{yen(spent_limited)} of {yen(budget_total)} ({_percent(spent_limited, budget_total)}) "
            f"in the {len(limited)} recruiting municipalities with a budget; "
            f"{yen(spent_unlimited)} where there is no limit",
        ),
        ("Unfilled positions", f"{len(result.unfilled)}" + (f" ({reason_text})" if reason_text else "")),
        (
            "Solve",
            f"{stats.total_seconds:.1f} s; {stats.eligible_pairs:,} eligible pairs of {stats.pairs:,}; "
            f"{repro.solver_version}, seed {repro.seed}",
        ),
        ("Input digest", f"`{repro.input_digest[:16]}…` (SHA-256 of the validated problem)"),
    ]
    return table(("", ""), rows)


def _moves(moves: Sequence[Move]) -> list[str]:
    counts = Counter(m.change for m in moves)
    kept, left, joined = counts["kept"], counts["left"], counts["joined"]
    lines = [
        "## Changes since the previous run",
        "",
        f"Kept {kept} of {kept + left} previous placements; {left} ended and {joined} are new.",
        "",
    ]
    changed = [m for m in moves if m.change != "kept"]
    if changed:
        order = {"left": 0, "joined": 1}
        changed.sort(key=lambda m: (m.partner, order[m.change], m.position))
        rows = [
            (
                f"{m.partner} {m.partner_name}",
                m.change,
                f"{m.position} {m.position_title}",
                m.municipality_name,
                m.reason,
            )
            for m in changed
        ]
        lines += table(("partner", "change", "position", "municipality", "why"), rows)
    else:
        lines.append("Nobody moves.")
    return [*lines, ""]


def _budget_table(municipalities: Sequence[MunicipalitySummary]) -> list[str]:
    rows = [
        (
            _municipality_title(m),
            m.openings,
            m.filled,
            yen(m.budget_yen),
            yen(m.spent_yen),
            _percent(m.spent_yen, m.budget_yen),
        )
        for m in municipalities
    ]
    return table(("municipality", "openings", "filled", "budget", "spent", "used"), rows, "lrrrrr")


def _municipality_section(
    m: MunicipalitySummary, assignments: Sequence[Assignment], unfilled: Sequence[Unfilled]
) -> list[str]:
    budget = "no budget limit" if m.budget_yen is None else f"{yen(m.spent_yen)} of {yen(m.budget_yen)} spent"
    lines = [f"### {_municipality_title(m)}", "", f"{m.filled} of {m.openings} openings filled; {budget}.", ""]
    if assignments:
        rows = [
            (
                f"{a.position} {a.position_title}",
                f"{a.partner} {a.partner_name}",
                f"{a.score:.3f}",
                yen(a.cost_yen),
                f"{a.commute_minutes:.0f}" if a.onsite_days_per_week else "remote",
                f"{a.hours:g}",
                ", ".join(t for t, on in (("locked", a.locked), ("incumbent", a.incumbent)) if on),
            )
            for a in sorted(assignments, key=lambda a: (a.position, a.partner))
        ]
        header = ("position", "partner", "score", "cost", "commute min", "h/week", "")
        lines += [*table(header, rows, "llrrrrl"), ""]
    for u in unfilled:
        what = f"{u.position} {u.title}, {u.filled} of {u.openings} filled"
        lines.append(f"- Unfilled: {what}: {REASON_TEXT[u.reason]}: {u.detail}")
    if unfilled:
        lines.append("")
    return lines


def _unfilled_section(result: Result) -> list[str]:
    lines = ["## Unfilled positions and why", ""]
    if not result.unfilled:
        return [*lines, "Every opening is filled.", ""]
    names = {m.id: m.name for m in result.municipalities}
    rows = [
        (f"{u.position} {u.title}", names.get(u.municipality, u.municipality), f"{u.filled}/{u.openings}",
         REASON_TEXT[u.reason], u.detail)
        for u in result.unfilled
    ]  # fmt: skip
    return [*lines, *table(("position", "municipality", "filled", "reason", "detail"), rows), ""]


def _partners_section(result: Result) -> list[str]:
    unplaced = [p for p in result.partners if not p.placements]
    lines = ["## Partners not placed", ""]
    if not unplaced:
        return [*lines, "Every partner is placed.", ""]
    kinds = Counter(
        "eligible for positions that went to better-scoring partners or out of budget"
        if p.note.startswith("eligible for") and p.eligible_positions
        else p.note
        for p in unplaced
    )
    lines.append(f"{len(unplaced)} of {len(result.partners)} partners are not placed (the list is in partners.csv):")
    lines.append("")
    lines += [f"- {n}: {note}" for note, n in kinds.most_common()]
    return [*lines, ""]


UNSERVED_TEXT = {
    "no_eligible_partner": "no eligible partner",
    "budget": "budget",
    "not_worth": "not worth a placement",
    "placed_elsewhere": "its partners are placed elsewhere",
}


def _warnings_section(result: Result) -> list[str]:
    """Likely mistakes in the input (PROBLEM.md §12), first, so they are read before the figures."""
    if not result.warnings:
        return []
    lines = ["## Warnings: check the input", ""]
    lines += [f"- `{w.path}`: {w.message}" for w in result.warnings]
    return [*lines, ""]


def _served_section(result: Result) -> list[str]:
    """Municipalities served and the equity term (PROBLEM.md §9); empty for results stored before it."""
    if result.served_municipalities is None or result.score_total is None:
        return []
    equity = result.objective - result.score_total
    lines = [
        "## Municipalities served",
        "",
        f"{result.served_municipalities} of {result.municipalities_with_positions} municipalities with positions "
        f"have at least one placement. Sum of the placements' scores: {result.score_total:.6f}"
        + (f"; equity reward {equity:.6f} (in the objective)." if abs(equity) > 1e-12 else "."),
        "",
    ]
    if result.unserved:
        rows = [
            (f"{u.name} ({u.municipality})", u.positions, UNSERVED_TEXT[u.reason], u.detail) for u in result.unserved
        ]
        lines += [*table(("municipality", "positions", "why unserved", "detail"), rows, "lrll"), ""]
    return lines


def markdown_report(result: Result, source: str, moves: Sequence[Move] | None = None) -> str:
    """The whole report.md text."""
    lines = ["# Allocation report", "", *_status_lines(result), "", *_summary(result, source), ""]
    lines += [*_warnings_section(result), *_served_section(result)]
    if moves is not None:
        lines += _moves(moves)
    recruiting = [m for m in result.municipalities if m.openings]
    idle = len(result.municipalities) - len(recruiting)
    lines += ["## Budget use by municipality", ""]
    lines += _budget_table(recruiting)
    if idle:
        lines += ["", f"{idle} other municipalities posted no positions this round."]
    lines += ["", "## Placements by municipality", ""]
    by_muni: dict[str, list[Assignment]] = {}
    for a in result.assignments:
        by_muni.setdefault(a.municipality, []).append(a)
    open_by_muni: dict[str, list[Unfilled]] = {}
    for u in result.unfilled:
        open_by_muni.setdefault(u.municipality, []).append(u)
    for m in recruiting:
        lines += _municipality_section(m, by_muni.get(m.id, []), open_by_muni.get(m.id, []))
    lines += _unfilled_section(result)
    lines += _partners_section(result)
    return "\n".join(lines).rstrip("\n") + "\n"
