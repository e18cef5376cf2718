"""The output folder of an allocation run: result.json, CSVs for spreadsheets (UTF-8 with a BOM, for
Excel), result.xlsx (the same tables as sheets), report.md and report.html.

Every file is derived from the one Result (so they always agree) and written atomically:
a reader sees the previous complete file or the new complete file, never a mix.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TypeVar

from enmusubi.service.i18n import DEFAULT_LANGUAGE
from enmusubi.service.io.csv_folder import csv_rows, csv_text
from enmusubi.service.io.files import BOM, write_atomic
from enmusubi.service.io.html_report import HTML_REPORT_FILE, html_report
from enmusubi.service.io.previous import Move
from enmusubi.service.io.reports import markdown_report
from enmusubi.service.io.workbook import workbook_bytes
from enmusubi.solver import Problem, Result
from enmusubi.solver.result import Assignment, MunicipalitySummary, PartnerSummary, Unfilled

T = TypeVar("T")

RESULT_FILE = "result.json"
WORKBOOK_FILE = "result.xlsx"
TABLE_FILES = ("assignments.csv", "unfilled.csv", "municipalities.csv", "partners.csv")
OUTPUT_FILES = (RESULT_FILE, *TABLE_FILES, WORKBOOK_FILE, "report.md", HTML_REPORT_FILE)
MOVES_FILE = "moves.csv"
# Columns holding numbers: written to result.xlsx as numbers, so Excel can sum and sort them.
NUMERIC_COLUMNS = frozenset(
    {"score", "cost_yen", "commute_minutes", "hours_per_week", "onsite_days_per_week", "openings", "filled",
     "eligible_partners", "budget_yen", "spent_yen", "remaining_yen", "placements", "hours_used", "eligible_positions"}
)  # fmt: skip


def number(value: float | None) -> str:
    """Up to 6 decimals, no trailing zeros; empty for None (no limit)."""
    if value is None:
        return ""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def flag(value: bool) -> str:
    return "yes" if value else "no"


def _rows(columns: Sequence[tuple[str, Callable[[T], str]]], items: Iterable[T]) -> str:
    return csv_text([name for name, _ in columns], ([cell(item) for _, cell in columns] for item in items))


ASSIGNMENT_COLUMNS: tuple[tuple[str, Callable[[Assignment], str]], ...] = (
    ("partner", lambda a: a.partner),
    ("partner_name", lambda a: a.partner_name),
    ("position", lambda a: a.position),
    ("position_title", lambda a: a.position_title),
    ("municipality", lambda a: a.municipality),
    ("municipality_name", lambda a: a.municipality_name),
    ("score", lambda a: number(a.score)),
    ("cost_yen", lambda a: number(a.cost_yen)),
    ("commute_minutes", lambda a: number(round(a.commute_minutes, 1))),  # an estimate: tenths of a minute, no noise
    ("hours_per_week", lambda a: number(a.hours)),
    ("onsite_days_per_week", lambda a: str(a.onsite_days_per_week)),
    ("locked", lambda a: flag(a.locked)),
    ("incumbent", lambda a: flag(a.incumbent)),
)
UNFILLED_COLUMNS: tuple[tuple[str, Callable[[Unfilled], str]], ...] = (
    ("position", lambda u: u.position),
    ("title", lambda u: u.title),
    ("municipality", lambda u: u.municipality),
    ("openings", lambda u: str(u.openings)),
    ("filled", lambda u: str(u.filled)),
    ("reason", lambda u: u.reason),
    ("detail", lambda u: u.detail),
    ("eligible_partners", lambda u: str(u.eligible_partners)),
)
MUNICIPALITY_COLUMNS: tuple[tuple[str, Callable[[MunicipalitySummary], str]], ...] = (
    ("id", lambda m: m.id),
    ("name", lambda m: m.name),
    ("budget_yen", lambda m: number(m.budget_yen)),
    ("spent_yen", lambda m: number(m.spent_yen)),
    ("remaining_yen", lambda m: number(m.remaining_yen)),
    ("openings", lambda m: str(m.openings)),
    ("filled", lambda m: str(m.filled)),
)
PARTNER_COLUMNS: tuple[tuple[str, Callable[[PartnerSummary], str]], ...] = (
    ("id", lambda p: p.id),
    ("name", lambda p: p.name),
    ("placed", lambda p: flag(p.placements > 0)),
    ("placements", lambda p: str(p.placements)),
    ("hours_used", lambda p: number(p.hours_used)),
    ("hours_per_week", lambda p: number(p.hours_per_week)),
    ("eligible_positions", lambda p: str(p.eligible_positions)),
    ("why_not_placed", lambda p: p.note),
)
MOVE_COLUMNS: tuple[tuple[str, Callable[[Move], str]], ...] = (
    ("partner", lambda m: m.partner),
    ("partner_name", lambda m: m.partner_name),
    ("change", lambda m: m.change),
    ("position", lambda m: m.position),
    ("position_title", lambda m: m.position_title),
    ("municipality", lambda m: m.municipality),
    ("municipality_name", lambda m: m.municipality_name),
    ("why", lambda m: m.reason),
)


def assignments_csv(result: Result) -> str:
    """One row per placement."""
    return _rows(ASSIGNMENT_COLUMNS, result.assignments)


def unfilled_csv(result: Result) -> str:
    """One row per position with open openings, and why."""
    names = {m.id: m.name for m in result.municipalities}
    name_column: tuple[str, Callable[[Unfilled], str]] = ("municipality_name", lambda u: names.get(u.municipality, ""))
    return _rows((*UNFILLED_COLUMNS[:3], name_column, *UNFILLED_COLUMNS[3:]), result.unfilled)


def municipalities_csv(result: Result) -> str:
    """Budget, spent, openings and filled per municipality; an empty budget means no limit."""
    return _rows(MUNICIPALITY_COLUMNS, result.municipalities)


def partners_csv(result: Result) -> str:
    """Every partner: placed or not, where, hours used, and why not."""
    held: dict[str, list[str]] = {}
    for a in result.assignments:
        held.setdefault(a.partner, []).append(a.position)
    positions_column: tuple[str, Callable[[PartnerSummary], str]] = (
        "positions",
        lambda p: ";".join(held.get(p.id, [])),
    )
    return _rows((*PARTNER_COLUMNS[:4], positions_column, *PARTNER_COLUMNS[4:]), result.partners)


def moves_csv(moves: Sequence[Move]) -> str:
    """Every previous placement kept or ended, and every new one, with the reason."""
    return _rows(MOVE_COLUMNS, moves)


def table_texts(result: Result, moves: Sequence[Move] | None = None) -> dict[str, str]:
    """File name -> CSV text (no BOM) of every output table."""
    texts = {
        "assignments.csv": assignments_csv(result),
        "unfilled.csv": unfilled_csv(result),
        "municipalities.csv": municipalities_csv(result),
        "partners.csv": partners_csv(result),
    }
    if moves is not None:
        texts[MOVES_FILE] = moves_csv(moves)
    return texts


def _sheet_cell(column: str, text: str) -> str | int | float:
    if column in NUMERIC_COLUMNS and text:
        return int(text) if text.lstrip("-").isdigit() else float(text)
    return text


def tables_workbook(texts: dict[str, str]) -> bytes:
    """result.xlsx: one sheet per output table, the same cells as the CSVs (numbers as numbers)."""
    sheets = []
    for name, text in texts.items():
        rows = [cells for _, cells in csv_rows(text)]
        header, body = rows[0], rows[1:]
        typed = [[_sheet_cell(column, cell) for column, cell in zip(header, row, strict=True)] for row in body]
        sheets.append((name.removesuffix(".csv"), header, typed))
    return workbook_bytes(sheets)


def output_files(
    result: Result,
    source: str,
    moves: Sequence[Move] | None = None,
    lang: str = DEFAULT_LANGUAGE,
    problem: Problem | None = None,
) -> dict[str, str | bytes]:
    """File name -> contents of the whole output folder (CSVs with their BOM); the API serves the same.

    With the problem, report.html has the map (the result has no coordinates)."""
    tables = table_texts(result, moves)
    files: dict[str, str | bytes] = {RESULT_FILE: result.to_json()}
    files.update({name: BOM + text for name, text in tables.items()})
    files[WORKBOOK_FILE] = tables_workbook(tables)
    files["report.md"] = markdown_report(result, source, moves, lang)
    files[HTML_REPORT_FILE] = html_report(result, source, problem, lang)
    return files


def write_outputs(
    folder: str | Path,
    result: Result,
    source: str,
    moves: Sequence[Move] | None = None,
    lang: str = DEFAULT_LANGUAGE,
    problem: Problem | None = None,
) -> list[Path]:
    """Write the whole output folder; returns the files written. `moves` (a re-run) adds moves.csv."""
    folder = Path(folder)
    files = output_files(result, source, moves, lang, problem)
    for name, contents in files.items():
        write_atomic(folder / name, contents)
    if moves is None:
        (folder / MOVES_FILE).unlink(missing_ok=True)  # a stale list from an earlier re-run would not match
    return [folder / name for name in files]
