"""report.html: the run's pictures in one self-contained page (inline SVG and CSS, nothing fetched).

Beside report.md for batch runs and scenarios: the map, openings filled and budget used per
municipality, the spread of scores (and for a scenario, each variant against the base). Texts come
from the message catalogue in the language asked for; the pictures are drawn by pictures.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from enmusubi.service.i18n import catalogue, detail_text, reason_text
from enmusubi.service.io.reports import municipality_title, percent, summary_rows, yen
from enmusubi.solver.problem import Problem
from enmusubi.solver.result import Result

if TYPE_CHECKING:
    from jinja2 import Environment

HTML_REPORT_FILE = "report.html"


@cache
def environment() -> Environment:
    from jinja2 import Environment, PackageLoader, select_autoescape  # only when a page is made: CLI start-up

    env = Environment(loader=PackageLoader("enmusubi.service.io", "templates"), autoescape=select_autoescape())
    env.filters["yen"] = yen
    return env


def coordinates(problem: Problem) -> dict[str, tuple[float, float]]:
    return {m.id: (float(m.lat), float(m.lon)) for m in problem.municipalities}


def run_pictures(result: Result, problem: Problem | None, lang: str) -> dict[str, Markup]:
    """The SVGs of one run: map (when the problem's coordinates are known), fill, budget, scores."""
    from enmusubi.service.io import pictures  # matplotlib: ~1 s to import, paid only when a picture is drawn

    points = pictures.places(result, coordinates(problem) if problem is not None else None)
    drawn = {
        "fill": pictures.fill_svg(points, lang),
        "budget": pictures.budget_svg(points, lang),
        "scores": pictures.scores_svg(result, lang),
    }
    if problem is not None and points:
        drawn["map"] = pictures.map_svg(points, lang)
    return {name: Markup(svg) for name, svg in drawn.items()}  # matplotlib's own SVG: trusted markup


def run_context(result: Result, source: str, lang: str) -> dict[str, Any]:
    names = {m.id: m.name for m in result.municipalities}
    return {
        "summary": summary_rows(result, source, lang),
        "municipalities": [
            {
                "title": municipality_title(m),
                "openings": m.openings,
                "filled": m.filled,
                "budget": yen(m.budget_yen, lang),
                "spent": yen(m.spent_yen, lang),
                "used": percent(m.spent_yen, m.budget_yen),
            }
            for m in result.municipalities
            if m.openings
        ],
        "unfilled": [
            {
                "position": f"{u.position} {u.title}",
                "municipality": names.get(u.municipality, u.municipality),
                "filled": f"{u.filled}/{u.openings}",
                "reason": reason_text(lang, u.reason),
                "detail": detail_text(lang, u.detail),
            }
            for u in result.unfilled
        ],
    }


def html_report(result: Result, source: str, problem: Problem | None = None, lang: str = "en") -> str:
    """The whole report.html of a batch run."""
    template = environment().get_template("report.html")
    return template.render(
        lang=lang,
        m=catalogue(lang),
        pictures=run_pictures(result, problem, lang),
        **run_context(result, source, lang),
    )


def scenario_html_report(
    name: str,
    base: Result,
    base_problem: Problem | None,
    variants: Sequence[dict[str, Any]],
    lang: str = "en",
) -> str:
    """report.html of a scenario: the base's pictures, then every variant against the base.

    Each variant is a dict with name, slug, changes (in words), objective, filled and spend changes."""
    from enmusubi.service.io import pictures

    template = environment().get_template("scenario.html")
    chart = pictures.variants_svg(
        [v["name"] for v in variants],
        [v["objective_change"] for v in variants],
        [v["filled_change"] for v in variants],
        [v["spend_change"] for v in variants],
        lang,
    )
    return template.render(
        lang=lang,
        m=catalogue(lang),
        name=name,
        variants=variants,
        variants_chart=Markup(chart),  # matplotlib's own SVG: trusted markup
        pictures=run_pictures(base, base_problem, lang),
        **run_context(base, "base", lang),
    )
