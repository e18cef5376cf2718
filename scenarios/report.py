"""A scenario run for people (Markdown report, terminal table) and for machines (comparison.json)."""

from __future__ import annotations

import json
from typing import Any

from rich.console import JustifyMethod
from rich.table import Table

from enmusubi import markdown
from enmusubi.scenarios.compare import CountChange, VariantDiff
from enmusubi.scenarios.run import ScenarioRun, VariantRun
from enmusubi.scenarios.scenario import BASE_SLUG
from enmusubi.scenarios.words import changes_in_words
from enmusubi.solver import Result

RESULT_FILE = "result.json"
MAX_ROWS = 40  # longer lists are cut in the Markdown report; comparison.json always has them all


def result_path(slug: str) -> str:
    """Where a result lives inside a scenario's output directory, relative to it."""
    return f"{slug}/{RESULT_FILE}"


def _filled(result: Result) -> tuple[int, int]:
    return sum(m.filled for m in result.municipalities), sum(m.openings for m in result.municipalities)


def _spent(result: Result) -> float:
    return sum(m.spent_yen for m in result.municipalities)


def _status(result: Result) -> str:
    return result.status if result.status == "optimal" else f"{result.status} (gap {result.gap:.2%})"


def _signed(value: float, digits: int = 3) -> str:
    if abs(value) < 0.5 * 10**-digits:
        return "0"
    return f"{value:+,.{digits}f}"


def variant_rows(run: ScenarioRun, base: dict[str, Any], lang: str) -> list[dict[str, Any]]:
    """Each variant against the base, for report.html and the console: changes in words and the three deltas."""
    return [
        {
            "name": v.name,
            "slug": v.slug,
            "changes": changes_in_words(base, v.changes, lang),
            "objective_change": v.diff.objective.change,
            "filled_change": v.diff.filled_openings.change,
            "spend_change": v.diff.total_spend.change,
        }
        for v in run.variants
    ]


