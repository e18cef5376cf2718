"""CSV folders: JSON -> CSV -> JSON gives the same validated problem, CSV -> JSON -> CSV the same files,
and every bad cell is answered with file:row:column."""

from __future__ import annotations

import copy
import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from enmusubi.scenarios.generator import generate_problem
from enmusubi.service.io.csv_folder import FILE_NAMES, csv_folder_texts, read_csv_folder, write_csv_folder
from enmusubi.service.io.documents import load_problem_source, write_problem
from enmusubi.solver import InputError, parse_problem

DATA = Path(__file__).resolve().parents[2] / "data"
EXAMPLE = DATA / "example-small.json"
CONFORMANCE_PROBLEMS = sorted((DATA / "conformance").glob("*.problem.json"))


def example() -> dict[str, Any]:
    return json.loads(EXAMPLE.read_text())


def rich_problem() -> dict[str, Any]:
    """A generated problem with every optional list in use, and awkward text."""
    problem = generate_problem(120, 30, seed=7)
    partners = [p["id"] for p in problem["partners"]]
    positions = [p["id"] for p in problem["positions"]]
    problem["weights"] = {"fill": 1.5, "commute": 0.25}
    problem["partners"][0]["name"] = 'Sato, "Ken" 佐藤\nsecond line'
    problem["positions"][0]["title"] = ""
    problem["commute_minutes"] = [{"partner": partners[1], "municipality": "13101", "minutes": 37.5}]
    problem["forbidden"] = [{"partner": partners[2], "position": positions[3]}]
    problem["incumbents"].append({"partner": partners[4], "position": positions[5]})
    return problem


def canonical(problem: dict[str, Any]) -> dict[str, Any]:
    return parse_problem(problem).to_json_dict()


