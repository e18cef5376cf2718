"""The pictures of a run, drawn with matplotlib to SVG text for inlining (report.html, the console).

No pyplot (no global state, safe on worker threads) and text kept as SVG text (`svg.fonttype`
none), so Japanese names are set by the reader's fonts through a font stack and the files stay
small. The map is an equirectangular projection of the municipalities' offices, scaled by the
cosine of the mid latitude (true shapes at Tokyo's size); municipalities far from the rest (Tokyo's
Izu and Ogasawara islands, ~1,000 km south) go into an inset so the mainland keeps its detail.
Every municipality's circle is an SVG group with the id `muni-<id>`, which the console makes clickable.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from matplotlib import colormaps, rc_context
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Colormap, Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Circle
from matplotlib.ticker import PercentFormatter

from enmusubi.service.i18n import t
from enmusubi.solver.result import Result

FONT_STACK = [
    "Noto Sans CJK JP",
    "Hiragino Sans",
    "Yu Gothic",
    "Meiryo",
    "IPAexGothic",
    "DejaVu Sans",
    "sans-serif",
]
INSET_KM = 80.0  # a municipality this far from the median office goes into the inset (Tokyo: Izu Oshima is ~110 km)
LABELS = 14  # the map names this many municipalities, those with the most openings (the rest: a tooltip)
EARTH_KM_PER_DEGREE = 111.2
FILL_CMAP = "RdYlGn"
BUDGET_CMAP = "PuBu"
IDLE_COLOUR = "#c8c8c8"
NO_LIMIT_COLOUR = "#7a7a7a"
_STYLE: dict[Any, Any] = {
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.sans-serif": FONT_STACK,
    "font.size": 9,
}


@dataclass(frozen=True)
class Place:
    """A municipality on the map."""

    id: str
    name: str
    lat: float
    lon: float
    openings: int
    filled: int
    budget_yen: int | None
    spent_yen: float

    @property
    def fill_share(self) -> float:
        return self.filled / self.openings if self.openings else 0.0

    @property
    def budget_share(self) -> float | None:
        return None if self.budget_yen is None else (self.spent_yen / self.budget_yen if self.budget_yen else 1.0)


def short_name(name: str) -> str:
    """`港区 (Minato)` -> `港区`: the map has room for one name."""
    return re.sub(r"\s*\(.*\)$", "", name) or name


def places(result: Result, coordinates: dict[str, tuple[float, float]] | None = None) -> list[Place]:
    """The municipalities of a result at their coordinates (id -> (lat, lon) from the problem; the charts
    other than the map need none)."""
    where = coordinates or {}
    return [
        Place(m.id, m.name, *where.get(m.id, (0.0, 0.0)), m.openings, m.filled, m.budget_yen, m.spent_yen)
        for m in result.municipalities
    ]


def svg_text(figure: Figure) -> str:
    """The figure as an <svg> element (no XML prolog, no fixed size: it scales to its container)."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    return re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', r'<svg\1 role="img"', text, count=1)


def _median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def _split(points: Sequence[Place]) -> tuple[list[Place], list[Place]]:
    """(mainland, far away): the far ones are more than INSET_KM from the median office."""
    lat0, lon0 = _median([p.lat for p in points]), _median([p.lon for p in points])
    scale = math.cos(math.radians(lat0))

    def km(p: Place) -> float:
        return EARTH_KM_PER_DEGREE * math.hypot(p.lat - lat0, (p.lon - lon0) * scale)

    near = [p for p in points if km(p) <= INSET_KM]
    return near, [p for p in points if km(p) > INSET_KM]


def _draw_places(
    ax: Axes, points: Sequence[Place], fill_cmap: Colormap, budget_cmap: Colormap, labelled: set[str], scale: float
) -> None:
    lat_mid = sum(p.lat for p in points) / len(points)
    ax.set_aspect(1 / math.cos(math.radians(lat_mid)))
    lats, lons = [p.lat for p in points], [p.lon for p in points]
    span = max(max(lats) - min(lats), (max(lons) - min(lons)) * math.cos(math.radians(lat_mid)), 0.05)
    unit = span / scale  # radius of a one-opening circle, in degrees of latitude
    for p in sorted(points, key=lambda p: -p.openings):  # big circles first, small ones on top
        radius = unit * (0.6 if not p.openings else 1.0 + math.sqrt(p.openings) * 0.55)
        share = p.budget_share
        face = IDLE_COLOUR if not p.openings else fill_cmap(p.fill_share)
        edge = NO_LIMIT_COLOUR if share is None else budget_cmap(0.25 + 0.75 * min(share, 1.0))
        width = 0.6 if not p.openings else 2.2
        circle = Circle((p.lon, p.lat), radius, facecolor=face, edgecolor=edge, linewidth=width, alpha=0.95)
        circle.set_gid(f"muni-{p.id}")
        ax.add_patch(circle)
        if p.id in labelled:
            ax.annotate(short_name(p.name), (p.lon, p.lat - radius), ha="center", va="top", fontsize=6.5, color="#222")
    pad = unit * 4
    ax.set_xlim(min(lons) - pad * 1.3, max(lons) + pad * 1.3)
    ax.set_ylim(min(lats) - pad, max(lats) + pad)
    ax.set_xticks([])
    ax.set_yticks([])