def _yen(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "—"
    if signed:
        return "0" if abs(value) < 0.5 else f"{'+' if value > 0 else '-'}¥{abs(value):,.0f}"
    return f"¥{value:,.0f}"


def _count_change(added: int, removed: int) -> str:
    return f"+{added} / −{removed}"


def _pair_change(diff: VariantDiff) -> str:
    ties = sum(p.tie for p in diff.pairs_added)
    text = _count_change(len(diff.pairs_added), len(diff.pairs_removed))
    return text + (f" ({ties} tie{'s' if ties > 1 else ''})" if ties else "")


def comparison_document(run: ScenarioRun) -> dict[str, Any]:
    """comparison.json: every variant's difference from the base, with the result files it was computed from."""
    filled, openings = _filled(run.base)
    return {
        "version": 1,
        "name": run.name,
        "wall_seconds": run.wall_seconds,
        "variants_seconds": run.variants_seconds,
        "parallel": run.parallel,
        "workers": run.workers,
        "base": {
            "result": result_path(BASE_SLUG),
            "status": run.base.status,
            "objective": run.base.objective,
            "served_municipalities": run.base.served_municipalities,
            "municipalities_with_positions": run.base.municipalities_with_positions,
            "best_bound": run.base.best_bound,
            "gap": run.base.gap,
            "placements": len(run.base.assignments),
            "filled_openings": filled,
            "openings": openings,
            "spent_yen": _spent(run.base),
        },
        "variants": [
            {
                "name": v.name,
                "slug": v.slug,
                "result": result_path(v.slug),
                "changes": v.changes,
                "notes": v.notes,
                "diff": v.diff.model_dump(mode="json"),
            }
            for v in run.variants
        ],
    }


def comparison_json(run: ScenarioRun) -> str:
    return json.dumps(comparison_document(run), indent=2, ensure_ascii=False) + "\n"


def summary_table(run: ScenarioRun) -> Table:
    """The terminal table: one row for the base, one per variant, changes against the base."""
    table = Table(title=f"Scenario: {run.name}", title_justify="left")
    columns: list[tuple[str, JustifyMethod]] = [
        ("variant", "left"),
        ("status", "left"),
        ("objective", "right"),
        ("Δ objective", "right"),
        ("served", "right"),
        ("filled", "right"),
        ("Δ filled", "right"),
        ("Δ spend", "right"),
        ("pairs +/−", "right"),
        ("positions filled +/−", "right"),
    ]
    for header, justify in columns:
        table.add_column(header, justify=justify)
    filled, openings = _filled(run.base)
    base_cells = [
        "[bold]base[/bold]",
        _status(run.base),
        f"{run.base.objective:.3f}",
        "",
        served_text(run.base),
        f"{filled}/{openings}",
    ]
    table.add_row(*base_cells, "", "", "", "")
    for v in run.variants:
        table.add_row(*_variant_cells(v, f"{v.diff.filled_openings.variant}/{_filled(v.result)[1]}"))
    mode = f"in parallel on {run.workers} processes" if run.parallel else "one after another"
    table.caption = f"variants solved {mode} in {run.variants_seconds:.2f} s; whole run {run.wall_seconds:.2f} s"
    return table


def _table(headers: list[str], rows: list[list[Any]], more_hint: str = "comparison.json") -> list[str]:
    lines = markdown.table(headers, rows[:MAX_ROWS])
    if len(rows) > MAX_ROWS:
        lines.append(f"\n… and {len(rows) - MAX_ROWS} more (see {more_hint}).")
    return [*lines, ""]


def _variant_section(v: VariantRun, base: dict[str, Any] | None, lang: str) -> list[str]:
    d: VariantDiff = v.diff
    out = [f"## {v.name}", "", f"Result: `{result_path(v.slug)}` — {_status(v.result)}; its own CSVs, "
           f"`{v.slug}/report.md` and `{v.slug}/report.html` beside it.", ""]  # fmt: skip
    out += ["Changes:", ""]
    if base is not None:
        out += [f"- {line}" for line in changes_in_words(base, v.changes, lang)]
    else:
        out += [f"- `{json.dumps(c, ensure_ascii=False)}`" for c in v.changes] or ["- none (the base as it is)"]
    out += [f"- {note}" for note in v.notes]
    out += [
        "",
        f"- objective {d.objective.base:.6f} → {d.objective.variant:.6f} ({_signed(d.objective.change, 6)})",
        *_served_lines(d),
        f"- filled openings {d.filled_openings.base} → {d.filled_openings.variant}"
        f" ({_signed(d.filled_openings.change, 0)})",
        f"- total spend {_yen(d.total_spend.base)} → {_yen(d.total_spend.variant)}"
        f" ({_yen(d.total_spend.change, signed=True)})",
        f"- pairs added {len(d.pairs_added)}, removed {len(d.pairs_removed)}; positions now filled"
        f" {len(d.became_filled)}, no longer filled {len(d.became_unfilled)}",
        "",
    ]
    if d.unchanged:
        return [*out, "The allocation is the same as the base's.", ""]
    if d.spend:
        out += ["### Spend per municipality (those that changed)", ""]
        out += _table(
            ["municipality", "budget", "spent (base)", "spent (variant)", "change", "filled"],
            [
                [
                    f"{m.name} ({m.id})",
                    _yen(m.budget_variant)
                    if m.budget_base == m.budget_variant
                    else f"{_yen(m.budget_base)} → {_yen(m.budget_variant)}",
                    _yen(m.base),
                    _yen(m.variant),
                    _yen(m.change, signed=True),
                    f"{m.filled_base if m.filled_base is not None else '—'} → "
                    f"{m.filled_variant if m.filled_variant is not None else '—'}",
                ]
                for m in d.spend
            ],
        )
    for title, pairs in (("Pairs added", d.pairs_added), ("Pairs removed", d.pairs_removed)):
        if pairs:
            out += [f"### {title}", ""]
            out += _table(
                ["partner", "position", "municipality", "score", "note"],
                [
                    [
                        f"{p.partner_name} ({p.partner})",
                        f"{p.position_title} ({p.position})",
                        p.municipality_name,
                        f"{p.score:.4f}",
                        "tie: an equally good alternative" if p.tie else "",
                    ]
                    for p in pairs
                ],
            )
    position_lists = (("Positions now filled", d.became_filled), ("Positions no longer filled", d.became_unfilled))
    for title, positions in position_lists:
        if positions:
            out += [f"### {title}", ""]
            out += _table(
                ["position", "municipality", "filled (base → variant)", "openings"],
                [
                    [
                        f"{p.title} ({p.position})",
                        f"{p.municipality_name} ({p.municipality})",
                        f"{'new' if p.filled_base is None else p.filled_base} → {p.filled_variant}",
                        p.openings,
                    ]
                    for p in positions
                ],
            )
    return out


def markdown_report(run: ScenarioRun, base: dict[str, Any] | None = None, lang: str = "en") -> str:
    """report.md: the base in brief, a summary table of the variants, then each variant's differences.

    With the base problem (its dict), changes are written in words (`中野区 (Nakano) budget ×1.3 → ¥780,000`)
    in `lang`; without it, as the scenario file gives them."""
    filled, openings = _filled(run.base)
    mode = f"in parallel on {run.workers} processes" if run.parallel else "one after another"
    lines = [
        f"# Scenario: {run.name}",
        "",
        f"Base (`{result_path(BASE_SLUG)}`): {_status(run.base)}, objective {run.base.objective:.6f}, "
        f"municipalities served {served_text(run.base)}, "
        f"{len(run.base.assignments)} placements filling {filled} of {openings} openings, "
        f"spend {_yen(_spent(run.base))}.",
        "",
        f"{len(run.variants)} variant(s), each solved from the base's allocation {mode}: "
        f"{run.variants_seconds:.2f} s (whole run {run.wall_seconds:.2f} s). "
        "Spend lists only municipalities whose spend, budget or filled openings changed; a *tie* is a "
        "partner swapped for another at the same position with the same score (equally good, the solver's pick); "
        "every list is complete in `comparison.json`.",
        "",
        "## Summary",
        "",
    ]
    rows = []
    for v in run.variants:
        rows.append(_variant_cells(v, f"{v.diff.filled_openings.variant}"))
    headers = ["variant", "status", "objective", "Δ objective", "served", "filled", "Δ filled", "Δ spend", "pairs +/−"]
    lines += _table([*headers, "positions filled +/−"], rows)
    for v in run.variants:
        lines += _variant_section(v, base, lang)
    return "\n".join(lines).rstrip() + "\n"


def _served_lines(d: VariantDiff) -> list[str]:
    """Served municipalities and the pair scores alone, beside the objective (PROBLEM.md §9)."""
    lines = []
    if d.served_municipalities is not None:
        served = d.served_municipalities
        lines.append(f"- municipalities served {served.base} → {served.variant} ({_signed(served.change, 0)})")
    if d.score_total is not None and (
        abs(d.score_total.base - d.objective.base) > 1e-12 or abs(d.score_total.variant - d.objective.variant) > 1e-12
    ):
        total = d.score_total
        lines.append(f"- pair scores alone {total.base:.6f} → {total.variant:.6f} ({_signed(total.change, 6)})")
    return lines


def served_text(result: Result, change: CountChange | None = None) -> str:
    """Municipalities served of those with positions (PROBLEM.md §9), with the change against the base."""
    if result.served_municipalities is None:
        return "–"
    text = f"{result.served_municipalities}/{result.municipalities_with_positions}"
    return text if change is None else f"{text} ({_signed(change.change, 0)})"


def _variant_cells(v: VariantRun, filled: str) -> list[str]:
    """A variant's summary cells, shared by the terminal table and report.md."""
    d = v.diff
    return [
        v.name,
        _status(v.result),
        f"{d.objective.variant:.3f}",
        _signed(d.objective.change),
        served_text(v.result, d.served_municipalities),
        filled,
        _signed(d.filled_openings.change, 0),
        _yen(d.total_spend.change, signed=True),
        _pair_change(d),
        _count_change(len(d.became_filled), len(d.became_unfilled)),
    ]
