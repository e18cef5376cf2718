"""`enmusubi solve`: one allocation round from a problem file or CSV folder, to a result or an output folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from enmusubi.service.cli.console import LANG_HELP, fail_on_input_error, pick_language, print_summary
from enmusubi.service.cli.interrupt import INTERRUPTED_EXIT, run_interruptible
from enmusubi.service.cli.progress import ProgressDisplay
from enmusubi.service.i18n import t
from enmusubi.service.io.documents import load_problem_source
from enmusubi.service.io.files import write_atomic
from enmusubi.service.io.outputs import write_outputs
from enmusubi.service.io.previous import Move, compare_runs, load_previous_result, previous_hint, with_incumbents
from enmusubi.solver import InputError, Issue, Problem, Result, solve
from enmusubi.solver.engines import ENGINES, is_engine_name


def result_only(out: Path) -> bool:
    """`--out X.json` writes just the result; any other path is an output folder."""
    return out.suffix.lower() == ".json"


def check_out(out: Path | None, source: Path) -> None:
    """Refuse an output place that cannot work or would overwrite the input, before anything is solved."""
    if out is None:
        return
    if out.exists() and out.resolve() == source.resolve():
        raise InputError(Issue("--out", f"{out} is the input; it would be overwritten"))
    if result_only(out):
        if out.is_dir():
            raise InputError(Issue("--out", f"{out} is a folder; a result file needs a name ending in .json"))
        return
    if out.exists() and not out.is_dir():
        raise InputError(Issue("--out", f"{out} is a file; give a folder, or a name ending in .json (result only)"))
    if (out / "positions.csv").exists():  # outputs share names (partners.csv, ...) with a problem's CSV folder
        raise InputError(Issue("--out", f"{out} holds a problem's CSV files; its files would be overwritten"))


def write_run(
    out: Path | None,
    result: Result,
    source: Path,
    moves: list[Move] | None,
    lang: str = "en",
    problem: Problem | None = None,
) -> list[Path]:
    """The result where --out says: stdout, one result file, or the whole output folder. Returns the files."""
    if out is None:
        typer.echo(result.to_json())
        return []
    if result_only(out):
        write_atomic(out, result.to_json())
        return [out]
    return write_outputs(out, result, str(source), moves, lang, problem)


def summary_console(stderr: bool) -> Console:
    """The terminal's width on a terminal; wide enough for one line per row in a log or a pipe."""
    console = Console(stderr=stderr)
    return console if console.is_terminal else Console(stderr=stderr, width=160)


def mark_interrupted(result: Result) -> Result:
    """Say in the result that Ctrl-C ended the search (unless it had already proven optimality)."""
    if result.status == "optimal":
        return result.model_copy(
            update={"message": "proven optimal (the search finished before the interrupt took effect)"}
        )
    message = (
        "interrupted (Ctrl-C): the best allocation found before the stop, not proven optimal; "
        f"relative gap {result.gap:.3%} to the best bound"
    )
    return result.model_copy(update={"stopped": True, "message": message})


def solve_command(
    problem: Annotated[
        Path, typer.Argument(help="Problem file (JSON, YAML, .xlsx, zipped CSVs; PROBLEM.md) or a CSV folder.")
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="X.json: the result only. Any other path: an output folder with CSVs and report.md."
        ),
    ] = None,
    time_limit: Annotated[
        float | None, typer.Option("--time-limit", min=0.0, help="Seconds before the search stops with its best.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed of the engine (results are reproducible).")] = 0,
    engine: Annotated[str, typer.Option(help="auto, highs or cpsat.")] = "auto",
    previous: Annotated[
        Path | None,
        typer.Option(
            "--previous", help="An earlier result.json: its placements become incumbents; the report lists who moves."
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress and no summary on the terminal.")] = False,
    lang: Annotated[str | None, typer.Option("--lang", help=LANG_HELP)] = None,
) -> None:
    """Solve an allocation problem and write the result (Ctrl-C stops the search and keeps the best found)."""
    console = summary_console(stderr=out is None)
    display = ProgressDisplay.for_cli(quiet)
    with fail_on_input_error():
        language = pick_language(lang)
        if not is_engine_name(engine):
            raise typer.BadParameter(f"--engine: unknown engine {engine!r}; choose auto, {', '.join(ENGINES)}")
        check_out(out, problem)
        loaded = load_problem_source(problem)
        prior = None if previous is None else load_previous_result(previous)
        with loaded.translate():
            target = loaded.problem if prior is None else with_incumbents(loaded.problem, prior)
            hint = None if prior is None else previous_hint(prior)
            with display:
                finished = run_interruptible(
                    lambda stop: solve(
                        target,
                        time_limit_seconds=time_limit,
                        seed=seed,
                        engine=engine,
                        hint=hint,
                        stop=stop,
                        progress=display,
                    ),
                    announce=display.announce,
                )
    result = mark_interrupted(finished.value) if finished.interrupted else finished.value
    folder = out is not None and not result_only(out)
    moves = compare_runs(target, prior, result) if folder and prior is not None else None
    files = write_run(out, result, problem, moves, language, target)
    if not quiet:
        print_summary(console, result, None if folder else out, language)
        if folder:
            written, report = t(language, "summary.written"), t(language, "summary.report")
            console.print(f"{written}: {out}/ ({', '.join(f.name for f in files)})", highlight=False)
            console.print(f"{report}:  {files[0].parent / 'report.md'}", highlight=False)
    if finished.interrupted:
        raise typer.Exit(INTERRUPTED_EXIT)
