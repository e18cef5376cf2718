"""Japanese and English from one catalogue: the language from the locale or --lang, every message in both
with the same fields, every reason the solver gives rendered in Japanese, and report.md without its old flaws."""

from __future__ import annotations

import json
import re
import string
from pathlib import Path

import pytest
from typer.testing import CliRunner

from enmusubi.constraints import ELIGIBILITY_RULE_NAMES, ELIGIBILITY_RULES
from enmusubi.scenarios.generator import SKILLS
from enmusubi.service.cli.app import app
from enmusubi.service.i18n import catalogue, default_language, detail_text, t
from enmusubi.service.i18n.messages import MESSAGES
from enmusubi.service.io.reports import markdown_report
from enmusubi.solver import Result, parse_problem, solve
from enmusubi.solver.data import compile_problem
from tests.core_builders import partner, position, problem

ROOT = Path(__file__).resolve().parents[3]
TOKYO = ROOT / "scenarios" / "tokyo" / "problem.json"
EXAMPLE = ROOT / "tests" / "data" / "example-small.json"
CODES = {*ELIGIBILITY_RULE_NAMES, *SKILLS, "count"}


@pytest.fixture(scope="module")
def tokyo() -> Result:
    return solve(json.loads(TOKYO.read_text()))


@pytest.fixture(scope="module")
def crowded() -> Result:
    """One partner wanted by two positions, and one who offers nothing: outscored, and the other notes."""
    wanted = [position("a", priority=2, hours_per_week=8), position("b", hours_per_week=8)]
    return solve(problem(wanted, [partner("p", hours_per_week=10), partner("q", hours_per_week=0)]))


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"LANG": "ja_JP.UTF-8"}, "ja"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LC_ALL": "ja_JP", "LANG": "en_US"}, "ja"),
        ({"LC_ALL": "C.UTF-8", "LANG": "ja_JP"}, "en"),
        ({"LANGUAGE": "ja"}, "ja"),
        ({}, "en"),
    ],
)
def test_the_default_language_follows_the_locale(environ: dict[str, str], expected: str) -> None:
    assert default_language(environ) == expected


def test_every_message_has_both_languages_with_the_same_fields() -> None:
    for key, texts in MESSAGES.items():
        assert set(texts) == {"en", "ja"}, key
        fields = [{f for _, f, _, _ in string.Formatter().parse(texts[lang]) if f} for lang in ("en", "ja")]
        assert fields[0] == fields[1], key
    assert catalogue("ja")["report.title"] == "配置レポート"
    assert t("en", "reason.budget") == "budget ran out"


def untranslated(text: str) -> list[str]:
    """English words left in a Japanese text, once codes (rule and skill names) are set aside."""
    return [w for w in re.findall(r"[A-Za-z_]{3,}", text) if w not in CODES]


def test_every_reason_and_note_reads_in_japanese(tokyo: Result, crowded: Result) -> None:
    details = {u.detail for r in (tokyo, crowded) for u in r.unfilled}
    notes = {p.note for r in (tokyo, crowded) for p in r.partners if p.note}
    reasons = {u.reason for r in (tokyo, crowded) for u in r.unfilled}
    assert reasons == {"no_eligible_partner", "budget", "outscored", "not_worth"}  # every kind is covered
    for text in details | notes:
        assert untranslated(detail_text("ja", text)) == [], text
        assert detail_text("en", text) == text


def test_every_rule_of_an_explanation_reads_in_japanese(tokyo: Result) -> None:
    problem = json.loads(TOKYO.read_text())
    problem["municipalities"][0]["budget_yen"] = None
    partners = [p["id"] for p in problem["partners"][:40]]
    positions = [p["id"] for p in problem["positions"][::15]]
    problem["forbidden"] = [{"partner": partners[0], "position": positions[0]}]
    problem["commute_minutes"] = [{"partner": partners[1], "municipality": "13101", "minutes": 30}]
    data = compile_problem(parse_problem(problem))
    pairs = [(i, j) for i in range(40) for j in range(0, data.n_positions, 15)]
    details = {rule.describe(data, i, j) for i, j in pairs for rule in ELIGIBILITY_RULES}  # what explain shows
    assert len(details) > 100
    for text in details:
        assert untranslated(detail_text("ja", text)) == [], text


def test_report_md_in_japanese_and_english(tokyo: Result) -> None:
    ja = markdown_report(tokyo, "problem.json", lang="ja")
    en = markdown_report(tokyo, "problem.json", lang="en")
    assert ja.startswith("# 配置レポート\n") and en.startswith("# Allocation report\n")
    assert "港区 (Minato) (13103)" in ja and "港区 (Minato) (13103)" in en
    assert "## 未充足のポジションと理由" in ja


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_report_md_has_none_of_the_old_flaws(tokyo: Result, lang: str) -> None:
    report = markdown_report(tokyo, "problem.json", lang=lang)
    lines = report.splitlines()
    assert "budget ran out: budget ran out" not in report
    assert not re.search(r"the nearest 1 \b", report)
    headers = [lines[k - 1] for k, line in enumerate(lines) if line.startswith("| ---")]
    assert headers
    for header in headers:
        assert all(cell.strip() for cell in header.strip("|").split("|")), header
    assert not re.search(r"\d+\.\d{3,} min", report)


def test_cli_lang_option_and_locale(tmp_path: Path) -> None:
    runner = CliRunner()
    run = runner.invoke(app, ["solve", str(EXAMPLE), "--out", str(tmp_path / "ja"), "--lang", "ja"])
    assert run.exit_code == 0, run.output
    assert "状態" in run.stdout and "最適" in run.stdout
    assert (tmp_path / "ja" / "report.md").read_text().startswith("# 配置レポート")
    run = runner.invoke(app, ["solve", str(EXAMPLE), "--out", str(tmp_path / "en")], env={"LC_ALL": "C.UTF-8"})
    assert run.exit_code == 0 and (tmp_path / "en" / "report.md").read_text().startswith("# Allocation report")
    run = runner.invoke(app, ["solve", str(EXAMPLE), "--out", str(tmp_path / "x"), "--lang", "fr"])
    assert run.exit_code == 2 and "--lang" in run.stderr and not (tmp_path / "x").exists()
