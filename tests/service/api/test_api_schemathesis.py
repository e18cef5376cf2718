"""Property-based API test: requests generated from /openapi.json never get a 500 or a response off its schema, and a
request valid by the schema (made consistent in what JSON Schema cannot state: tests/service/api/consistent_cases.py)
is accepted."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import positive_data_acceptance, response_schema_conformance

from enmusubi.service.api.app import create_app
from enmusubi.service.settings import Settings
from tests.service.api import consistent_cases  # noqa: F401  (registers its schemathesis hooks)

KEY = "schemathesis-key"


# schemathesis.pytest.from_fixture does not run under pytest 9, so the app is built at import, on a SQLite file
# in a temporary folder. Schemathesis starts the app's lifespan (store, worker pool) on its first call and stops
# it at exit (its atexit hook, registered later, so it runs before this folder is removed).
_DATA = Path(tempfile.mkdtemp(prefix="enmusubi-schemathesis-"))
atexit.register(shutil.rmtree, _DATA, True)
_APP = create_app(
    Settings(
        database_url=f"sqlite:///{_DATA / 'runs.sqlite3'}",
        api_keys=KEY,
        workers=2,
        queue_size=64,
        default_time_limit_seconds=5,
        max_time_limit_seconds=5,
        max_partners=40,
        max_positions=40,
    )
)
schema = schemathesis.openapi.from_asgi("/openapi.json", _APP)
# The coverage phase (every boundary of every field: ~3 minutes here) is in the deeper CLI run of docs/testing.md.
schema.config.phases.coverage.enabled = False


@schema.parametrize()
@settings(
    max_examples=20,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture],
)
def test_no_request_gets_a_500_or_an_undocumented_response(case: schemathesis.Case) -> None:
    case.call_and_validate(
        headers={"Authorization": f"Bearer {KEY}"},
        checks=[not_a_server_error, response_schema_conformance, positive_data_acceptance],
    )
