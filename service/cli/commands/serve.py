"""`enmusubi serve`: the portal's HTTP API under uvicorn, configured by ENMUSUBI_ variables."""

from __future__ import annotations

import copy
import sys
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

from enmusubi.service.cli.console import INPUT_ERROR_EXIT
from enmusubi.service.jobs.store import RunStore, normalise_url
from enmusubi.service.settings import Settings
from enmusubi.solver.errors import issues_from_errors

# Seconds uvicorn waits for open requests on shutdown before the solves behind them are stopped.
GRACEFUL_SHUTDOWN_SECONDS = 10


def _fail(message: str, code: int = INPUT_ERROR_EXIT) -> typer.Exit:
    sys.stderr.write(f"error: {message}\n")
    return typer.Exit(code)


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment (and command-line overrides); a bad one is a one-line error, exit 2."""
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as error:
        issue = issues_from_errors(error.errors())[0]
        name = f"ENMUSUBI_{issue.path.split('.')[0].split('[')[0].upper()}" if issue.path else "ENMUSUBI_*"
        raise _fail(f"{name}: {issue.message}") from None


def check_database(settings: Settings) -> None:
    """Fail before listening when the database URL is malformed (exit 2) or the database does not answer (exit 1)."""
    try:
        shown = make_url(normalise_url(settings.database_url)).render_as_string(hide_password=True)
        store = RunStore.from_url(settings.database_url)
    except (ArgumentError, NoSuchModuleError, ValueError) as error:
        raise _fail(f"ENMUSUBI_DATABASE_URL: not a usable database URL: {error}") from None
    try:
        store.ping()
    except SQLAlchemyError as error:
        reason = (
            str(error.orig if isinstance(error, DBAPIError) and error.orig is not None else error)
            .strip()
            .splitlines()[0]
        )
        raise _fail(f"ENMUSUBI_DATABASE_URL: cannot reach {shown}: {reason}", 1) from None
    finally:
        store.dispose()


def logging_config() -> dict[str, Any]:
    """uvicorn's own logging, plus enmusubi's loggers at INFO on the same handler: the service's warnings
    (an engine's answer not believed, a write retried) and how long stopped work took to end reach the log."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["enmusubi"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


def serve_command(
    host: Annotated[str | None, typer.Option(help="Address to listen on [default: ENMUSUBI_HOST, 127.0.0.1].")] = None,
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="Port to listen on [default: ENMUSUBI_PORT or 8000].")
    ] = None,
) -> None:
    """Serve the HTTP API (API.md) until stopped; settings: ENMUSUBI_ variables (docs/operations-and-settings.md)."""
    import uvicorn

    from enmusubi.service.api.app import create_app

    settings = load_settings(host=host, port=port)
    check_database(settings)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level="info",
        log_config=logging_config(),
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )
