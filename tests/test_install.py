"""Installed, the project is one namespace: `enmusubi.service` imports, a bare `service` does not."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BARE = ("solver", "constraints", "service", "scenarios")


def _python(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("name", BARE)
def test_bare_names_are_not_importable_outside_the_checkout(name: str, tmp_path: Path) -> None:
    run = _python(f"import {name}", tmp_path)
    assert run.returncode != 0
    assert f"No module named '{name}'" in run.stderr


def test_the_namespace_is_importable_outside_the_checkout(tmp_path: Path) -> None:
    code = (
        "import enmusubi, enmusubi.service, enmusubi.solver, enmusubi.constraints, enmusubi.scenarios\n"
        "from enmusubi import solve, explain, recommend, Problem, Result, InputError\n"
        "import enmusubi.service.api.app, enmusubi.service.cli.app\n"
        "print(enmusubi.solver.__file__)"
    )
    run = _python(code, tmp_path)
    assert run.returncode == 0, run.stderr
    assert Path(run.stdout.strip()).name == "__init__.py"
