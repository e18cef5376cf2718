"""docs/benchmarks.md shows the figures of benchmarks/results/*.json, generated, never copied by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import report


def test_the_generated_section_is_up_to_date() -> None:
    text = report.DOC.read_text(encoding="utf-8")
    assert report.updated(text) == text, "docs/benchmarks.md is stale: run python -m benchmarks.report"


def test_every_results_file_has_a_section() -> None:
    covered = {name for name, _module, _section in report.SECTIONS}
    assert {path.stem for path in report.RESULTS.glob("*.json")} <= covered


def test_a_changed_figure_changes_the_docs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for path in report.RESULTS.glob("*.json"):
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    figures = json.loads((tmp_path / "scoring.json").read_text(encoding="utf-8"))
    figures["scoring"][-1]["speedup"] = 12345.0
    (tmp_path / "scoring.json").write_text(json.dumps(figures), encoding="utf-8")
    monkeypatch.setattr(report, "RESULTS", tmp_path)
    text = report.DOC.read_text(encoding="utf-8")
    assert "12345×" in report.updated(text)
    assert report.updated(text) != text


def test_missing_markers_are_an_error() -> None:
    with pytest.raises(ValueError, match="markers"):
        report.updated("# Benchmarks\n")
