"""`enmusubi scenario`: solve a what-if scenario file and write every result and the comparison."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from enmusubi.scenarios.report import comparison_json, markdown_report, result_path, summary_table
from enmusubi.scenarios.run import run_scenario
from enmusubi.scenarios.scenario import BASE_SLUG, load_scenario
from enmusubi.service.cli.console import fail_on_input_error
from enmusubi.service.io.files import write_atomic

INTERRUPTED_EXIT = 130  # the shell's code for Ctrl-C


def scenario_command(
    scenario_file: Annotated[Path, typer.Argument(help="Scenario file (YAML or JSON, SCENARIO.md).")],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Output directory (default out/scenarios/<file name>).")
    ] = None,
    sequential: Annotated[
        bool, typer.Option("--sequential", help="Solve the variants one after another instead of in parallel.")
    ] = False,
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, help="Processes for the variants (default: one per core).")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No table on the terminal.")] = False,
) -> None:
    """Solve the base and every variant; write their results, comparison.json and report.md."""
    with fail_on_input_error():
        scenario = load_scenario(scenario_file)
        try:
            run = run_scenario(scenario, parallel=not sequential, workers=workers)
        except KeyboardInterrupt:
            sys.stderr.write("interrupted: nothing written\n")
            raise typer.Exit(INTERRUPTED_EXIT) from None
    directory = out if out is not None else Path("out") / "scenarios" / scenario_file.stem
    write_atomic(directory / result_path(BASE_SLUG), run.base.to_json())
    for variant in run.variants:
        write_atomic(directory / result_path(variant.slug), variant.result.to_json())
    write_atomic(directory / "comparison.json", comparison_json(run))
    write_atomic(directory / "report.md", markdown_report(run))
    if not quiet:
        console = Console()
        if not console.is_terminal:  # a log or a pipe: wide enough that the table keeps one line per variant
            console = Console(width=150)
        console.print(summary_table(run))
        console.print(f"written: {directory}/ (report.md, comparison.json, {BASE_SLUG}/ and one folder per variant)")
