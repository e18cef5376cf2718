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

Made for files saved by Excel: each file's encoding is detected (UTF-8 with or without a BOM,
UTF-16 with its BOM, or CP932 = Windows Shift_JIS), the file is named when none fits; trailing
empty columns and empty rows are ignored. Number cells (and the levels and weights in maps) are
normalised with Unicode NFKC before they are read, so full-width digits typed with a Japanese
input method (`１２．５`) read as `12.5`; text and ids are kept exactly as written. Files are
written as UTF-8 with a BOM, which is what Excel needs to open them right.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from functools import partial
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from enmusubi.service.io.files import write_csv
from enmusubi.solver.errors import InputError, Issue
from enmusubi.solver.problem import Problem, Weights

SETTINGS_SECTION = "problem"
SETTINGS_FILE = f"{SETTINGS_SECTION}.csv"
ENCODINGS = ("utf-8", "cp932")  # tried in this order after the BOMs; UTF-8 is strict enough to rarely misfire
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
    labels: dict[str, str] = field(default_factory=dict)  # section (or "problem") -> how errors name it, if not X.csv

    def label(self, section: str) -> str:
        return self.labels.get(section, f"{section}.csv")

    def place(self, path: str) -> str | None:
        """`partners[10].skills.security` -> `partners.csv:12:skills`, or None if not from a CSV row."""
        match = re.fullmatch(r"(\w+)\[(\d+)\](?:\.(\w+))?(.*)", path)
        if match and match.group(1) in self.lines:
            section, index, column = match.group(1), int(match.group(2)), match.group(3)
            lines = self.lines[section]
            file_name = self.label(section)
            if index >= len(lines):
                return None
            return f"{file_name}:{lines[index]}" + (f":{column}" if column else "")
        key = path if path in self.setting_lines else path.split("[")[0]
        if key in self.setting_lines:
            return f"{self.label(SETTINGS_SECTION)}:{self.setting_lines[key]}:value"
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


def normalise_number(text: str) -> str:
    """Full-width digits, signs and points (NFKC) to ASCII, spaces trimmed: `１２．５` -> `12.5`."""
    return unicodedata.normalize("NFKC", text).strip()


def _parse_number(text: str) -> int | float:
    text = normalise_number(text)
    if _INTEGER.fullmatch(text):
        return int(text)
    if _NUMBER.fullmatch(text):
        return float(text)
    raise ValueError(f"{text!r} is not a number")


def _parse_integer(text: str) -> int:
    text = normalise_number(text)
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
    if kind in (Kind.BUDGET, Kind.OPTIONAL_INTEGER):
        text = normalise_number(text)
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


Rows = Iterable[tuple[int, list[str]]]  # (line number, cells) of each row; the header is line 1


def decode_text(data: bytes) -> str:
    """The text of a CSV file in any encoding Excel saves in; ValueError saying what was tried when none fits."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValueError("cannot read the text: it is not UTF-8, UTF-16 (with its BOM) or CP932 (Shift_JIS)")


def csv_rows(text: str) -> Rows:
    """(line number, cells) of each non-blank row of CSV text."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    start = 1
    for cells in reader:
        if any(cell.strip() for cell in cells):
            yield start, cells
        start = reader.line_num + 1


def _trim(cells: list[str], width: int) -> list[str]:
    """Drop the empty cells past `width` that Excel leaves after the last column."""
    if len(cells) > width and not any(cell.strip() for cell in cells[width:]):
        return cells[:width]
    return cells


def _header(cells: list[str]) -> list[str]:
    names = [normalise_number(cell) for cell in cells]  # NFKC: full-width letters in a heading too
    while names and not names[-1]:
        names.pop()
    return names


def _read_table(source: Rows, name: str, table: Table, issues: list[Issue]) -> tuple[list[dict[str, Any]], list[int]]:
    records: list[dict[str, Any]] = []
    lines: list[int] = []
    rows = iter(source)
    first = next(rows, None)
    if first is None:
        issues.append(Issue(f"{name}:{HEADER_LINE}", "the file is empty (it needs at least the header row)"))
        return records, lines
    header_line, header = first[0], _header(first[1])
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
    for line, row in rows:
        cells = _trim(row, len(header))
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


def _read_settings(source: Rows, name: str, issues: list[Issue], where: SourceMap) -> dict[str, Any]:
    out: dict[str, Any] = {}
    rows = iter(source)
    first = next(rows, None)
    if first is None or _header(first[1]) != ["key", "value"]:
        issues.append(Issue(f"{name}:{HEADER_LINE}", "the header must be exactly: key,value"))
        return out
    for line, row in rows:
        cells = _trim(row, 2)
        if len(cells) != 2:
            issues.append(Issue(f"{name}:{line}", f"the row has {len(cells)} cells, expected key,value"))
            continue
        key = normalise_number(cells[0])
        if key not in SETTINGS:
            issues.append(Issue(f"{name}:{line}:key", f"unknown key {key!r}; known: {', '.join(SETTINGS)}"))
            continue
        if key in where.setting_lines:
            also = where.setting_lines[key]
            issues.append(Issue(f"{name}:{line}:key", f"{key!r} is given twice (also line {also})"))
            continue
        try:
            present, value = parse_cell(SETTINGS[key], cells[1])
        except ValueError as error:
            issues.append(Issue(f"{name}:{line}:value", f"{key}: {error}"))
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


