"""What a variant changes against the base: objective, served municipalities, filled openings, spend, pairs, positions.

Works from the two results alone (PROBLEM.md §7), so any two results of related problems
can be compared, whether they come from a scenario run or from stored runs.
"""

from __future__ import annotations

from collections import Counter

from pydantic import BaseModel, ConfigDict, Field, computed_field

from enmusubi.solver.result import Assignment, Result, Status

SPEND_TOLERANCE_YEN = 0.5
OBJECTIVE_TOLERANCE = 1e-9
TIE_TOLERANCE = 1e-9


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class NumberChange(_Frozen):
    base: float
    variant: float
    change: float


class CountChange(_Frozen):
    base: int
    variant: int
    change: int


class MunicipalitySpend(_Frozen):
    """Spend of one municipality in base and variant; `None` where it does not exist on that side."""

    id: str
    name: str
    budget_base: int | None
    budget_variant: int | None
    base: float | None = Field(description="yen spent in the base")
    variant: float | None = Field(description="yen spent in the variant")
    change: float
    filled_base: int | None
    filled_variant: int | None


class PairChange(_Frozen):
    partner: str
    partner_name: str
    position: str
    position_title: str
    municipality: str
    municipality_name: str
    score: float = Field(description="the pair's score where it is chosen (variant for added, base for removed)")
    tie: bool = Field(
        default=False,
        description="an added and a removed pair of the same position with the same score: an equally good alternative",
    )


class PositionChange(_Frozen):
    position: str
    title: str
    municipality: str
    municipality_name: str
    openings: int = Field(description="openings in the variant")
    filled_base: int | None = Field(description="None: the position is new in the variant")
    filled_variant: int


class VariantDiff(_Frozen):
    """A variant against the base. `spend` lists only municipalities whose spend, budget or fill changed."""

    status: Status
    optimal: bool = Field(description="the variant's result is proven optimal")
    base_optimal: bool
    objective: NumberChange
    served_municipalities: CountChange | None = Field(
        default=None, description="municipalities with a placement (PROBLEM.md §9); None for results without it"
    )
    score_total: NumberChange | None = Field(default=None, description="the pair scores alone, without equity")
    filled_openings: CountChange
    total_spend: NumberChange
    spend: list[MunicipalitySpend]
    pairs_added: list[PairChange]
    pairs_removed: list[PairChange]
    became_filled: list[PositionChange] = Field(description="all openings filled now, not in the base (or new)")
    became_unfilled: list[PositionChange] = Field(description="all openings filled in the base, not any more")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def unchanged(self) -> bool:
        """Same allocation and the same objective: the variant changes nothing that matters here."""
        return (
            not (self.pairs_added or self.pairs_removed or self.became_filled or self.became_unfilled or self.spend)
            and abs(self.objective.change) <= OBJECTIVE_TOLERANCE
        )


def _pair(a: Assignment, tie: bool) -> PairChange:
    return PairChange(
        partner=a.partner,
        partner_name=a.partner_name,
        position=a.position,
        position_title=a.position_title,
        municipality=a.municipality,
        municipality_name=a.municipality_name,
        score=a.score,
        tie=tie,
    )


def _scores_by_position(assignments: list[Assignment]) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    for a in assignments:
        out.setdefault(a.position, []).append(a.score)
    return out


def _has_equal(scores: list[float] | None, score: float) -> bool:
    return scores is not None and any(abs(s - score) <= TIE_TOLERANCE for s in scores)


def _fill_state(result: Result) -> dict[str, tuple[str, str, int, int]]:
    """position -> (title, municipality, openings, filled) for every position of the result's problem."""
    count = Counter(a.position for a in result.assignments)
    state = {}
    for a in result.assignments:
        state[a.position] = (a.position_title, a.municipality, count[a.position], count[a.position])
    for u in result.unfilled:
        state[u.position] = (u.title, u.municipality, u.openings, u.filled)
    return state


