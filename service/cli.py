"""The `enmusubi` command line. Each command lives in service/commands/."""

from __future__ import annotations

import logging

import typer

from service.commands.solve import solve_command

app = typer.Typer(
    name="enmusubi",
    help="Match specialists to Tokyo's municipalities: solve, generate, scenarios, explain, serve.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command("solve")(solve_command)


@app.callback()
def main(verbose: bool = typer.Option(False, "--verbose", "-v", help="Log what the engine does.")) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


if __name__ == "__main__":
    app()
