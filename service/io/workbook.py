"""Excel workbooks (.xlsx): a problem as one sheet per table, and the output tables of a run.

A problem workbook has the sheets of a CSV folder under the same names without `.csv`
(`municipalities`, `positions`, `partners`, … and `problem` for the settings), each with its
header in row 1; cells are read exactly as the CSV cells would be (numbers typed as numbers or
as text, full-width digits too), and errors name `problem.xlsx[partners]:12:hourly_rate_yen`.
Sheets of other names are refused, like unknown files in a folder. Written workbooks keep ids
as text (so `13101` stays an id, not a number) and numbers as numbers.
"""

from __future__ import annotations

import datetime
import io
import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from enmusubi.service.io.csv_folder import (
    SETTINGS_HEADER,
    SETTINGS_SECTION,
    TABLE_BY_SECTION,
    TABLES,
    Kind,
    Rows,
    SourceMap,
    format_number,
    read_tables,
    settings_rows,
    table_rows,
)
from enmusubi.service.io.files import write_atomic
from enmusubi.solver.errors import InputError, Issue

WORKBOOK_SUFFIX = ".xlsx"
SHEETS = (SETTINGS_SECTION, *TABLE_BY_SECTION)
_NUMERIC = (Kind.NUMBER, Kind.INTEGER, Kind.BUDGET, Kind.OPTIONAL_INTEGER)


def is_workbook_path(path: Path) -> bool:
    return path.suffix.lower() == WORKBOOK_SUFFIX


def _cell_text(value: Any) -> str:
    """A cell as the text a CSV would hold: numbers exactly, whole floats (Excel's 3.0) as 3."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    if isinstance(value, int | float):
        return format_number(value)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    return str(value)


def _sheet_rows(sheet: Any) -> Rows:
    for line, row in enumerate(sheet.iter_rows(values_only=True), start=1):
        cells = [_cell_text(v) for v in row]
        if any(cell.strip() for cell in cells):
            yield line, cells


def read_workbook_bytes(data: bytes, name: str = "problem.xlsx") -> tuple[dict[str, Any], SourceMap]:
    """The problem dict of a workbook's bytes and where each entry came from; InputError naming sheet:row:column."""
    from openpyxl import load_workbook  # here, not at the top: it costs every CLI start ~0.2 s
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise InputError(Issue(name, f"cannot read it as an Excel workbook (.xlsx): {error}")) from None
    try:
        sheets = {sheet.title.strip(): sheet for sheet in book.worksheets}
        expected = ", ".join(SHEETS)
        unknown = [Issue(f"{name}[{s}]", f"unknown sheet; expected: {expected}") for s in sheets if s not in SHEETS]

        def rows(title: str) -> Callable[[], Rows]:
            return lambda: _sheet_rows(sheets[title])

        where = SourceMap(labels={section: f"{name}[{section}]" for section in SHEETS})
        sources = {title: rows(title) for title in sheets if title in SHEETS}
        return read_tables(sources, where, f"sheet is missing in {name}", unknown), where
    finally:
        book.close()


def read_workbook(path: str | Path) -> tuple[dict[str, Any], SourceMap]:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputError(Issue(str(path), f"cannot read: {error.strerror or error}")) from None
    return read_workbook_bytes(data, path.name)


def _typed(kind: Kind, text: str) -> Any:
    """A written cell: numbers as numbers (Excel sums them), everything else as text."""
    if kind in _NUMERIC and text != "":
        return int(text) if text.lstrip("+-").isdigit() else float(text)
    return text


def workbook_bytes(sheets: Sequence[tuple[str, Sequence[str], Sequence[Sequence[Any]]]]) -> bytes:
    """An .xlsx of (title, header, rows) sheets, headers bold and frozen."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.worksheets[0])  # a new workbook comes with one empty sheet
    for title, header, rows in sheets:
        sheet = book.create_sheet(title)
        sheet.append(list(header))
        for row in rows:
            sheet.append(list(row))
        sheet.freeze_panes = "A2"
        for cell in sheet[1]:
            cell.font = Font(bold=True)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def problem_workbook_bytes(problem: Mapping[str, Any]) -> bytes:
    """A (validated) problem dict as a workbook, one sheet per table; ValueError for a value that cannot be written."""
    settings = [[key, _typed(Kind.NUMBER, value)] for key, value in settings_rows(problem)]
    sheets: list[tuple[str, Sequence[str], Sequence[Sequence[Any]]]] = [(SETTINGS_SECTION, SETTINGS_HEADER, settings)]
    for table in TABLES:
        rows = table_rows(table, list(problem.get(table.section) or []))
        typed = [[_typed(c.kind, cell) for c, cell in zip(table.columns, row, strict=True)] for row in rows]
        sheets.append((table.section, [c.name for c in table.columns], typed))
    return workbook_bytes(sheets)


def write_problem_workbook(problem: Mapping[str, Any], path: str | Path) -> list[Path]:
    path = Path(path)
    write_atomic(path, problem_workbook_bytes(problem))
    return [path]
