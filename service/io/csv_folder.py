"""A problem as a folder of CSV files, the form coordinators keep in spreadsheets.

One file per list of the problem file (PROBLEM.md §2), one row per entry, one column per
field. `problem.csv` (key,value rows) holds version, period_weeks and weights; it is
optional (version 1 and the defaults). Cells: an empty cell means the field is absent
(its default applies), except `budget_yen`, where an empty cell or `null` means no limit,
and `name`/`title`, where it is the empty text. Maps are `skill:level;skill:level`
(preferred skills `skill:weight`), lists are `id;id`. The tables and their columns are
derived from the problem models (solver/problem.py), so a new field needs no edit here.

Errors name the file, the row (the line number in the file; the header is line 1) and
the column, e.g. `partners.csv:12:hourly_rate_yen: 'abc' is not a number`. Reading gives
a plain problem dict plus a `SourceMap` that translates the validator's paths
(`partners[10].hourly_rate_yen`) into such places.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from enmusubi.service.io.files import write_atomic
from enmusubi.solver.errors import InputError, Issue
from enmusubi.solver.problem import Problem, Weights

SETTINGS_FILE = "problem.csv"
HEADER_LINE = 1
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_INTEGER = re.compile(r"[+-]?\d+")
_LIST_SEPARATOR = ";"
_PAIR_SEPARATOR = ":"


class Kind(Enum):
    """How a cell is read and written."""

    TEXT = "text"  # verbatim; an empty cell is the empty text
    ID = "id"  # verbatim; an empty cell is absent
    NUMBER = "number"
    INTEGER = "integer"
    BUDGET = "budget"  # integer; empty or null = no limit (None)
    OPTIONAL_INTEGER = "optional integer"  # integer; null = None; empty = absent
    LEVELS = "levels"  # skill:level;skill:level
    WEIGHTS = "weights"  # skill:weight;skill:weight
    IDS = "ids"  # id;id


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    required: bool = False


@dataclass(frozen=True)
class Table:
    """A list of the problem file stored as one CSV file."""

    section: str
    columns: tuple[Column, ...]
    required_file: bool = False

    @property
    def file_name(self) -> str:
        return f"{self.section}.csv"

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


def _bare(annotation: Any) -> Any:
    """The type under Annotated[...] (pydantic keeps it on the arguments of dict and list)."""
    return get_args(annotation)[0] if get_origin(annotation) is Annotated else annotation


def _kind(field: FieldInfo) -> Kind:
    """How a field of the problem models is written in a cell, from its type."""
    annotation = field.annotation
    args = [_bare(a) for a in get_args(annotation)]
    origin = get_origin(annotation)
    if origin in (UnionType, Union) and type(None) in args:
        return Kind.BUDGET if field.is_required() else Kind.OPTIONAL_INTEGER
    if origin is dict:
        return Kind.LEVELS if args[1] is int else Kind.WEIGHTS
    if origin is list:
        return Kind.IDS
    if annotation is str:
        return Kind.ID if field.metadata else Kind.TEXT  # ids are constrained strings; name and title are free text
    kinds: dict[object, Kind] = {int: Kind.INTEGER, float: Kind.NUMBER}
    return kinds[annotation]


def _table(section: str) -> Table:
    """The CSV file of one list of the problem file: a column per field of its entries' model."""
    entry: type[BaseModel] = get_args(Problem.model_fields[section].annotation)[0]
    columns = tuple(Column(name, _kind(f), f.is_required()) for name, f in entry.model_fields.items())
    return Table(section, columns, required_file=section in REQUIRED_FILES)


REQUIRED_FILES = ("municipalities", "positions", "partners")
TABLES: tuple[Table, ...] = tuple(
    _table(name) for name, f in Problem.model_fields.items() if get_origin(f.annotation) is list
)
TABLE_BY_SECTION = {t.section: t for t in TABLES}
WEIGHT_NAMES = tuple(Weights.model_fields)
SETTINGS: dict[str, Kind] = {
    "version": Kind.INTEGER,
    "period_weeks": Kind.NUMBER,
    **{f"weights.{w}": Kind.NUMBER for w in WEIGHT_NAMES},
}
FILE_NAMES = (SETTINGS_FILE, *(t.file_name for t in TABLES))


