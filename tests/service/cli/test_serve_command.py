"""`enmusubi serve` refuses bad settings with one line and exit 2 (1 when the database does not answer)."""

from __future__ import annotations

import pytest
import uvicorn
from typer.testing import CliRunner

from enmusubi.service.cli.app import app
from enmusubi.service.settings import Settings


@pytest.mark.parametrize(
    ("env", "code", "message"),
    [
        ({"ENMUSUBI_WORKERS": "many"}, 2, "error: ENMUSUBI_WORKERS: Input should be a valid integer"),
        ({"ENMUSUBI_PORT": "70000"}, 2, "error: ENMUSUBI_PORT: Input should be less than or equal to 65535"),
        ({"ENMUSUBI_QUEUE_SIZE": "0"}, 2, "error: ENMUSUBI_QUEUE_SIZE: Input should be greater than or equal to 1"),
        (
            {"ENMUSUBI_DEFAULT_TIME_LIMIT_SECONDS": "100", "ENMUSUBI_MAX_TIME_LIMIT_SECONDS": "10"},
            2,
            "is above max_time_limit_seconds",
        ),
        ({"ENMUSUBI_DATABASE_URL": "nosuchdb://x"}, 2, "error: ENMUSUBI_DATABASE_URL: not a usable database URL"),
        (
            {"ENMUSUBI_DATABASE_URL": "postgresql://u:secret@127.0.0.1:1/db"},
            1,
            "cannot reach postgresql+psycopg://u:***@",
        ),
    ],
)
def test_bad_settings_are_one_line_errors(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], code: int, message: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    def must_not_serve(*_: object, **__: object) -> None:
        raise AssertionError("the server started despite a bad setting")

    monkeypatch.setattr(uvicorn, "run", must_not_serve)
    result = CliRunner().invoke(app, ["serve"])
    assert result.exit_code == code
    assert message in result.output
    assert "Traceback" not in result.output and "secret" not in result.output


def test_serve_hands_the_app_and_address_to_uvicorn(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    served: dict[str, object] = {}
    monkeypatch.setenv("ENMUSUBI_DATABASE_URL", f"sqlite:///{tmp_path}/serve.sqlite3")
    monkeypatch.setenv("ENMUSUBI_PORT", "8123")
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.update(app=app, **options))
    result = CliRunner().invoke(app, ["serve", "--host", "127.0.0.2"])
    assert result.exit_code == 0, result.output
    assert (served["host"], served["port"]) == ("127.0.0.2", 8123)
    assert served["app"].state.settings.database_url.endswith("serve.sqlite3")  # type: ignore[attr-defined]


def test_settings_read_every_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    values = {
        "DATABASE_URL": "sqlite:////tmp/x.sqlite3",
        "API_KEYS": " one , two ,",
        "MAX_BODY_BYTES": "4096",
        "MAX_PARTNERS": "10",
        "MAX_POSITIONS": "20",
        "WORKERS": "3",
        "QUEUE_SIZE": "4",
        "RETRY_AFTER_SECONDS": "9",
        "DEFAULT_TIME_LIMIT_SECONDS": "5",
        "MAX_TIME_LIMIT_SECONDS": "50",
        "MAX_CONCURRENT_DECODES": "3",
        "MAX_SCENARIO_VARIANTS": "12",
        "MAX_SCENARIO_SECONDS": "90",
        "INSIGHT_CACHE_BYTES": "1048576",
        "INSIGHT_PRECOMPUTE": "false",
        "CORS_ORIGINS": "https://portal.example.jp",
        "HOST": "0.0.0.0",
        "PORT": "9000",
        "REPLICA_ID": "portal-a",
        "HEARTBEAT_SECONDS": "2",
        "TAKEOVER_SECONDS": "10",
        "POLL_SECONDS": "0.5",
        "MAX_ATTEMPTS": "4",
        "SQLITE_BUSY_TIMEOUT_SECONDS": "1.5",
        "WRITE_RETRY_SECONDS": "60",
        "RETENTION_DAYS": "90",
        "SCENARIO_EXECUTOR": "ray",
        "RAY_ADDRESS": "ray://head:10001",
    }
    for name, value in values.items():
        monkeypatch.setenv(f"ENMUSUBI_{name}", value)
    settings = Settings()
    assert settings.api_keys == ["one", "two"]
    assert settings.cors_origins == ["https://portal.example.jp"]
    assert (settings.workers, settings.queue_size, settings.port, settings.max_partners) == (3, 4, 9000, 10)
    scenario_caps = (settings.max_concurrent_decodes, settings.max_scenario_variants, settings.max_scenario_seconds)
    assert scenario_caps == (3, 12, 90)
    assert (settings.replica_id, settings.takeover_seconds, settings.retention_days) == ("portal-a", 10, 90)
    assert (settings.scenario_executor, settings.ray_address) == ("ray", "ray://head:10001")
    assert settings.insight_cache_bytes == 1_048_576 and settings.insight_precompute is False
    assert set(Settings.model_fields) == {name.lower() for name in values}, "every setting is tested and documented"
    assert (settings.time_limit(None), settings.time_limit(7), settings.time_limit(500)) == (5, 7, 50)


def test_a_takeover_shorter_than_two_heartbeats_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="takeover_seconds"):
        Settings(heartbeat_seconds=10, takeover_seconds=15)
    assert Settings(heartbeat_seconds=5, takeover_seconds=10).takeover_seconds == 10
