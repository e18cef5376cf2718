"""`enmusubi scenario`: solve a what-if scenario file and write every result and the comparison."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from enmusubi.scenarios.report import comparison_json, markdown_report, summary_table, variant_rows
from enmusubi.scenarios.run import ScenarioRun, run_scenario
from enmusubi.scenarios.scenario import BASE_SLUG, Scenario, build_variant, load_scenario
from enmusubi.service.cli.console import LANG_HELP, fail_on_input_error, pick_language
from enmusubi.service.io.files import write_atomic
from enmusubi.service.io.html_report import HTML_REPORT_FILE, scenario_html_report
from enmusubi.service.io.outputs import write_outputs

INTERRUPTED_EXIT = 130  # the shell's code for Ctrl-C


class ExecutorChoice(StrEnum):
    local = "local"
    ray = "ray"


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
    executor: Annotated[
        ExecutorChoice,
        typer.Option("--executor", help="Where variants run: local processes, or Ray tasks (needs the ray extra)."),
    ] = ExecutorChoice.local,
    address: Annotated[
        str | None,
        typer.Option("--address", help="Ray cluster to use with --executor ray (default: a local Ray for the run)."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No table on the terminal.")] = False,
    lang: Annotated[str | None, typer.Option("--lang", help=LANG_HELP)] = None,
) -> None:
    """Solve the base and every variant; write each one's output folder (result, CSVs, reports), comparison.json,
    report.md and report.html."""
    with fail_on_input_error():
        language = pick_language(lang)
        scenario = load_scenario(scenario_file)
        try:
            run = run_scenario(
                scenario, parallel=not sequential, workers=workers, executor=executor.value, address=address
            )
        except KeyboardInterrupt:
            sys.stderr.write("interrupted: nothing written\n")
            raise typer.Exit(INTERRUPTED_EXIT) from None
    directory = out if out is not None else Path("out") / "scenarios" / scenario_file.stem
    write_scenario(directory, scenario, run, language)
    if not quiet:
        console = Console()
        if not console.is_terminal:  # a log or a pipe: wide enough that the table keeps one line per variant
            console = Console(width=150)
        console.print(summary_table(run))
        console.print(
            f"written: {directory}/ (report.md, report.html, comparison.json, {BASE_SLUG}/ and one folder per variant)"
        )


def write_scenario(directory: Path, scenario: Scenario, run: ScenarioRun, lang: str) -> None:
    """Every result as a whole output folder (CSVs, result.xlsx, report.md, report.html), then the comparison."""
    write_outputs(directory / BASE_SLUG, run.base, f"{run.name}: {BASE_SLUG}", lang=lang, problem=scenario.base)
    for k, (variant, made) in enumerate(zip(run.variants, scenario.variants, strict=True)):
        problem = build_variant(scenario.base, made, k).problem
        write_outputs(
            directory / variant.slug, variant.result, f"{run.name}: {variant.name}", lang=lang, problem=problem
        )
    base = scenario.base.to_json_dict()
    write_atomic(directory / "comparison.json", comparison_json(run))
    write_atomic(directory / "report.md", markdown_report(run, base, lang))
    html = scenario_html_report(run.name, run.base, scenario.base, variant_rows(run, base, lang), lang)
    write_atomic(directory / HTML_REPORT_FILE, html)