# ---------------------------------------------------------------------------------------------- where things came from


@dataclass
class SourceMap:
    """Where each entry of a problem read from CSV came from, to name file:row:column in errors."""

    lines: dict[str, list[int]] = field(default_factory=dict)  # section -> line of each entry
    setting_lines: dict[str, int] = field(default_factory=dict)  # problem.csv key -> line

    def place(self, path: str) -> str | None:
        """`partners[10].skills.security` -> `partners.csv:12:skills`, or None if not from a CSV row."""
        match = re.fullmatch(r"(\w+)\[(\d+)\](?:\.(\w+))?(.*)", path)
        if match and match.group(1) in self.lines:
            section, index, column = match.group(1), int(match.group(2)), match.group(3)
            lines = self.lines[section]
            file_name = TABLE_BY_SECTION[section].file_name
            if index >= len(lines):
                return None
            return f"{file_name}:{lines[index]}" + (f":{column}" if column else "")
        key = path if path in self.setting_lines else path.split("[")[0]
        if key in self.setting_lines:
            return f"{SETTINGS_FILE}:{self.setting_lines[key]}:value"
        return None

    def translate(self, issue: Issue) -> Issue:
        """The issue with its path (and any entry it mentions) given as file:row[:column]."""
        place = self.place(issue.path)
        message = re.sub(r"\b(\w+)\[(\d+)\]", lambda m: self.place(m.group(0)) or m.group(0), issue.message)
        if place is None:
            return Issue(issue.path, message)
        detail = re.fullmatch(r"\w+\[\d+\]\.\w+\.(.+)", issue.path)  # a map key, e.g. the skill
        if detail:
            message = f"{detail.group(1)}: {message}"
        return Issue(place, message)

    def translate_error(self, error: InputError) -> InputError:
        return InputError([self.translate(issue) for issue in error.issues])


# ------------------------------------------------------------------------------------------------------------ reading


def _split_items(text: str) -> list[str]:
    return [part.strip() for part in text.split(_LIST_SEPARATOR) if part.strip()]


def _parse_number(text: str) -> int | float:
    if _INTEGER.fullmatch(text):
        return int(text)
    if _NUMBER.fullmatch(text):
        return float(text)
    raise ValueError(f"{text!r} is not a number")


def _parse_integer(text: str) -> int:
    if _INTEGER.fullmatch(text):
        return int(text)
    if _NUMBER.fullmatch(text):
        raise ValueError(f"{text!r} is not a whole number")
    raise ValueError(f"{text!r} is not a number")


def _parse_map(text: str, value_kind: Kind) -> dict[str, int | float]:
    out: dict[str, int | float] = {}
    what = "level" if value_kind is Kind.LEVELS else "weight"
    for item in _split_items(text):
        name, sep, value = item.rpartition(_PAIR_SEPARATOR)
        name, value = name.strip(), value.strip()
        if not sep or not name:
            raise ValueError(f"{item!r} is not skill{_PAIR_SEPARATOR}{what} (e.g. security:3)")
        if name in out:
            raise ValueError(f"skill {name!r} is listed twice")
        try:
            out[name] = _parse_integer(value) if value_kind is Kind.LEVELS else _parse_number(value)
        except ValueError as error:
            raise ValueError(f"{name}: {what} {error}") from None
    return out


def parse_cell(kind: Kind, raw: str) -> tuple[bool, Any]:
    """(present, value) of one cell; raises ValueError with a message for the user."""
    text = raw.strip()
    if kind is Kind.TEXT:
        return True, raw
    if kind is Kind.BUDGET and text.lower() in ("", "null"):
        return True, None
    if text == "":
        return False, None
    if kind is Kind.ID:
        return True, raw
    if kind is Kind.NUMBER:
        return True, _parse_number(text)
    if kind is Kind.INTEGER or kind is Kind.BUDGET:
        return True, _parse_integer(text)
    if kind is Kind.OPTIONAL_INTEGER:
        return True, None if text.lower() == "null" else _parse_integer(text)
    if kind is Kind.LEVELS or kind is Kind.WEIGHTS:
        return True, _parse_map(text, kind)
    return True, _split_items(text)


