"""The `enmusubi` command line. Each command lives in service/commands/."""

from __future__ import annotations

import logging

import typer

from service.commands.convert import convert_command
from service.commands.explain import explain_command
from service.commands.generate import generate_command
from service.commands.recommend import recommend_command
from service.commands.scenario import scenario_command
from service.commands.serve import serve_command
from service.commands.solve import solve_command

app = typer.Typer(
    name="enmusubi",
    help="Match specialists to Tokyo's municipalities: solve, generate, scenarios, explain, serve.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command("solve")(solve_command)
app.command("scenario")(scenario_command)
app.command("serve")(serve_command)
app.command("generate")(generate_command)
app.command("convert")(convert_command)
app.command("explain")(explain_command)
app.command("recommend")(recommend_command)


@app.callback()
def main(verbose: bool = typer.Option(False, "--verbose", "-v", help="Log what the engine does.")) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )


if __name__ == "__main__":
    app()