def _spend(base: Result, variant: Result) -> list[MunicipalitySpend]:
    before = {m.id: m for m in base.municipalities}
    after = {m.id: m for m in variant.municipalities}
    out = []
    for mid in [*before, *(m for m in after if m not in before)]:
        b, v = before.get(mid), after.get(mid)
        spent_b = None if b is None else b.spent_yen
        spent_v = None if v is None else v.spent_yen
        change = (spent_v or 0.0) - (spent_b or 0.0)
        same = (
            b is not None
            and v is not None
            and abs(change) <= SPEND_TOLERANCE_YEN
            and b.budget_yen == v.budget_yen
            and b.filled == v.filled
        )
        if same:
            continue
        out.append(
            MunicipalitySpend(
                id=mid,
                name=v.name if v is not None else b.name if b is not None else mid,
                budget_base=None if b is None else b.budget_yen,
                budget_variant=None if v is None else v.budget_yen,
                base=spent_b,
                variant=spent_v,
                change=change,
                filled_base=None if b is None else b.filled,
                filled_variant=None if v is None else v.filled,
            )
        )
    return out


def _number_change(base: float, variant: float) -> NumberChange:
    return NumberChange(base=base, variant=variant, change=variant - base)


def _served_change(base: Result, variant: Result) -> CountChange | None:
    if base.served_municipalities is None or variant.served_municipalities is None:
        return None
    before, after = base.served_municipalities, variant.served_municipalities
    return CountChange(base=before, variant=after, change=after - before)


def compare_results(base: Result, variant: Result) -> VariantDiff:
    """The difference of `variant` from `base`, pair by pair and municipality by municipality."""
    base_pairs = {(a.partner, a.position): a for a in base.assignments}
    variant_pairs = {(a.partner, a.position): a for a in variant.assignments}
    added_raw = [a for key, a in variant_pairs.items() if key not in base_pairs]
    removed_raw = [a for key, a in base_pairs.items() if key not in variant_pairs]
    added_scores, removed_scores = _scores_by_position(added_raw), _scores_by_position(removed_raw)
    added = [_pair(a, _has_equal(removed_scores.get(a.position), a.score)) for a in added_raw]
    removed = [_pair(a, _has_equal(added_scores.get(a.position), a.score)) for a in removed_raw]
    before, after = _fill_state(base), _fill_state(variant)
    muni_names = {m.id: m.name for m in [*base.municipalities, *variant.municipalities]}
    became_filled, became_unfilled = [], []
    for position, (title, muni, openings, filled) in after.items():
        was = before.get(position)
        was_full = was is not None and was[3] >= was[2]
        change = PositionChange(
            position=position,
            title=title,
            municipality=muni,
            municipality_name=muni_names.get(muni, muni),
            openings=openings,
            filled_base=None if was is None else was[3],
            filled_variant=filled,
        )
        if filled >= openings and not was_full:
            became_filled.append(change)
        elif filled < openings and was_full:
            became_unfilled.append(change)
    filled_b = sum(m.filled for m in base.municipalities)
    filled_v = sum(m.filled for m in variant.municipalities)
    spend_b = sum(m.spent_yen for m in base.municipalities)
    spend_v = sum(m.spent_yen for m in variant.municipalities)
    return VariantDiff(
        status=variant.status,
        optimal=variant.status == "optimal",
        base_optimal=base.status == "optimal",
        objective=_number_change(base.objective, variant.objective),
        served_municipalities=_served_change(base, variant),
        score_total=None
        if base.score_total is None or variant.score_total is None
        else _number_change(base.score_total, variant.score_total),
        filled_openings=CountChange(base=filled_b, variant=filled_v, change=filled_v - filled_b),
        total_spend=_number_change(spend_b, spend_v),
        spend=_spend(base, variant),
        pairs_added=sorted(added, key=lambda p: (p.position, p.partner)),
        pairs_removed=sorted(removed, key=lambda p: (p.position, p.partner)),
        became_filled=sorted(became_filled, key=lambda p: p.position),
        became_unfilled=sorted(became_unfilled, key=lambda p: p.position),
    )
