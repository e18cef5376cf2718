"""Markdown tables, the one format of every report.md (batch runs, scenarios) and of docs/benchmarks.md."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def cell(value: object) -> str:
    """A value as one table cell: pipes escaped, lines joined."""
    return str(value).replace("|", "\\|").replace("\n", " ")


def table(header: Sequence[str], rows: Iterable[Sequence[object]], align: str = "") -> list[str]:
    """A markdown table as lines; `align` has one letter per column, l or r (default l)."""
    marks = [("---:" if (align[k : k + 1] == "r") else "---") for k in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(marks) + " |"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return lines
