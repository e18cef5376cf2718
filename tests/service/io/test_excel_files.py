"""Files as Excel saves them: CP932, UTF-8 with a BOM, UTF-16, trailing empty columns, full-width digits,
.xlsx workbooks and zipped CSV folders all read to the same problem as the JSON; every CSV written has a BOM."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from typer.testing import CliRunner

from enmusubi.service.cli.app import app
from enmusubi.service.io.csv_folder import FILE_NAMES, csv_folder_texts, read_csv_zip
from enmusubi.service.io.documents import load_problem_source, write_problem
from enmusubi.service.io.outputs import WORKBOOK_FILE, write_outputs
from enmusubi.service.io.workbook import problem_workbook_bytes, read_workbook_bytes
from enmusubi.solver import InputError, parse_problem, solve

DATA = Path(__file__).resolve().parents[2] / "data"
EXAMPLE = DATA / "example-small.json"
BOM = b"\xef\xbb\xbf"


def japanese_example() -> dict[str, Any]:
    """The example with Japanese names, which CP932 can hold and Latin-1 cannot."""
    problem = json.loads(EXAMPLE.read_text())
    problem["municipalities"][0]["name"] = "港区 (Minato)"
    problem["partners"][0]["name"] = "佐藤 健"
    problem["positions"][0]["title"] = "情報セキュリティ担当"
    return problem


def canonical(problem: dict[str, Any]) -> dict[str, Any]:
    return parse_problem(problem).to_json_dict()


def excel_folder(tmp_path: Path, encode: Any, trailing_column: bool = False) -> Path:
    """The problem's CSV folder re-saved as Excel would: `encode(text) -> bytes`, CRLF, maybe an empty last column."""
    folder = tmp_path / "excel"
    folder.mkdir()
    for name, text in csv_folder_texts(japanese_example()).items():
        lines = text.split("\r\n")
        if trailing_column:  # Excel writes the empty column a user once touched: a trailing comma on every row
            lines = [line + "," if line else line for line in lines]
            lines.insert(2, ",,,")  # and an empty row
        (folder / name).write_bytes(encode("\r\n".join(lines)))
    return folder


@pytest.mark.parametrize(
    ("encode", "trailing"),
    [
        (lambda text: text.encode("cp932"), False),
        (lambda text: BOM + text.encode("utf-8"), True),
        (lambda text: text.encode("utf-16"), False),  # Excel's "Unicode text": UTF-16 LE with its BOM
        (lambda text: text.encode("utf-16-be").join([b"\xfe\xff", b""]), True),
        (lambda text: text.encode("utf-8"), True),
    ],
    ids=["cp932", "utf-8-bom-trailing-column", "utf-16", "utf-16-be-trailing-column", "utf-8"],
)
def test_csv_folders_in_every_excel_encoding_read_to_the_json_problem(
    tmp_path: Path, encode: Any, trailing: bool
) -> None:
    folder = excel_folder(tmp_path, encode, trailing)
    assert load_problem_source(folder).problem.to_json_dict() == canonical(japanese_example())


def test_a_file_in_no_known_encoding_is_named(tmp_path: Path) -> None:
    folder = excel_folder(tmp_path, lambda text: text.encode("utf-8"))
    (folder / "partners.csv").write_bytes(b"id,name\n\x81\xff\x80,x\n")  # neither UTF-8 nor CP932
    with pytest.raises(InputError) as caught:
        load_problem_source(folder)
    assert [str(i) for i in caught.value.issues] == [
        "partners.csv: cannot read the text: it is not UTF-8, UTF-16 (with its BOM) or CP932 (Shift_JIS)"
    ]


def test_full_width_digits_are_read_as_numbers_but_text_stays_as_written(tmp_path: Path) -> None:
    folder = excel_folder(tmp_path, lambda text: text.encode("utf-8"))
    text = (folder / "municipalities.csv").read_bytes().decode("utf-8")
    header, first, *rest = text.split("\r\n")
    cells = first.split(",")
    cells[2] = "３５．６５８"  # lat
    cells[4] = "１２００００"  # budget_yen
    (folder / "municipalities.csv").write_text("\r\n".join([header, ",".join(cells), *rest]), encoding="utf-8")
    problem = load_problem_source(folder).problem
    assert problem.municipalities[0].lat == 35.658
    assert problem.municipalities[0].budget_yen == 120000
    assert problem.municipalities[0].name == "港区 (Minato)"