def map_svg(points: Sequence[Place], lang: str) -> str:
    """The map: circles sized by openings, filled by the share filled, ringed by the share of budget used."""
    with rc_context(_STYLE):
        figure = Figure(figsize=(8.0, 5.6), layout="constrained")
        fill_cmap, budget_cmap = colormaps[FILL_CMAP], colormaps[BUDGET_CMAP]
        mainland, far = _split(points) if points else ([], [])
        ax = figure.add_subplot()
        ax.set_facecolor("#f4f7fb")
        busiest = sorted((p for p in mainland if p.openings), key=lambda p: (-p.openings, p.id))[:LABELS]
        labelled = {p.id for p in busiest}
        if mainland:
            _draw_places(ax, mainland, fill_cmap, budget_cmap, labelled, 120)
        if far:
            inset = ax.inset_axes((0.0, 0.0, 0.13, 0.45))
            inset.set_facecolor("#eaf1f8")
            _draw_places(inset, far, fill_cmap, budget_cmap, set(), 35)
            inset.set_title(t(lang, "html.islands"), fontsize=7, pad=2)
        for cmap, key in ((fill_cmap, "html.filled_share"), (budget_cmap, "html.budget_share")):
            bar = figure.colorbar(
                ScalarMappable(Normalize(0, 1), cmap), ax=ax, location="bottom", shrink=0.45, aspect=35, pad=0.01
            )
            bar.set_label(t(lang, key), fontsize=8)
            bar.ax.xaxis.set_major_formatter(PercentFormatter(xmax=1.0))
            bar.ax.tick_params(labelsize=7)
        return with_tooltips(svg_text(figure), points)


def with_tooltips(svg: str, points: Sequence[Place]) -> str:
    """A <title> in each municipality's group: its name, openings filled and budget used, shown on hover."""
    for p in points:
        share = p.budget_share
        budget = "" if share is None else f", ¥{p.spent_yen:,.0f} / ¥{p.budget_yen:,.0f} ({share:.0%})"
        title = f"<title>{escape(p.name)} ({p.id}): {p.filled}/{p.openings}{budget}</title>"
        svg = svg.replace(
            f'<g id="muni-{p.id}">', f'<g id="muni-{p.id}" class="muni" data-id="{escape(p.id)}">{title}', 1
        )
    return svg


def fill_svg(points: Sequence[Place], lang: str) -> str:
    """Openings filled and left open, one bar per recruiting municipality."""
    recruiting = sorted((p for p in points if p.openings), key=lambda p: (-p.openings, p.id))
    with rc_context(_STYLE):
        figure = Figure(figsize=(7.0, 0.8 + 0.24 * max(len(recruiting), 1)), layout="constrained")
        ax = figure.add_subplot()
        names = [short_name(p.name) for p in recruiting][::-1]
        filled = [p.filled for p in recruiting][::-1]
        open_ = [p.openings - p.filled for p in recruiting][::-1]
        ax.barh(names, filled, color="#2f7d4f", label=t(lang, "html.filled_label"))
        ax.barh(names, open_, left=filled, color="#e0a33a", label=t(lang, "html.open_label"))
        ax.set_xlabel(t(lang, "report.openings"))
        ax.legend(loc="lower right", frameon=False)
        ax.spines[["top", "right"]].set_visible(False)
        return svg_text(figure)


def budget_svg(points: Sequence[Place], lang: str) -> str:
    """The share of its budget each recruiting municipality with a budget spent."""
    limited = sorted((p for p in points if p.openings and p.budget_yen is not None), key=lambda p: p.id)
    with rc_context(_STYLE):
        figure = Figure(figsize=(7.0, 0.8 + 0.24 * max(len(limited), 1)), layout="constrained")
        ax = figure.add_subplot()
        names = [short_name(p.name) for p in limited][::-1]
        shares = [p.budget_share or 0.0 for p in limited][::-1]
        colours = [colormaps[BUDGET_CMAP](0.25 + 0.75 * min(s, 1.0)) for s in shares]
        ax.barh(names, shares, color=colours)
        for y, p in enumerate(limited[::-1]):
            label = f"¥{p.spent_yen:,.0f} / ¥{p.budget_yen:,.0f}"
            ax.text(min(p.budget_share or 0.0, 1.0) + 0.01, y, label, va="center", fontsize=6.5)
        ax.set_xlim(0, 1.35)
        ax.xaxis.set_major_formatter(PercentFormatter(xmax=1.0))
        ax.set_xlabel(t(lang, "html.budget_share"))
        ax.spines[["top", "right"]].set_visible(False)
        return svg_text(figure)


def scores_svg(result: Result, lang: str) -> str:
    """How the placements' scores are spread."""
    scores = [a.score for a in result.assignments]
    with rc_context(_STYLE):
        figure = Figure(figsize=(7.0, 2.6), layout="constrained")
        ax = figure.add_subplot()
        ax.hist(scores or [0.0], bins=min(30, max(len(scores) // 4, 5)), color="#3b6ea8", edgecolor="white")
        ax.set_xlabel(t(lang, "report.score"))
        ax.set_ylabel(t(lang, "html.placements_axis"))
        ax.spines[["top", "right"]].set_visible(False)
        return svg_text(figure)


def variants_svg(
    names: Sequence[str], objective: Sequence[float], filled: Sequence[float], spend: Sequence[float], lang: str
) -> str:
    """Each variant's change against the base: objective, openings filled, spend."""
    with rc_context(_STYLE):
        figure = Figure(figsize=(8.0, 0.9 + 0.32 * max(len(names), 1)), layout="constrained")
        axes = figure.subplots(1, 3, sharey=True)
        labels = list(names)[::-1]
        for ax, values, key in zip(
            axes,
            (objective, filled, spend),
            ("html.delta_objective", "html.delta_filled", "html.delta_spend"),
            strict=True,
        ):
            data = list(values)[::-1]
            ax.barh(labels, data, color=["#2f7d4f" if v >= 0 else "#b5473a" for v in data])
            ax.axvline(0, color="#555", linewidth=0.8)
            ax.set_title(t(lang, key), fontsize=8)
            ax.spines[["top", "right"]].set_visible(False)
        return svg_text(figure)
