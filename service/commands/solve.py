"""`enmusubi solve`: one allocation run from a problem file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from service.console import fail_on_input_error, print_summary
from service.files import write_atomic
from solver import load_problem, solve


def solve_command(
    problem: Annotated[Path, typer.Argument(help="Problem file (JSON or YAML, PROBLEM.md).")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Where to write the result JSON.")] = None,
    time_limit: Annotated[
        float | None, typer.Option("--time-limit", min=0.0, help="Seconds before the search stops with its best.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed of the engine (results are reproducible).")] = 0,
    engine: Annotated[str, typer.Option(help="auto, highs or cpsat.")] = "auto",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No summary on the terminal.")] = False,
) -> None:
    """Solve an allocation problem and write the result."""
    console = Console(stderr=out is None)
    with fail_on_input_error():
        if engine not in ("auto", "highs", "cpsat"):
            raise typer.BadParameter(f"--engine: unknown engine {engine!r}; choose auto, highs or cpsat")
        result = solve(load_problem(problem), time_limit_seconds=time_limit, seed=seed, engine=engine)  # type: ignore[arg-type]
    if out is not None:
        write_atomic(out, result.to_json())
    else:
        typer.echo(result.to_json())
    if not quiet:
        print_summary(console, result, out)