def folder_files(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8-sig") for p in sorted(folder.iterdir())}


def round_trip(problem: dict[str, Any], tmp: Path) -> None:
    write_problem(problem, tmp / "first")
    back = load_problem_source(tmp / "first")
    assert back.problem.to_json_dict() == canonical(problem)
    write_problem(back.document, tmp / "problem.json")
    again = load_problem_source(tmp / "problem.json")
    write_problem(again.document, tmp / "second")
    assert folder_files(tmp / "first") == folder_files(tmp / "second")


@pytest.mark.parametrize(
    "make", [example, rich_problem, lambda: generate_problem(900, 150, seed=0)], ids=["example", "rich", "tokyo"]
)
def test_json_csv_json_is_the_same_problem_and_csv_json_csv_the_same_files(make: Any, tmp_path: Path) -> None:
    round_trip(make(), tmp_path)


@pytest.mark.parametrize("path", CONFORMANCE_PROBLEMS, ids=lambda p: p.name)
def test_conformance_problems_round_trip(path: Path, tmp_path: Path) -> None:
    round_trip(json.loads(path.read_text()), tmp_path)


def test_the_folder_holds_every_file_with_its_header(tmp_path: Path) -> None:
    paths = write_csv_folder(example(), tmp_path)
    assert sorted(p.name for p in paths) == sorted(FILE_NAMES)
    assert (tmp_path / "locks.csv").read_text(encoding="utf-8-sig") == "partner,position\n"
    partners = (tmp_path / "partners.csv").read_text(encoding="utf-8-sig").splitlines()
    assert partners[0].startswith("id,name,skills,lat,lon,hours_per_week,hourly_rate_yen")


def test_budget_cells_empty_or_null_mean_no_limit(tmp_path: Path) -> None:
    write_csv_folder(example(), tmp_path)
    lines = (tmp_path / "municipalities.csv").read_text().splitlines()
    lines[1] = ",".join([*lines[1].split(",")[:-1], ""])
    lines[2] = ",".join([*lines[2].split(",")[:-1], "null"])
    (tmp_path / "municipalities.csv").write_text("\n".join(lines) + "\n")
    problem = load_problem_source(tmp_path).problem
    assert problem.municipalities[0].budget_yen is None
    assert problem.municipalities[1].budget_yen is None
    assert problem.municipalities[2].budget_yen == example()["municipalities"][2]["budget_yen"]


def test_a_minimal_folder_uses_the_defaults(tmp_path: Path) -> None:
    (tmp_path / "municipalities.csv").write_text("id,name,lat,lon,budget_yen\n13101,Chiyoda,35.69,139.75,500000\n")
    (tmp_path / "positions.csv").write_text(
        "id,municipality,title,hours_per_week,required_skills\nj1,13101,PM,8,project_management:3\n"
    )
    (tmp_path / "partners.csv").write_text(
        "id,name,lat,lon,hours_per_week,hourly_rate_yen,skills\n"
        "p1,A,35.7,139.7,10,5000,project_management:4; security : 2\n"
    )
    problem = load_problem_source(tmp_path).problem
    assert problem.version == 1 and problem.period_weeks == 4.0
    assert problem.positions[0].openings == 1 and problem.positions[0].max_hourly_rate_yen is None
    assert problem.partners[0].skills == {"project_management": 4, "security": 2}
    assert problem.partners[0].max_commute_minutes == 90.0 and problem.locks == []


# ---------------------------------------------------------------------------------------------- bad rows and columns


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    write_csv_folder(example(), tmp_path)
    return tmp_path


def edit_cell(folder: Path, file_name: str, line: int, column: str, value: str) -> None:
    """Set one cell, keeping the file otherwise as written (line 1 is the header)."""
    rows = list(csv.reader(io.StringIO((folder / file_name).read_text(encoding="utf-8-sig"))))
    rows[line - 1][rows[0].index(column)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    (folder / file_name).write_text(out.getvalue())


def issues_of(folder: Path) -> list[str]:
    with pytest.raises(InputError) as caught:
        load_problem_source(folder)
    return [str(issue) for issue in caught.value.issues]


def test_missing_column_is_named_with_the_header_row(folder: Path) -> None:
    rows = list(csv.reader(io.StringIO((folder / "partners.csv").read_text())))
    drop = rows[0].index("hourly_rate_yen")
    out = io.StringIO()
    csv.writer(out).writerows([cell for k, cell in enumerate(row) if k != drop] for row in rows)
    (folder / "partners.csv").write_text(out.getvalue())
    assert issues_of(folder) == ["partners.csv:1:hourly_rate_yen: required column is missing"]


def test_bad_number_names_file_row_and_column(folder: Path) -> None:
    edit_cell(folder, "partners.csv", 3, "hourly_rate_yen", "5,000 yen")
    edit_cell(folder, "positions.csv", 2, "openings", "1.5")
    assert issues_of(folder) == [
        "positions.csv:2:openings: '1.5' is not a whole number",
        "partners.csv:3:hourly_rate_yen: '5,000 yen' is not a number",
    ]


def test_unknown_municipality_is_named_where_it_is_used(folder: Path) -> None:
    edit_cell(folder, "positions.csv", 3, "municipality", "99999")
    edit_cell(folder, "partners.csv", 2, "preferred_municipalities", "13207;88888")
    assert issues_of(folder) == [
        "positions.csv:3:municipality: unknown municipality '99999'",
        "partners.csv:2:preferred_municipalities: unknown municipality '88888'",
    ]


def test_validation_errors_inside_a_map_name_the_key(folder: Path) -> None:
    edit_cell(folder, "partners.csv", 2, "skills", "security:7")
    edit_cell(folder, "partners.csv", 3, "skills", "security")
    issues = issues_of(folder)
    assert issues == ["partners.csv:3:skills: 'security' is not skill:level (e.g. security:3)"]
    edit_cell(folder, "partners.csv", 3, "skills", "security:2")
    assert issues_of(folder) == ["partners.csv:2:skills: security: level 7 is above 5"]


def test_duplicate_ids_point_at_both_rows(folder: Path) -> None:
    first = example()["partners"][0]["id"]
    edit_cell(folder, "partners.csv", 3, "id", first)
    assert issues_of(folder)[0] == f"partners.csv:3:id: duplicate id {first!r} (also partners.csv:2)"


def test_bad_rows_and_files(folder: Path) -> None:
    with (folder / "locks.csv").open("a") as handle:
        handle.write("p-pm,taito-pm,extra\n")
    (folder / "lock.csv").write_text("partner,position\n")
    (folder / "problem.csv").write_text("key,value\nversion,1\nperiod_week,4\nweights.fill,lots\n")
    assert issues_of(folder) == [
        "lock.csv: unknown file in " + str(folder) + "; expected: " + ", ".join(FILE_NAMES),
        "problem.csv:3:key: unknown key 'period_week'; known: version, period_weeks, weights.fill, weights.skill, "
        "weights.preference, weights.commute, weights.cost, weights.incumbent, weights.equity",
        "problem.csv:4:value: weights.fill: 'lots' is not a number",
        "locks.csv:2: the row has 3 cells, the header has 2",
    ]


def test_settings_errors_found_by_validation_point_at_the_row(folder: Path) -> None:
    (folder / "problem.csv").write_text("key,value\nversion,1\nperiod_weeks,-2\n")
    assert issues_of(folder) == ["problem.csv:3:value: Input should be greater than 0 (got -2)"]


def test_unknown_column_and_missing_file(folder: Path) -> None:
    edit = (folder / "municipalities.csv").read_text().replace("budget_yen", "budget")
    (folder / "municipalities.csv").write_text(edit)
    (folder / "partners.csv").unlink()
    issues = issues_of(folder)
    assert issues[0].startswith("municipalities.csv:1:budget: unknown column; known: id, name")
    assert issues[1] == "municipalities.csv:1:budget_yen: required column is missing"
    assert issues[2] == f"partners.csv: required file is missing in {folder}"


def test_row_numbers_count_lines_of_quoted_multi_line_cells(tmp_path: Path) -> None:
    problem = example()
    problem["partners"][0]["name"] = "two\nlines"
    write_csv_folder(problem, tmp_path)
    edit_cell(tmp_path, "partners.csv", 3, "lat", "north")  # the second partner starts on line 4
    assert issues_of(tmp_path) == ["partners.csv:4:lat: 'north' is not a number"]


def test_values_that_cannot_be_written_are_refused_before_any_file() -> None:
    problem = example()
    problem["partners"][0]["skills"] = {"a;b": 3}
    with pytest.raises(ValueError, match=r"partners\[0\]\.skills"):
        csv_folder_texts(problem)


def test_spreadsheet_bom_and_crlf_are_read(folder: Path) -> None:
    for name in ("municipalities.csv", "partners.csv"):
        text = (folder / name).read_text(encoding="utf-8-sig")
        (folder / name).write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    assert load_problem_source(folder).problem.to_json_dict() == canonical(example())


def test_read_csv_folder_gives_the_lines_of_each_entry(folder: Path) -> None:
    document, where = read_csv_folder(folder)
    assert where.lines["partners"] == list(range(2, 2 + len(document["partners"])))
    assert where.place("partners[1].skills.ux") == "partners.csv:3:skills"
    assert where.place("incumbents[5]") is None  # not from a row (e.g. added by --previous)


# ----------------------------------------------------------------------------------------------------- invariants

ids = st.text(alphabet="abcXYZ019-_", min_size=1, max_size=6)
skill_names = st.text(alphabet="abcdefgh_:", min_size=1, max_size=8).filter(lambda s: s.strip(":") == s)
texts = st.text(max_size=12)
finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
positive = st.one_of(st.integers(1, 80), st.floats(min_value=0.25, max_value=80, allow_nan=False))


def maybe(record: dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        record[key] = value


@st.composite
def problems(draw: st.DrawFn) -> dict[str, Any]:
    muni_ids = draw(st.lists(ids, min_size=1, max_size=4, unique=True))
    municipalities = [
        {
            "id": m,
            "name": draw(texts),
            "lat": draw(st.floats(-90, 90)),
            "lon": draw(st.floats(-180, 180)),
            "budget_yen": draw(st.one_of(st.none(), st.integers(0, 10**9))),
        }
        for m in muni_ids
    ]
    positions = []
    for j in draw(st.lists(ids, max_size=4, unique=True)):
        required = draw(st.dictionaries(skill_names, st.integers(1, 5), max_size=3))
        pos: dict[str, Any] = {"id": j, "municipality": draw(st.sampled_from(muni_ids)), "title": draw(texts)}
        maybe(pos, "required_skills", required if draw(st.booleans()) else None)
        pool = skill_names.filter(lambda s, r=required: s not in r)
        maybe(pos, "preferred_skills", draw(st.one_of(st.none(), st.dictionaries(pool, positive, max_size=2))))
        pos["hours_per_week"] = draw(positive)
        maybe(pos, "onsite_days_per_week", draw(st.one_of(st.none(), st.integers(0, 5))))
        maybe(pos, "openings", draw(st.one_of(st.none(), st.integers(1, 3))))
        maybe(pos, "max_hourly_rate_yen", draw(st.one_of(st.none(), st.integers(0, 20000))))
        maybe(pos, "priority", draw(st.one_of(st.none(), positive)))
        positions.append(pos)
    partners = []
    for i in draw(st.lists(ids, max_size=4, unique=True)):
        partner: dict[str, Any] = {"id": i, "name": draw(texts), "lat": draw(finite) % 90, "lon": draw(finite) % 180}
        maybe(partner, "skills", draw(st.one_of(st.none(), st.dictionaries(skill_names, st.integers(0, 5)))))
        partner["hours_per_week"] = draw(st.one_of(st.just(0), positive))
        partner["hourly_rate_yen"] = draw(st.one_of(st.integers(0, 20000), st.floats(0, 2e4)))
        maybe(partner, "max_commute_minutes", draw(st.one_of(st.none(), st.floats(0, 300))))
        maybe(partner, "max_assignments", draw(st.one_of(st.none(), st.integers(0, 4))))
        maybe(partner, "preferred_municipalities", draw(st.one_of(st.none(), st.lists(st.sampled_from(muni_ids)))))
        partners.append(partner)
    problem: dict[str, Any] = {"version": 1, "municipalities": municipalities, "positions": positions}
    problem["partners"] = partners
    maybe(problem, "period_weeks", draw(st.one_of(st.none(), positive)))
    maybe(problem, "weights", draw(st.one_of(st.none(), st.fixed_dictionaries({}, optional={"cost": positive}))))
    if partners and positions:
        pair = {"partner": partners[0]["id"], "position": positions[-1]["id"]}
        problem[draw(st.sampled_from(["forbidden", "incumbents"]))] = [pair]
        problem["commute_minutes"] = [{"partner": partners[-1]["id"], "municipality": muni_ids[0], "minutes": 12.5}]
    return problem


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(problem=problems())
def test_any_valid_problem_round_trips(problem: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> None:
    tmp = tmp_path_factory.mktemp("rt")
    round_trip(copy.deepcopy(problem), tmp)
