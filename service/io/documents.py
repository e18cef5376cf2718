"""Problem files in every form the CLI accepts: JSON, YAML, a CSV folder (or its zip) or an Excel
workbook, read and written alike.

Reading validates completely; errors from a CSV folder name file:row:column, also those
found later (a lock that cannot hold is only found while solving: `translate` maps it).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from enmusubi.service.io.csv_folder import (
    ZIP_SUFFIX,
    SourceMap,
    is_csv_folder,
    read_csv_folder,
    read_csv_zip,
    write_csv_folder,
)
from enmusubi.service.io.files import write_atomic
from enmusubi.service.io.workbook import WORKBOOK_SUFFIX, read_workbook, read_workbook_bytes, write_problem_workbook
from enmusubi.solver import InputError, Issue, Problem, parse_problem
from enmusubi.solver.problem import read_document

YAML_SUFFIXES = (".yaml", ".yml")
DOCUMENT_SUFFIXES = (".json", *YAML_SUFFIXES)
FILE_SUFFIXES = (*DOCUMENT_SUFFIXES, WORKBOOK_SUFFIX)  # written as one file; any other name is a CSV folder


@dataclass(frozen=True)
class LoadedProblem:
    """A validated problem, the plain dict it was read as, and where its entries came from (CSV only)."""

    problem: Problem
    document: dict[str, Any]
    source: Path
    where: SourceMap | None = None

    @contextmanager
    def translate(self) -> Iterator[None]:
        """Re-raise InputErrors with CSV places (file:row:column) instead of problem paths."""
        try:
            yield
        except InputError as error:
            if self.where is None:
                raise
            raise self.where.translate_error(error) from None


def load_problem_source(path: str | Path) -> LoadedProblem:
    """Read and validate a problem file (JSON, YAML, .xlsx, a zipped CSV folder) or CSV folder; raises InputError."""
    path = Path(path)
    suffix = path.suffix.lower()
    tables = None
    if is_csv_folder(path):
        tables = read_csv_folder(path)
    elif suffix in (WORKBOOK_SUFFIX, ZIP_SUFFIX) and path.is_file():
        tables = read_workbook(path) if suffix == WORKBOOK_SUFFIX else read_csv_zip(path.read_bytes(), path.name)
    if tables is not None:
        document, where = tables
        try:
            return LoadedProblem(parse_problem(document), document, path, where)
        except InputError as error:
            raise where.translate_error(error) from None
    document = read_document(path)
    problem = parse_problem(document)  # raises for anything but a valid object
    return LoadedProblem(problem, dict(document), path)


FILE_KINDS = ("yaml", "zip", "xlsx")


def problem_document_from_bytes(data: bytes, kind: str, name: str) -> tuple[Any, SourceMap | None]:
    """A problem sent as a file (an upload): YAML text, a zipped CSV folder or an .xlsx workbook.

    Returns the plain document (not yet validated) and, for tables, where each entry came from."""
    if kind == "zip":
        return read_csv_zip(data, name)
    if kind == "xlsx":
        return read_workbook_bytes(data, name)
    try:
        return yaml.load(data.decode("utf-8-sig"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)), None
    except UnicodeDecodeError:
        raise InputError(Issue(name, "the YAML is not UTF-8 text")) from None
    except yaml.YAMLError as error:
        raise InputError(Issue(name, f"invalid YAML: {error}")) from None


def problem_json_text(problem: Mapping[str, Any]) -> str:
    """JSON with one entry of each list per line: small, and diffs show entries changed."""
    parts = []
    for key, value in problem.items():
        if isinstance(value, list) and value:
            items = ",\n".join("    " + json.dumps(item, ensure_ascii=False) for item in value)
            text = "[\n" + items + "\n  ]"
        else:
            text = json.dumps(value, ensure_ascii=False)
        parts.append(f"  {json.dumps(key)}: {text}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def is_document_path(path: Path) -> bool:
    """Written as one file (JSON, YAML, .xlsx), not as a CSV folder."""
    return path.suffix.lower() in FILE_SUFFIXES


def check_destination(destination: Path, source: Path | None = None) -> None:
    """Refuse to overwrite the source, or to put a folder where a file is (and the reverse)."""
    if source is not None and destination.exists() and destination.resolve() == source.resolve():
        raise InputError(Issue(str(destination), "this is the source; write into a new file or folder"))
    if is_document_path(destination) and destination.is_dir():
        raise InputError(Issue(str(destination), "is a folder, but its name asks for a problem file"))
    if not is_document_path(destination) and destination.exists() and not destination.is_dir():
        raise InputError(
            Issue(str(destination), "is a file, not a folder (a problem file ends in .json, .yaml or .xlsx)")
        )


def write_problem(problem: Mapping[str, Any], path: str | Path) -> list[Path]:
    """Write a validated problem dict as JSON, YAML or .xlsx (by suffix) or else as a CSV folder; returns the files."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".json":
        write_atomic(path, problem_json_text(problem))
        return [path]
    if suffix in YAML_SUFFIXES:
        dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # the C dumper when libyaml is there: much faster
        write_atomic(path, yaml.dump(dict(problem), Dumper=dumper, allow_unicode=True, sort_keys=False))
        return [path]
    if suffix == WORKBOOK_SUFFIX:
        return write_problem_workbook(problem, path)
    return write_csv_folder(problem, path)
