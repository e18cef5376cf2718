"""`enmusubi generate`: a seeded synthetic Tokyo problem, as JSON or a CSV folder (demos, tests, benchmarks)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from enmusubi.scenarios.generator import generate_problem
from enmusubi.scenarios.japan_generator import generate_japan_problem
from enmusubi.service.cli.console import fail_on_input_error
from enmusubi.service.io.documents import check_destination, write_problem
from enmusubi.solver import parse_problem


def generate_command(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="FILE.json (or .yaml): a problem file; any other path: a CSV folder.")
    ],
    partners: Annotated[int, typer.Option("--partners", min=0, help="How many partners.")] = 900,
    positions: Annotated[int, typer.Option("--positions", min=0, help="How many positions.")] = 150,
    seed: Annotated[int, typer.Option("--seed", help="The same seed and sizes give the same problem.")] = 0,
    region: Annotated[
        str, typer.Option("--region", help="tokyo (62 municipalities) or japan (all 1,741, scenarios/japan).")
    ] = "tokyo",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No summary on the terminal.")] = False,
) -> None:
    """Generate partners and positions around Tokyo's 62 municipality offices (or all of Japan's), like the
    real service's."""
    with fail_on_input_error():
        check_destination(out)
        if region not in ("tokyo", "japan"):
            raise typer.BadParameter(f"--region: unknown region {region!r}; choose tokyo or japan")
        if region == "japan":
            document = generate_japan_problem(n_partners=partners, n_positions=positions, seed=seed)
        else:
            document = generate_problem(n_partners=partners, n_positions=positions, seed=seed)
        problem = parse_problem(document)  # the generator's output must be a valid problem
        files = write_problem(document, out)
    if not quiet:
        openings = sum(p.openings for p in problem.positions)
        typer.echo(
            f"written: {out} ({len(files)} file(s)): {len(problem.partners)} partners, {len(problem.positions)} "
            f"positions ({openings} openings), {len(problem.municipalities)} municipalities, seed {seed}"
        )