def _read_rows(path: Path) -> Iterable[tuple[int, list[str]]]:
    """(line number, cells) of each non-blank row; the header is line 1."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, strict=True)
        start = 1
        for cells in reader:
            if any(cell.strip() for cell in cells):
                yield start, cells
            start = reader.line_num + 1


def _read_table(path: Path, table: Table, issues: list[Issue]) -> tuple[list[dict[str, Any]], list[int]]:
    name = table.file_name
    records: list[dict[str, Any]] = []
    lines: list[int] = []
    rows = iter(_read_rows(path))
    first = next(rows, None)
    if first is None:
        issues.append(Issue(f"{name}:{HEADER_LINE}", "the file is empty (it needs at least the header row)"))
        return records, lines
    header_line, header = first
    header = [cell.strip() for cell in header]
    columns: list[Column | None] = []
    header_ok = True
    for position, column_name in enumerate(header):
        column = table.column(column_name)
        if column is None:
            known = ", ".join(c.name for c in table.columns)
            place = f"{name}:{header_line}:{column_name or f'#{position + 1}'}"
            issues.append(Issue(place, f"unknown column; known: {known}"))
            header_ok = False
        elif column_name in header[:position]:
            issues.append(Issue(f"{name}:{header_line}:{column_name}", "the column appears twice"))
            header_ok = False
        columns.append(column)
    for column in table.columns:
        if column.required and column.name not in header:
            issues.append(Issue(f"{name}:{header_line}:{column.name}", "required column is missing"))
            header_ok = False
    if not header_ok:
        return records, lines
    for line, cells in rows:
        if len(cells) != len(header):
            issues.append(Issue(f"{name}:{line}", f"the row has {len(cells)} cells, the header has {len(header)}"))
            continue
        record: dict[str, Any] = {}
        for column, raw in zip(columns, cells, strict=True):
            assert column is not None  # unknown columns stopped above
            try:
                present, value = parse_cell(column.kind, raw)
            except ValueError as error:
                issues.append(Issue(f"{name}:{line}:{column.name}", str(error)))
                continue
            if present:
                record[column.name] = value
        records.append(record)
        lines.append(line)
    return records, lines


def _read_settings(path: Path, issues: list[Issue], where: SourceMap) -> dict[str, Any]:
    out: dict[str, Any] = {}
    rows = iter(_read_rows(path))
    first = next(rows, None)
    if first is None or [cell.strip() for cell in first[1]] != ["key", "value"]:
        issues.append(Issue(f"{SETTINGS_FILE}:{HEADER_LINE}", "the header must be exactly: key,value"))
        return out
    for line, cells in rows:
        if len(cells) != 2:
            issues.append(Issue(f"{SETTINGS_FILE}:{line}", f"the row has {len(cells)} cells, expected key,value"))
            continue
        key = cells[0].strip()
        if key not in SETTINGS:
            issues.append(Issue(f"{SETTINGS_FILE}:{line}:key", f"unknown key {key!r}; known: {', '.join(SETTINGS)}"))
            continue
        if key in where.setting_lines:
            also = where.setting_lines[key]
            issues.append(Issue(f"{SETTINGS_FILE}:{line}:key", f"{key!r} is given twice (also line {also})"))
            continue
        try:
            present, value = parse_cell(SETTINGS[key], cells[1])
        except ValueError as error:
            issues.append(Issue(f"{SETTINGS_FILE}:{line}:value", f"{key}: {error}"))
            continue
        where.setting_lines[key] = line
        if key.startswith("weights."):
            where.setting_lines.setdefault("weights", line)
            if present:
                out.setdefault("weights", {})[key.removeprefix("weights.")] = value
        elif present:
            out[key] = value
    return out


def is_csv_folder(path: Path) -> bool:
    return path.is_dir()


def read_csv_folder(folder: str | Path) -> tuple[dict[str, Any], SourceMap]:
    """The problem dict a CSV folder holds, and where each entry came from.

    Raises InputError naming file:row:column for every cell that cannot be read; the dict
    itself is validated by the caller (`solver.parse_problem`, translated with the SourceMap).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(Issue(str(folder), "no such folder"))
    issues: list[Issue] = []
    where = SourceMap()
    unknown = sorted(p.name for p in folder.glob("*.csv") if p.name not in FILE_NAMES)
    for file_name in unknown:
        issues.append(Issue(file_name, f"unknown file in {folder}; expected: {', '.join(FILE_NAMES)}"))
    settings_path = folder / SETTINGS_FILE
    data: dict[str, Any] = {"version": 1}
    try:
        if settings_path.exists():
            data.update(_read_settings(settings_path, issues, where))
        for table in TABLES:
            path = folder / table.file_name
            if not path.exists():
                if table.required_file:
                    issues.append(Issue(table.file_name, f"required file is missing in {folder}"))
                continue
            records, lines = _read_table(path, table, issues)
            data[table.section] = records
            where.lines[table.section] = lines
    except UnicodeDecodeError as error:
        issues.append(Issue(str(folder), f"a file is not UTF-8 text: {error}"))
    except (csv.Error, OSError) as error:
        issues.append(Issue(str(folder), f"cannot read: {error}"))
    if issues:
        raise InputError(issues)
    return data, where


