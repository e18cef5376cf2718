"""Terminal conventions shared by the CLI commands: one-line errors, exit code 2, summaries."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from enmusubi.solver import InputError, Result
from enmusubi.solver.result import InputWarning

INPUT_ERROR_EXIT = 2


@contextmanager
def fail_on_input_error() -> Iterator[None]:
    """Turn invalid input into one clear line on stderr and exit code 2, never a traceback."""
    try:
        yield
    except InputError as error:
        sys.stderr.write(f"error: {error.first_line()}\n")
        for issue in error.issues[1:10]:
            sys.stderr.write(f"  also: {issue}\n")
        raise typer.Exit(INPUT_ERROR_EXIT) from None
    except typer.BadParameter as error:
        sys.stderr.write(f"error: {error}\n")
        raise typer.Exit(INPUT_ERROR_EXIT) from None


def print_summary(console: Console, result: Result, out: Path | None) -> None:
    stats = result.stats
    filled = sum(m.filled for m in result.municipalities)
    openings = sum(m.openings for m in result.municipalities)
    table = Table(show_header=False, box=None, padding=(0, 2))
    table.add_row(
        "status", f"[bold]{result.status}[/bold]" + ("" if result.status == "optimal" else f" (gap {result.gap:.3%})")
    )
    table.add_row("objective", f"{result.objective:.6f} (bound {result.best_bound:.6f})")
    table.add_row("placements", f"{len(result.assignments)}; openings filled {filled} of {openings}")
    table.add_row("unfilled positions", str(len(result.unfilled)))
    table.add_row(
        "pairs",
        f"{stats.pairs:,} considered, {stats.eligible_pairs:,} eligible, {stats.variables:,} left for the solver",
    )
    table.add_row(
        "time",
        f"{stats.total_seconds:.2f} s (scoring {stats.scoring_seconds:.3f} s, solving {stats.solve_seconds:.3f} s)",
    )
    add_equity_rows(table, result)
    if out is not None:
        table.add_row("written", str(out))
    console.print(table)
    print_warnings(console, result.warnings)


def add_equity_rows(table: Table, result: Result) -> None:
    """Municipalities served (PROBLEM.md §9), and the scores alone when the equity reward is in the objective."""
    if result.served_municipalities is None or result.score_total is None:
        return
    unserved = ", ".join(u.municipality for u in result.unserved[:5]) + (", …" if len(result.unserved) > 5 else "")
    table.add_row(
        "municipalities served",
        f"{result.served_municipalities} of {result.municipalities_with_positions}"
        + (f" (unserved: {unserved})" if unserved else ""),
    )
    if abs(result.objective - result.score_total) > 1e-12:
        reward = result.objective - result.score_total
        table.add_row("pair scores alone", f"{result.score_total:.6f} (+ equity {reward:.6f})")


def print_warnings(console: Console, warnings: Sequence[InputWarning]) -> None:
    """Likely mistakes in the input (PROBLEM.md §12), one line each."""
    for warning in warnings:
        console.print(f"[yellow]warning:[/yellow] {warning.path}: {warning.message}", highlight=False)
