"""The `enmusubi` command line. Each command lives in service/commands/ and is imported only
when it runs: the API stack and the engines take a second to import, and `enmusubi solve` on
a Tokyo-sized problem should not pay for `serve`."""

from __future__ import annotations

import importlib
import logging
from typing import Any

import typer
from typer.core import TyperGroup

# name -> (module, function) of each command.
COMMANDS = {
    "solve": ("enmusubi.service.cli.commands.solve", "solve_command"),
    "scenario": ("enmusubi.service.cli.commands.scenario", "scenario_command"),
    "explain": ("enmusubi.service.cli.commands.explain", "explain_command"),
    "recommend": ("enmusubi.service.cli.commands.recommend", "recommend_command"),
    "shortlist": ("enmusubi.service.cli.commands.shortlist", "shortlist_command"),
    "generate": ("enmusubi.service.cli.commands.generate", "generate_command"),
    "convert": ("enmusubi.service.cli.commands.convert", "convert_command"),
    "serve": ("enmusubi.service.cli.commands.serve", "serve_command"),
}


class LazyCommands(TyperGroup):
    """A command group that imports a command's module when that command is asked for."""

    # The context and command classes are click's in older typer releases and typer's own copy in newer ones.
    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in COMMANDS:
            return None
        module, function = COMMANDS[cmd_name]
        single = typer.Typer(pretty_exceptions_enable=False, add_completion=False)
        single.command(cmd_name)(getattr(importlib.import_module(module), function))
        return typer.main.get_command(single)


app = typer.Typer(
    name="enmusubi",
    cls=LazyCommands,
    help="Match specialists to Tokyo's municipalities: solve, generate, scenarios, explain, serve.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def main(verbose: bool = typer.Option(False, "--verbose", "-v", help="Log what the engine does.")) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )


if __name__ == "__main__":
    app()
