"""`enmusubi shortlist`: interview candidates per position (PROBLEM.md §10), before anyone is appointed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from enmusubi.service.cli.commands.solve import check_out, summary_console
from enmusubi.service.cli.console import fail_on_input_error, print_warnings
from enmusubi.service.io.documents import load_problem_source
from enmusubi.service.io.shortlists import write_shortlists
from enmusubi.solver.shortlist import DEFAULT_MAX_PER_PARTNER, DEFAULT_SIZE, Shortlists, check_limits, shortlist


def print_shortlist_summary(console: Console, found: Shortlists, written: list[Path]) -> None:
    table = Table(show_header=False, box=None, padding=(0, 2))
    table.add_row("covered", f"{found.covered} of {len(found.shortlists)} positions have at least one candidate")
    candidates = sum(len(s.candidates) for s in found.shortlists)
    table.add_row("candidates", f"{candidates}; total score {found.total_score:.6f}")
    table.add_row("limits", f"up to {found.size} per position, each partner on at most {found.max_per_partner}")
    if written:
        table.add_row("written", ", ".join(str(p) for p in written))
    console.print(table)
    print_warnings(console, found.warnings)


def shortlist_command(
    problem: Annotated[Path, typer.Argument(help="Problem file (JSON or YAML, PROBLEM.md) or a folder of CSV files.")],
    size: Annotated[int, typer.Option("--size", "-k", help="Candidates per position, 1..20.")] = DEFAULT_SIZE,
    max_per_partner: Annotated[
        int, typer.Option("--max-per-partner", "-c", help="Shortlists a partner may be on, 1..50.")
    ] = DEFAULT_MAX_PER_PARTNER,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="X.json: the shortlists. Any other path: a folder with shortlists.csv too."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No summary on the terminal.")] = False,
) -> None:
    """Shortlist interview candidates: most positions covered first, then the highest total score."""
    console = summary_console(stderr=out is None)
    with fail_on_input_error():
        check_limits(size, max_per_partner)
        check_out(out, problem)
        loaded = load_problem_source(problem)
        with loaded.translate():
            found = shortlist(loaded.problem, size=size, max_per_partner=max_per_partner)
    if out is None:
        typer.echo(found.to_json())
        written: list[Path] = []
    else:
        written = write_shortlists(out, found, loaded.problem)
    if not quiet:
        print_shortlist_summary(console, found, written)
