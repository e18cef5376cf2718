"""`enmusubi convert`: a problem between its forms, JSON/YAML file ⇄ CSV folder, validated on the way."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from enmusubi.service.cli.console import fail_on_input_error
from enmusubi.service.io.documents import check_destination, load_problem_source, write_problem


def convert_command(
    source: Annotated[Path, typer.Argument(help="A problem file (JSON or YAML) or a CSV folder.")],
    destination: Annotated[
        Path, typer.Argument(help="FILE.json or FILE.yaml writes a problem file; any other path a CSV folder.")
    ],
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Nothing on the terminal.")] = False,
) -> None:
    """Convert a problem between a JSON/YAML file and a CSV folder (same problem either way)."""
    with fail_on_input_error():
        check_destination(destination, source)
        loaded = load_problem_source(source)
        files = write_problem(loaded.document, destination)
    if not quiet:
        problem = loaded.problem
        typer.echo(
            f"written: {destination} ({len(files)} file(s)): {len(problem.municipalities)} municipalities, "
            f"{len(problem.positions)} positions, {len(problem.partners)} partners"
        )