def test_a_workbook_reads_to_the_json_problem_and_converts_back(tmp_path: Path) -> None:
    problem = japanese_example()
    document, _ = read_workbook_bytes(problem_workbook_bytes(problem))
    assert canonical(document) == canonical(problem)
    runner = CliRunner()
    (tmp_path / "p.json").write_text(json.dumps(problem, ensure_ascii=False), encoding="utf-8")
    assert runner.invoke(app, ["convert", str(tmp_path / "p.json"), str(tmp_path / "p.xlsx"), "-q"]).exit_code == 0
    assert runner.invoke(app, ["convert", str(tmp_path / "p.xlsx"), str(tmp_path / "csv"), "-q"]).exit_code == 0
    assert load_problem_source(tmp_path / "csv").problem.to_json_dict() == canonical(problem)
    ids = load_workbook(tmp_path / "p.xlsx")["municipalities"]["A2"].value
    assert ids == problem["municipalities"][0]["id"]  # ids stay text


def test_a_workbook_typed_by_hand_with_numbers_as_numbers(tmp_path: Path) -> None:
    book = Workbook()
    book.active.title = "municipalities"
    book["municipalities"].append(["id", "name", "lat", "lon", "budget_yen", None])
    book["municipalities"].append([13101, "千代田区", 35.69, 139.75, 500000.0, None])
    positions = book.create_sheet("positions")
    positions.append(["id", "municipality", "title", "hours_per_week", "required_skills"])
    positions.append(["j1", 13101, "PM", 8, "project_management:３"])
    partners = book.create_sheet("partners")
    partners.append(["id", "name", "lat", "lon", "hours_per_week", "hourly_rate_yen"])
    partners.append(["p1", "A", 35.7, 139.7, 10, "５０００"])
    book.save(tmp_path / "hand.xlsx")
    problem = load_problem_source(tmp_path / "hand.xlsx").problem
    assert problem.municipalities[0].id == "13101" and problem.municipalities[0].budget_yen == 500000
    assert problem.positions[0].required_skills == {"project_management": 3}
    assert problem.partners[0].hourly_rate_yen == 5000


def test_workbook_errors_name_the_sheet_row_and_column(tmp_path: Path) -> None:
    book = load_workbook(io.BytesIO(problem_workbook_bytes(japanese_example())))
    book["partners"]["G3"] = "lots"  # hourly_rate_yen of the second partner
    book.create_sheet("notes")
    book.save(tmp_path / "bad.xlsx")
    with pytest.raises(InputError) as caught:
        load_problem_source(tmp_path / "bad.xlsx")
    assert [str(i) for i in caught.value.issues] == [
        "bad.xlsx[notes]: unknown sheet; expected: problem, municipalities, positions, partners, commute_minutes, "
        "locks, forbidden, incumbents",
        "bad.xlsx[partners]:3:hourly_rate_yen: 'lots' is not a number",
    ]
    with pytest.raises(InputError, match="cannot read it as an Excel workbook"):
        read_workbook_bytes(b"not a zip", "x.xlsx")


def test_a_zipped_csv_folder_reads_to_the_json_problem(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in csv_folder_texts(japanese_example()).items():
            archive.writestr(f"problem/{name}", text.encode("cp932"))
        archive.writestr("__MACOSX/problem/._partners.csv", b"\x00\x05")
    document, _ = read_csv_zip(buffer.getvalue())
    assert canonical(document) == canonical(japanese_example())


def test_every_csv_written_starts_with_a_bom(tmp_path: Path) -> None:
    problem = japanese_example()
    write_problem(problem, tmp_path / "folder")
    written = sorted((tmp_path / "folder").iterdir())
    assert sorted(p.name for p in written) == sorted(FILE_NAMES)
    write_outputs(tmp_path / "out", solve(problem), "p.json")
    outputs = sorted((tmp_path / "out").glob("*.csv"))
    assert len(outputs) == 4
    for path in [*written, *outputs]:
        assert path.read_bytes().startswith(BOM), path.name
    assert "港区 (Minato)" in (tmp_path / "out" / "municipalities.csv").read_text(encoding="utf-8-sig")


def test_result_workbook_holds_the_output_tables_with_numbers_as_numbers(tmp_path: Path) -> None:
    result = solve(japanese_example())
    write_outputs(tmp_path, result, "p.json")
    book = load_workbook(tmp_path / WORKBOOK_FILE)
    assert book.sheetnames == ["assignments", "unfilled", "municipalities", "partners"]
    rows = list(book["assignments"].iter_rows(values_only=True))
    assert len(rows) == 1 + len(result.assignments)
    score = rows[0].index("score")
    assert sum(row[score] for row in rows[1:]) == pytest.approx(sum(a.score for a in result.assignments), abs=1e-5)