def read_tables(
    sources: Mapping[str, Callable[[], Rows]], where: SourceMap, missing: str, issues: list[Issue] | None = None
) -> dict[str, Any]:
    """The problem dict from one row source per section (`problem` for the settings), named by `where.label`.

    A source raises ValueError when it cannot be read at all (its encoding); `missing` says where a
    required table was looked for. Raises InputError listing every fault found.
    """
    issues = issues if issues is not None else []
    data: dict[str, Any] = {"version": 1}
    for section in (SETTINGS_SECTION, *TABLE_BY_SECTION):
        name = where.label(section)
        if section not in sources:
            table = TABLE_BY_SECTION.get(section)
            if table is not None and table.required_file:
                issues.append(Issue(name, f"required {missing}"))
            continue
        try:
            rows = list(sources[section]())
        except ValueError as error:  # the encoding
            issues.append(Issue(name, str(error)))
            continue
        except (csv.Error, OSError) as error:
            issues.append(Issue(name, f"cannot read: {error}"))
            continue
        if section == SETTINGS_SECTION:
            data.update(_read_settings(rows, name, issues, where))
        else:
            records, lines = _read_table(rows, name, TABLE_BY_SECTION[section], issues)
            data[section] = records
            where.lines[section] = lines
    if issues:
        raise InputError(issues)
    return data


def read_csv_files(files: Mapping[str, Callable[[], bytes]], container: str) -> tuple[dict[str, Any], SourceMap]:
    """The problem in CSV files given by name (e.g. read from a folder or a zip); `container` names where."""
    message = f"unknown file in {container}; expected: {', '.join(FILE_NAMES)}"
    unknown = [Issue(name, message) for name in files if name not in FILE_NAMES]

    def rows(name: str) -> Callable[[], Rows]:
        return lambda: csv_rows(decode_text(files[name]()))

    sources = {name.removesuffix(".csv"): rows(name) for name in files if name in FILE_NAMES}
    where = SourceMap()
    return read_tables(sources, where, f"file is missing in {container}", unknown), where


def read_csv_folder(folder: str | Path) -> tuple[dict[str, Any], SourceMap]:
    """The problem dict a CSV folder holds, and where each entry came from.

    Raises InputError naming file:row:column for every cell that cannot be read; the dict
    itself is validated by the caller (`solver.parse_problem`, translated with the SourceMap).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(Issue(str(folder), "no such folder"))
    files = {path.name: path.read_bytes for path in sorted(folder.glob("*.csv"))}
    return read_csv_files(files, str(folder))


ZIP_SUFFIX = ".zip"
MAX_UNZIPPED_BYTES = 512 * 1024 * 1024  # a zip bomb is refused before it is unpacked


def read_csv_zip(data: bytes, name: str = "problem.zip") -> tuple[dict[str, Any], SourceMap]:
    """A CSV folder sent as a zip: the files at its top or in one folder (as a zipped folder has them)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        raise InputError(Issue(name, f"cannot read it as a zip file: {error}")) from None
    with archive:
        members = [  # a Mac's zip adds __MACOSX/ and dot files beside the CSVs
            info
            for info in archive.infolist()
            if not (info.is_dir() or info.filename.startswith("__MACOSX/") or Path(info.filename).name.startswith("."))
        ]
        folders = {str(Path(info.filename).parent) for info in members}
        if len(folders) > 1:
            raise InputError(Issue(name, f"the CSV files must be in one folder; found {', '.join(sorted(folders))}"))
        if sum(info.file_size for info in members) > MAX_UNZIPPED_BYTES:
            raise InputError(Issue(name, f"unpacked it would be larger than {MAX_UNZIPPED_BYTES} bytes"))
        contents = {Path(info.filename).name: archive.read(info) for info in members}
    return read_csv_files({file: partial(bytes, blob) for file, blob in contents.items()}, name)


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
    """RFC 4180 text (no BOM: `files.write_csv` adds it when the text goes to a file)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # RFC 4180; it also makes a cell holding a lone CR quoted
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def table_rows(table: Table, records: list[Mapping[str, Any]]) -> list[list[str]]:
    """The cells of each record, in the table's column order; ValueError naming the record for a bad value."""
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
    return rows


def settings_rows(problem: Mapping[str, Any]) -> list[list[str]]:
    rows = []
    for key, kind in SETTINGS.items():
        if key.startswith("weights."):
            weights = problem.get("weights") or {}
            name = key.removeprefix("weights.")
            if name in weights:
                rows.append([key, format_cell(kind, weights[name])])
        elif key in problem:
            rows.append([key, format_cell(kind, problem[key])])
    return rows


SETTINGS_HEADER = ("key", "value")


def csv_folder_texts(problem: Mapping[str, Any]) -> dict[str, str]:
    """File name -> CSV text for every file of the folder (all of them, so no stale file survives)."""
    texts = {SETTINGS_FILE: csv_text(SETTINGS_HEADER, settings_rows(problem))}
    for table in TABLES:
        rows = table_rows(table, list(problem.get(table.section) or []))
        texts[table.file_name] = csv_text([c.name for c in table.columns], rows)
    return texts


def write_csv_folder(problem: Mapping[str, Any], folder: str | Path) -> list[Path]:
    """Write a (validated) problem dict as a CSV folder, each file atomically; returns the paths."""
    folder = Path(folder)
    texts = csv_folder_texts(problem)  # format everything first: a value that cannot be written leaves no file
    paths = []
    for file_name, text in texts.items():
        write_csv(folder / file_name, text)
        paths.append(folder / file_name)
    return paths
