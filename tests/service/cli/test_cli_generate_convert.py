"""`enmusubi generate` and `enmusubi convert`: the bundled Tokyo file is reproducible; forms convert losslessly."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from typer.testing import CliRunner

from enmusubi.scenarios.generator import generate_problem
from enmusubi.service.cli.app import app
from enmusubi.service.io.csv_folder import FILE_NAMES
from enmusubi.service.io.documents import load_problem_source
from enmusubi.solver import parse_problem

ROOT = Path(__file__).resolve().parents[3]
TOKYO = ROOT / "scenarios" / "tokyo" / "problem.json"
runner = CliRunner()


def enmusubi(*args: str | Path) -> Any:
    return runner.invoke(app, [str(a) for a in args])


def test_the_bundled_tokyo_problem_is_what_generate_makes_with_seed_0(tmp_path: Path) -> None:
    run = enmusubi("generate", "--out", tmp_path / "problem.json", "--seed", "0")
    assert run.exit_code == 0, run.output
    assert (tmp_path / "problem.json").read_bytes() == TOKYO.read_bytes()
    assert "900 partners, 150 positions" in run.stdout and "62 municipalities, seed 0" in run.stdout


def test_generate_into_a_csv_folder_gives_the_same_problem(tmp_path: Path) -> None:
    size = ("--partners", "50", "--positions", "12", "--seed", "5")
    assert enmusubi("generate", *size, "-o", tmp_path / "p.json").exit_code == 0
    assert enmusubi("generate", *size, "-o", tmp_path / "csv").exit_code == 0
    assert sorted(p.name for p in (tmp_path / "csv").iterdir()) == sorted(FILE_NAMES)
    from_json = load_problem_source(tmp_path / "p.json").problem
    assert load_problem_source(tmp_path / "csv").problem == from_json
    assert len(from_json.partners) == 50 and len(from_json.positions) == 12


def test_generate_refuses_a_negative_size(tmp_path: Path) -> None:
    run = enmusubi("generate", "--partners", "-1", "-o", tmp_path / "p.json")
    assert run.exit_code == 2 and not (tmp_path / "p.json").exists()


def test_convert_json_to_csv_to_yaml_to_json_keeps_the_problem(tmp_path: Path) -> None:
    source = tmp_path / "source.json"
    source.write_text(json.dumps(generate_problem(200, 40, seed=3)))
    assert enmusubi("convert", source, tmp_path / "csv", "-q").exit_code == 0
    assert enmusubi("convert", tmp_path / "csv", tmp_path / "p.yaml", "-q").exit_code == 0
    assert enmusubi("convert", tmp_path / "p.yaml", tmp_path / "p.json", "-q").exit_code == 0
    original = parse_problem(json.loads(source.read_text())).to_json_dict()
    assert parse_problem(yaml.safe_load((tmp_path / "p.yaml").read_text())).to_json_dict() == original
    assert parse_problem(json.loads((tmp_path / "p.json").read_text())).to_json_dict() == original


def test_convert_refuses_its_source_and_bad_input(tmp_path: Path) -> None:
    assert enmusubi("convert", TOKYO, tmp_path / "csv", "-q").exit_code == 0
    same = enmusubi("convert", tmp_path / "csv", tmp_path / "csv")
    assert same.exit_code == 2 and "this is the source" in same.stderr
    partners = tmp_path / "csv" / "partners.csv"
    partners.write_text(partners.read_text().replace("\nP000002,", "\nP000001,", 1))
    bad = enmusubi("convert", tmp_path / "csv", tmp_path / "out.json")
    assert bad.exit_code == 2
    assert bad.stderr.startswith("error: partners.csv:3:id: duplicate id 'P000001' (also partners.csv:2)")
    assert not (tmp_path / "out.json").exists()
