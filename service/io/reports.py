"""report.md: the summary of an allocation run that a coordinator forwards to municipalities.

In English or Japanese (`lang`), every text from the message catalogue (service/i18n).

Everything in it comes from the Result (and the moves of a re-run), so it always agrees
with result.json; the CSVs beside it carry the full lists.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from enmusubi.markdown import table
from enmusubi.service.i18n import DEFAULT_LANGUAGE, detail_text, reason_text, t
from enmusubi.service.io.previous import Move
from enmusubi.solver.result import Assignment, MunicipalitySummary, Result, Unfilled


def yen(value: float | None, lang: str = DEFAULT_LANGUAGE) -> str:
    return t(lang, "no_limit") if value is None else f"¥{value:,.0f}"


def percent(part: float, whole: float | None) -> str:
    return "–" if not whole else f"{part / whole:.0%}"


def municipality_title(m: MunicipalitySummary) -> str:
    return f"{m.name} ({m.id})"


def status_text(lang: str, status: str) -> str:
    return t(lang, f"status.{status}")


def _status_lines(result: Result, lang: str) -> list[str]:
    if result.status == "optimal":
        return [t(lang, "report.optimal")]
    if result.status == "infeasible":
        return [t(lang, "report.infeasible", message=result.message)]
    return [
        t(lang, "report.not_proven", message=result.message, bound=f"{result.best_bound:.6f}", gap=f"{result.gap:.3%}")
    ]


def summary_rows(result: Result, source: str, lang: str) -> list[tuple[str, str]]:
    """(label, value) rows of a run's summary, shared by report.md and report.html."""
    muni = result.municipalities
    openings = sum(m.openings for m in muni)
    filled = sum(m.filled for m in muni)
    limited = [m for m in muni if m.budget_yen is not None and m.openings]
    budget_total = sum(m.budget_yen or 0 for m in limited)
    spent_limited = sum(m.spent_yen for m in limited)
    spent_unlimited = sum(m.spent_yen for m in muni if m.budget_yen is None)
    placed = sum(1 for p in result.partners if p.placements)
    reasons = Counter(u.reason for u in result.unfilled)
    reason_list = ", ".join(f"{reason_text(lang, r)} {n}" for r, n in reasons.most_common())
    stats, repro = result.stats, result.reproducibility
    status = status_text(lang, result.status)
    return [
        (t(lang, "report.input"), f"`{source}`"),
        (
            t(lang, "report.status"),
            status
            if result.status == "optimal"
            else t(lang, "report.status_gap", status=status, gap=f"{result.gap:.3%}"),
        ),
        (
            t(lang, "report.objective"),
            t(lang, "report.objective_value", objective=f"{result.objective:.6f}", bound=f"{result.best_bound:.6f}"),
        ),
        (
            t(lang, "report.placements"),
            t(
                lang,
                "report.placements_value",
                placements=len(result.assignments),
                filled=filled,
                openings=openings,
                percent=percent(filled, openings),
            ),
        ),
        (t(lang, "report.partners_placed"), t(lang, "report.of", part=placed, whole=len(result.partners))),
        (
            t(lang, "report.budget"),
            t(
                lang,
                "report.budget_value",
                spent=yen(spent_limited, lang),
                budget=yen(budget_total, lang),
                percent=percent(spent_limited, budget_total),
                count=len(limited),
                unlimited=yen(spent_unlimited, lang),
            ),
        ),
        (
            t(lang, "report.unfilled_positions"),
            f"{len(result.unfilled)}" + (f" ({reason_list})" if reason_list else ""),
        ),
        (
            t(lang, "report.solve"),
            t(
                lang,
                "report.solve_value",
                seconds=f"{stats.total_seconds:.1f}",
                eligible=f"{stats.eligible_pairs:,}",
                pairs=f"{stats.pairs:,}",
                solver=repro.solver_version,
                seed=repro.seed,
            ),
        ),
        (t(lang, "report.digest"), t(lang, "report.digest_value", digest=repro.input_digest[:16])),
    ]


