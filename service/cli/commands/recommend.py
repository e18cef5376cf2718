"""`enmusubi recommend`: the best partners for a position, or positions for a partner."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from enmusubi.service.cli.commands.explain import (
    fail_on_unknown_id,
    labelled,
    load_inputs,
    names_of,
    run_with_progress,
    terminal_console,
)
from enmusubi.service.cli.console import fail_on_input_error
from enmusubi.solver.recommend import Recommendation, recommend


def show_recommendation(console: Console, found: Recommendation, names: dict[str, str] | None = None) -> None:
    names = names or {}
    target = (
        f"position {labelled(found.position, names)}"
        if found.position is not None
        else f"partner {labelled(found.partner, names)}"
    )
    kind = "partner" if found.position is not None else "position"
    table = Table(
        title=f"Best {kind}s for {target} (optimum without a lock: {found.base_objective:.6f})", title_justify="left"
    )
    table.add_column("#", justify="right")
    table.add_column(kind)
    table.add_column("score", justify="right")
    table.add_column("objective change", justify="right")
    table.add_column("displaces")
    for rank, candidate in enumerate(found.candidates, start=1):
        pushed = ", ".join(
            f"{labelled(d.partner, names)} → {labelled(d.position, names)} ({d.score:.3f})" for d in candidate.displaces
        )
        table.add_row(
            str(rank),
            labelled(candidate.partner if found.position is not None else candidate.position, names),
            f"{candidate.score:.6f}",
            f"{candidate.objective_change + 0.0:+.6f}"
            + ("" if candidate.exact else f" (≤ {candidate.objective_change_upper + 0.0:+.6f}, not proven)"),
            pushed or "-",
        )
    console.print(table)
    if not found.candidates:
        console.print(f"no eligible {kind} can be placed")
    if found.note:
        console.print(f"[yellow]note:[/yellow] {found.note}")


def recommend_command(
    problem: Annotated[Path, typer.Argument(help="Problem file (JSON, YAML) or CSV folder.")],
    position: Annotated[str | None, typer.Option("--position", help="Recommend partners for this position.")] = None,
    partner: Annotated[str | None, typer.Option("--partner", help="Recommend positions for this partner.")] = None,
    k: Annotated[int, typer.Option("-k", help="How many to recommend (1..100).")] = 5,
    result: Annotated[
        Path | None, typer.Option("--result", help="A result of `enmusubi solve` for this problem (saves a solve).")
    ] = None,
    time_limit: Annotated[float | None, typer.Option("--time-limit", help="Seconds for the solves.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the recommendation as JSON on stdout.")] = False,
) -> None:
    """Rank eligible pairs by what placing each would do to the whole optimal allocation."""
    with fail_on_input_error(), fail_on_unknown_id():
        loaded, base = load_inputs(problem, result)
        found = run_with_progress(
            lambda stop, display: recommend(
                loaded,
                position=position,
                partner=partner,
                k=k,
                result=base,
                time_limit_seconds=time_limit,
                stop=stop,
                progress=display,
            )
        )
    if as_json:
        typer.echo(found.model_dump_json(indent=2))
    else:
        show_recommendation(terminal_console(), found, names_of(loaded))