# ------------------------------------------------------------------------------------------------------------ writing


def format_number(value: Any) -> str:
    """Exactly the value: ints as digits, floats by repr (which reads back to the same float)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{value!r} is not a number")
    return str(value) if isinstance(value, int) else repr(value)


def _format_item_name(name: str) -> str:
    if not name or name != name.strip() or _LIST_SEPARATOR in name:
        raise ValueError(f"{name!r} cannot be written to a CSV list (empty, spaces at its ends, or a ';')")
    return name


def format_cell(kind: Kind, value: Any) -> str:
    if kind is Kind.TEXT or kind is Kind.ID:
        if not isinstance(value, str):
            raise ValueError(f"{value!r} is not text")
        return value
    if value is None:  # no limit: budget_yen, max_hourly_rate_yen
        return ""
    if kind is Kind.LEVELS or kind is Kind.WEIGHTS:
        items = (f"{_format_item_name(k)}{_PAIR_SEPARATOR}{format_number(v)}" for k, v in value.items())
        return _LIST_SEPARATOR.join(items)
    if kind is Kind.IDS:
        return _LIST_SEPARATOR.join(_format_item_name(v) for v in value)
    return format_number(value)


def csv_text(header: Iterable[str], rows: Iterable[Iterable[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # RFC 4180; it also makes a cell holding a lone CR quoted
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def _table_text(table: Table, records: list[Mapping[str, Any]]) -> str:
    names = [c.name for c in table.columns]
    rows = []
    for k, record in enumerate(records):
        unknown = set(record) - set(names)
        if unknown:
            raise ValueError(f"{table.section}[{k}]: unknown field(s) {sorted(unknown)}")
        row = []
        for column in table.columns:
            if column.name not in record:
                row.append("")
                continue
            try:
                row.append(format_cell(column.kind, record[column.name]))
            except ValueError as error:
                raise ValueError(f"{table.section}[{k}].{column.name}: {error}") from None
        rows.append(row)
    return csv_text(names, rows)


def _settings_text(problem: Mapping[str, Any]) -> str:
    rows = []
    for key, kind in SETTINGS.items():
        if key.startswith("weights."):
            weights = problem.get("weights") or {}
            name = key.removeprefix("weights.")
            if name in weights:
                rows.append([key, format_cell(kind, weights[name])])
        elif key in problem:
            rows.append([key, format_cell(kind, problem[key])])
    return csv_text(["key", "value"], rows)


def csv_folder_texts(problem: Mapping[str, Any]) -> dict[str, str]:
    """File name -> CSV text for every file of the folder (all of them, so no stale file survives)."""
    texts = {SETTINGS_FILE: _settings_text(problem)}
    for table in TABLES:
        texts[table.file_name] = _table_text(table, list(problem.get(table.section) or []))
    return texts


def write_csv_folder(problem: Mapping[str, Any], folder: str | Path) -> list[Path]:
    """Write a (validated) problem dict as a CSV folder, each file atomically; returns the paths."""
    folder = Path(folder)
    texts = csv_folder_texts(problem)  # format everything first: a value that cannot be written leaves no file
    paths = []
    for file_name, text in texts.items():
        write_atomic(folder / file_name, text)
        paths.append(folder / file_name)
    return paths
