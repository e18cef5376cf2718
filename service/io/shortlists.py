"""The output of a shortlist run: shortlists.json, and shortlists.csv for spreadsheets (one row per candidate)."""

from __future__ import annotations

from pathlib import Path

from enmusubi.service.io.csv_folder import csv_text
from enmusubi.service.io.files import write_atomic
from enmusubi.service.io.outputs import number
from enmusubi.solver.problem import Problem
from enmusubi.solver.shortlist import Shortlists

SHORTLISTS_JSON = "shortlists.json"
SHORTLISTS_CSV = "shortlists.csv"
BOM = "\ufeff"  # so that spreadsheet programs read the Japanese names as UTF-8

SHORTLIST_COLUMNS = (
    "position",
    "position_title",
    "municipality",
    "rank",
    "partner",
    "partner_name",
    "score",
    "reason",
)


def shortlists_csv(found: Shortlists, problem: Problem) -> str:
    """One row per candidate, best first within a position; a position without one gets a row with its reason."""
    titles = {j.id: (j.title, j.municipality) for j in problem.positions}
    names = {p.id: p.name for p in problem.partners}
    rows = []
    for entry in found.shortlists:
        title, municipality = titles[entry.position]
        if not entry.candidates:
            rows.append([entry.position, title, municipality, "", "", "", "", entry.reason or ""])
        for rank, c in enumerate(entry.candidates, start=1):
            partner = [str(rank), c.partner, names[c.partner], number(c.score)]
            rows.append([entry.position, title, municipality, *partner, ""])
    text = csv_text(SHORTLIST_COLUMNS, rows)
    return text if text.startswith(BOM) else BOM + text


def write_shortlists(out: Path, found: Shortlists, problem: Problem) -> list[Path]:
    """`out` ending in .json: the shortlists only; any other path: a folder with shortlists.json and .csv."""
    if out.suffix.lower() == ".json":
        write_atomic(out, found.to_json())
        return [out]
    write_atomic(out / SHORTLISTS_JSON, found.to_json())
    write_atomic(out / SHORTLISTS_CSV, shortlists_csv(found, problem))
    return [out / SHORTLISTS_JSON, out / SHORTLISTS_CSV]
