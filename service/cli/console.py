"""Terminal conventions shared by the CLI commands: one-line errors, exit code 2, summaries."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from enmusubi.service.i18n import Language, check_language, default_language, t
from enmusubi.solver import InputError, Result
from enmusubi.solver.result import InputWarning

INPUT_ERROR_EXIT = 2
LANG_HELP = "Language of the report and summary: ja or en (default: from the locale, LANG / LC_ALL)."


def pick_language(lang: str | None) -> Language:
    """--lang if given (ja or en), else the locale's; a wrong value is a one-line error (exit 2)."""
    if lang is None:
        return default_language()
    try:
        return check_language(lang)
    except ValueError as error:
        raise typer.BadParameter(f"--lang: {error}") from None


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


def print_summary(console: Console, result: Result, out: Path | None, lang: str = "en") -> None:
    stats = result.stats
    filled = sum(m.filled for m in result.municipalities)
    openings = sum(m.openings for m in result.municipalities)
    table = Table(show_header=False, box=None, padding=(0, 2))
    status = t(lang, f"status.{result.status}")
    table.add_row(
        t(lang, "summary.status"),
        f"[bold]{status}[/bold]" + ("" if result.status == "optimal" else f" (gap {result.gap:.3%})"),
    )
    objective = t(
        lang, "summary.objective_value", objective=f"{result.objective:.6f}", bound=f"{result.best_bound:.6f}"
    )
    table.add_row(t(lang, "summary.objective"), objective)
    placements = t(
        lang, "summary.placements_value", placements=len(result.assignments), filled=filled, openings=openings
    )
    table.add_row(t(lang, "summary.placements"), placements)
    table.add_row(t(lang, "summary.unfilled"), str(len(result.unfilled)))
    pairs = t(
        lang,
        "summary.pairs_value",
        pairs=f"{stats.pairs:,}",
        eligible=f"{stats.eligible_pairs:,}",
        variables=f"{stats.variables:,}",
    )
    table.add_row(t(lang, "summary.pairs"), pairs)
    time = t(
        lang,
        "summary.time_value",
        total=f"{stats.total_seconds:.2f}",
        scoring=f"{stats.scoring_seconds:.3f}",
        solving=f"{stats.solve_seconds:.3f}",
    )
    table.add_row(t(lang, "summary.time"), time)
    add_equity_rows(table, result, lang)
    if out is not None:
        table.add_row(t(lang, "summary.written"), str(out))
    console.print(table)
    print_warnings(console, result.warnings)


def add_equity_rows(table: Table, result: Result, lang: str = "en") -> None:
    """Municipalities served (PROBLEM.md §9), and the scores alone when the equity reward is in the objective."""
    if result.served_municipalities is None or result.score_total is None:
        return
    unserved = ", ".join(u.municipality for u in result.unserved[:5]) + (", …" if len(result.unserved) > 5 else "")
    served = t(
        lang, "summary.served_value", served=result.served_municipalities, of=result.municipalities_with_positions
    )
    table.add_row(
        t(lang, "summary.served"), served + (t(lang, "summary.unserved", unserved=unserved) if unserved else "")
    )
    if abs(result.objective - result.score_total) > 1e-12:
        reward = result.objective - result.score_total
        alone = t(lang, "summary.scores_alone_value", scores=f"{result.score_total:.6f}", reward=f"{reward:.6f}")
        table.add_row(t(lang, "summary.scores_alone"), alone)


def print_warnings(console: Console, warnings: Sequence[InputWarning]) -> None:
    """Likely mistakes in the input (PROBLEM.md §12), one line each."""
    for warning in warnings:
        console.print(f"[yellow]warning:[/yellow] {warning.path}: {warning.message}", highlight=False)