def _moves(moves: Sequence[Move], lang: str) -> list[str]:
    counts = Counter(m.change for m in moves)
    kept, left, joined = counts["kept"], counts["left"], counts["joined"]
    lines = [
        f"## {t(lang, 'report.moves_title')}",
        "",
        t(lang, "report.moves_counts", kept=kept, previous=kept + left, left=left, joined=joined),
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
        keys = ("partner", "change", "position", "municipality", "why")
        lines += table([t(lang, f"report.{k}") for k in keys], rows)
    else:
        lines.append(t(lang, "report.nobody_moves"))
    return [*lines, ""]


def _budgettable(municipalities: Sequence[MunicipalitySummary], lang: str) -> list[str]:
    rows = [
        (
            municipality_title(m),
            m.openings,
            m.filled,
            yen(m.budget_yen, lang),
            yen(m.spent_yen, lang),
            percent(m.spent_yen, m.budget_yen),
        )
        for m in municipalities
    ]
    keys = ("municipality", "openings", "filled", "budget_col", "spent", "used")
    return table([t(lang, f"report.{k}") for k in keys], rows, "lrrrrr")


def _municipality_section(
    m: MunicipalitySummary, assignments: Sequence[Assignment], unfilled: Sequence[Unfilled], lang: str
) -> list[str]:
    budget = (
        t(lang, "report.no_budget_limit")
        if m.budget_yen is None
        else t(lang, "report.spent_of", spent=yen(m.spent_yen, lang), budget=yen(m.budget_yen, lang))
    )
    line = t(lang, "report.muni_line", filled=m.filled, openings=m.openings, budget=budget)
    lines = [f"### {municipality_title(m)}", "", line, ""]
    if assignments:
        rows = [
            (
                f"{a.position} {a.position_title}",
                f"{a.partner} {a.partner_name}",
                f"{a.score:.3f}",
                yen(a.cost_yen, lang),
                f"{a.commute_minutes:.0f}" if a.onsite_days_per_week else t(lang, "remote"),
                f"{a.hours:g}",
                ", ".join(t(lang, flag) for flag, on in (("locked", a.locked), ("incumbent", a.incumbent)) if on),
            )
            for a in sorted(assignments, key=lambda a: (a.position, a.partner))
        ]
        keys = ("position", "partner", "score", "cost", "commute_min", "hours_week", "notes")
        lines += [*table([t(lang, f"report.{k}") for k in keys], rows, "llrrrrl"), ""]
    for u in unfilled:
        reason, detail = reason_text(lang, u.reason), detail_text(lang, u.detail)
        lines.append(
            t(
                lang,
                "report.unfilled_line",
                position=u.position,
                title=u.title,
                filled=u.filled,
                openings=u.openings,
                reason=reason,
                detail=detail,
            )
        )
    if unfilled:
        lines.append("")
    return lines


def _unfilled_section(result: Result, lang: str) -> list[str]:
    lines = [f"## {t(lang, 'report.unfilled_title')}", ""]
    if not result.unfilled:
        return [*lines, t(lang, "report.every_filled"), ""]
    names = {m.id: m.name for m in result.municipalities}
    rows = [
        (f"{u.position} {u.title}", names.get(u.municipality, u.municipality), f"{u.filled}/{u.openings}",
         reason_text(lang, u.reason), detail_text(lang, u.detail))
        for u in result.unfilled
    ]  # fmt: skip
    keys = ("position", "municipality", "filled", "reason", "detail")
    return [*lines, *table([t(lang, f"report.{k}") for k in keys], rows), ""]


def _partners_section(result: Result, lang: str) -> list[str]:
    unplaced = [p for p in result.partners if not p.placements]
    lines = [f"## {t(lang, 'report.unplaced_title')}", ""]
    if not unplaced:
        return [*lines, t(lang, "report.every_placed"), ""]
    kinds = Counter(
        t(lang, "report.unplaced_outscored")
        if p.note.startswith("eligible for") and p.eligible_positions
        else detail_text(lang, p.note)
        for p in unplaced
    )
    lines.append(t(lang, "report.unplaced_count", count=len(unplaced), total=len(result.partners)))
    lines.append("")
    lines += [f"- {n}: {note}" for note, n in kinds.most_common()]
    return [*lines, ""]


def _warnings_section(result: Result, lang: str) -> list[str]:
    """Likely mistakes in the input (PROBLEM.md §12), first, so they are read before the figures."""
    if not result.warnings:
        return []
    lines = [f"## {t(lang, 'report.warnings_title')}", ""]
    lines += [f"- `{w.path}`: {detail_text(lang, w.message)}" for w in result.warnings]
    return [*lines, ""]


def _served_section(result: Result, lang: str) -> list[str]:
    """Municipalities served and the equity term (PROBLEM.md §9); empty for results stored before it."""
    if result.served_municipalities is None or result.score_total is None:
        return []
    equity = result.objective - result.score_total
    served = t(
        lang,
        "report.served_line",
        served=result.served_municipalities,
        of=result.municipalities_with_positions,
        scores=f"{result.score_total:.6f}",
    )
    reward = t(lang, "report.equity_reward", reward=f"{equity:.6f}") if abs(equity) > 1e-12 else ""
    lines = [f"## {t(lang, 'report.served_title')}", "", served + reward + t(lang, "report.period"), ""]
    if result.unserved:
        rows = [
            (f"{u.name} ({u.municipality})", u.positions, t(lang, f"unserved.{u.reason}"), detail_text(lang, u.detail))
            for u in result.unserved
        ]
        keys = ("municipality", "positions", "why_unserved", "detail")
        lines += [*table([t(lang, f"report.{k}") for k in keys], rows, "lrll"), ""]
    return lines


def markdown_report(
    result: Result, source: str, moves: Sequence[Move] | None = None, lang: str = DEFAULT_LANGUAGE
) -> str:
    """The whole report.md text, in `lang` (en or ja)."""
    summary = table((t(lang, "report.item"), t(lang, "report.value")), summary_rows(result, source, lang))
    lines = [f"# {t(lang, 'report.title')}", "", *_status_lines(result, lang), "", *summary, ""]
    lines += [*_warnings_section(result, lang), *_served_section(result, lang)]
    lines += [t(lang, "report.pictures"), ""]
    if moves is not None:
        lines += _moves(moves, lang)
    recruiting = [m for m in result.municipalities if m.openings]
    idle = len(result.municipalities) - len(recruiting)
    lines += [f"## {t(lang, 'report.budget_title')}", ""]
    lines += _budgettable(recruiting, lang)
    if idle:
        lines += ["", t(lang, "report.idle", count=idle)]
    lines += ["", f"## {t(lang, 'report.placements_title')}", ""]
    by_muni: dict[str, list[Assignment]] = {}
    for a in result.assignments:
        by_muni.setdefault(a.municipality, []).append(a)
    open_by_muni: dict[str, list[Unfilled]] = {}
    for u in result.unfilled:
        open_by_muni.setdefault(u.municipality, []).append(u)
    for m in recruiting:
        lines += _municipality_section(m, by_muni.get(m.id, []), open_by_muni.get(m.id, []), lang)
    lines += _unfilled_section(result, lang)
    lines += _partners_section(result, lang)
    return "\n".join(lines).rstrip("\n") + "\n"
