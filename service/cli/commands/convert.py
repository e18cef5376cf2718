"""`enmusubi convert`: a problem between its forms (JSON, YAML, CSV folder, Excel workbook), validated on the way."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from enmusubi.service.cli.console import fail_on_input_error
from enmusubi.service.io.documents import check_destination, load_problem_source, write_problem


def convert_command(
    source: Annotated[Path, typer.Argument(help="A problem file (JSON, YAML, .xlsx, zipped CSVs) or a CSV folder.")],
    destination: Annotated[
        Path, typer.Argument(help="FILE.json, FILE.yaml or FILE.xlsx writes a file; any other path a CSV folder.")
    ],
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Nothing on the terminal.")] = False,
) -> None:
    """Convert a problem between a JSON/YAML file, a CSV folder and an Excel workbook (same problem every way).

    CSV files are read in UTF-8 (with or without a BOM), UTF-16 or CP932 (Shift_JIS) and written in UTF-8 with a BOM."""
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
