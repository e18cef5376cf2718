"""`enmusubi explain`: why a partner is, or is not, placed in a position."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from rich.text import Text

from enmusubi.service.cli.console import INPUT_ERROR_EXIT, fail_on_input_error
from enmusubi.service.cli.interrupt import run_interruptible
from enmusubi.service.cli.progress import ProgressDisplay
from enmusubi.service.io.documents import load_problem_source
from enmusubi.solver import InputError, Issue, Problem, Result, StopFlag, UnknownIdError
from enmusubi.solver.explain import Explanation, explain
from enmusubi.solver.problem import read_document

T = TypeVar("T")


@contextmanager
def fail_on_unknown_id() -> Iterator[None]:
    """An id the problem does not hold is bad input too: one line naming it, exit code 2."""
    try:
        yield
    except UnknownIdError as error:
        sys.stderr.write(f"error: {error}\n")
        raise typer.Exit(INPUT_ERROR_EXIT) from None


def read_result(path: Path | None) -> Result | None:
    """A result JSON written by `enmusubi solve`, to compare against without solving again."""
    if path is None:
        return None
    try:
        return Result.model_validate(read_document(path))
    except ValidationError as error:
        raise InputError(Issue("--result", f"{path} is not a result file: {error.errors()[0]['msg']}")) from None


def load_inputs(problem_path: Path, result_path: Path | None) -> tuple[Problem, Result | None]:
    return load_problem_source(problem_path).problem, read_result(result_path)


def terminal_console() -> Console:
    console = Console()
    return console if console.is_terminal else Console(width=160)


def names_of(problem: Problem) -> dict[str, str]:
    """Partner names and position titles by id, to print beside the ids."""
    return {**{p.id: p.name for p in problem.partners}, **{j.id: j.title for j in problem.positions}}


def labelled(ident: str | None, names: dict[str, str]) -> str:
    if ident is None:
        return "-"
    name = names.get(ident)
    return ident if not name or name == ident else f"{ident} ({name})"


def run_with_progress(work: Callable[[StopFlag, ProgressDisplay], T]) -> T:
    """Run a question with a live status line on a terminal (elapsed time, phase) and Ctrl-C as a stop:
    the answer then comes back marked not exact."""
    display = ProgressDisplay.for_cli(quiet=False)
    with display:
        finished = run_interruptible(lambda stop: work(stop, display), announce=display.announce)
    return finished.value


def show_explanation(console: Console, found: Explanation, names: dict[str, str] | None = None) -> None:
    names = names or {}
    if found.in_optimal:
        verdict = "[green]in the optimal allocation[/green]"
    elif found.eligible:
        verdict = "[yellow]eligible, not in the optimal allocation[/yellow]"
    else:
        verdict = "[red]not eligible[/red]"
    console.print(f"[bold]{labelled(found.partner, names)} → {labelled(found.position, names)}[/bold]: {verdict}")
    console.print("[bold]Eligibility rules[/bold] (PROBLEM.md §4)")
    rules = Table()
    rules.add_column("rule")
    rules.add_column("", justify="center")
    rules.add_column("detail")
    for rule in found.rules:
        mark = Text("✓", style="green") if rule.passed else Text("✗", style="bold red")
        rules.add_row(rule.name, mark, rule.detail)
    console.print(rules)
    console.print("[bold]Score terms[/bold] (PROBLEM.md §5)" + ("" if found.eligible else ", as if eligible"))
    terms = Table()
    terms.add_column("term")
    terms.add_column("value", justify="right")
    for name, value in found.breakdown.items():
        terms.add_row(name, f"{value + 0.0:+.6f}")
    total = found.score if found.score is not None else sum(found.breakdown.values())
    terms.add_row("[bold]score[/bold]", f"[bold]{total:+.6f}[/bold]")
    console.print(terms)
    if found.reason:
        console.print(f"[bold]why not:[/bold] {found.reason}")
    if found.objective_change is not None and not found.in_optimal:
        exact = "" if found.exact is not False else f" (not proven: at most {found.objective_change_upper:+.6f})"
        console.print(f"[bold]objective change if locked:[/bold] {found.objective_change:+.6f}{exact}")


def explain_command(
    problem: Annotated[Path, typer.Argument(help="Problem file (JSON, YAML) or CSV folder.")],
    partner: Annotated[str, typer.Argument(help="Partner id.")],
    position: Annotated[str, typer.Argument(help="Position id.")],
    result: Annotated[
        Path | None, typer.Option("--result", help="A result of `enmusubi solve` for this problem (saves a solve).")
    ] = None,
    time_limit: Annotated[float | None, typer.Option("--time-limit", help="Seconds for the solves.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the explanation as JSON on stdout.")] = False,
) -> None:
    """Explain a pair: every eligibility rule, the score's terms, and what keeps it out of the optimum."""
    with fail_on_input_error(), fail_on_unknown_id():
        loaded, base = load_inputs(problem, result)
        found = run_with_progress(
            lambda stop, display: explain(
                loaded, partner, position, result=base, time_limit_seconds=time_limit, stop=stop, progress=display
            )
        )
    if as_json:
        typer.echo(found.model_dump_json(indent=2))
    else:
        show_explanation(terminal_console(), found, names_of(loaded))
