"""A variant's changes in words, for people: `中野区 (Nakano) budget ×1.3 → ¥780,000`.

The changes are applied one by one to a copy of the base (as the variant was built), so every
"→" shows the value the variant really solved with; texts come from the message catalogue.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from enmusubi.scenarios.changes import (
    ENTITIES,
    EVERY,
    AddChange,
    ForbidChange,
    IncumbentsChange,
    LockChange,
    RemoveChange,
    SetChange,
    WeightsChange,
    apply_change,
    is_arithmetic,
    parse_change,
)
from enmusubi.service.i18n import t
from enmusubi.solver.problem import PairRef

FIELD_KEYS = {
    "budget_yen",
    "hours_per_week",
    "onsite_days_per_week",
    "openings",
    "max_hourly_rate_yen",
    "priority",
    "hourly_rate_yen",
    "max_commute_minutes",
    "max_assignments",
    "max_onsite_days_per_week",
}
MAX_NAMES = 6  # longer lists of ids are cut with "…"


def _value(field: str, value: Any, lang: str) -> str:
    if value is None:
        return t(lang, "no_limit")
    if field.endswith("_yen") and isinstance(value, int | float):
        return f"¥{value:,.0f}"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _field(field: str, lang: str) -> str:
    return t(lang, f"field.{field}") if field in FIELD_KEYS else field


def _how(value: Any) -> str:
    """`*1.3` -> ×1.3, `+4` -> +4, `-4` -> −4."""
    text = str(value).strip()
    return {"*": "×", "+": "+", "-": "−"}[text[0]] + text[1:].strip()


def _entity_name(problem: dict[str, Any], kind: str, ident: str, lang: str) -> str:
    if ident == EVERY:
        return t(lang, f"every.{kind}")
    list_key, _ = ENTITIES[kind]
    for entity in problem[list_key]:
        if entity["id"] == ident:
            label = entity.get("name") or entity.get("title") or ""
            return f"{label} ({ident})" if kind == "position" else (label or ident)
    return ident


def _names(ids: Sequence[str]) -> str:
    shown = ", ".join(ids[:MAX_NAMES])
    return shown + (", …" if len(ids) > MAX_NAMES else "")


def _pairs(pairs: Sequence[PairRef]) -> str:
    return _names([f"{p.partner}→{p.position}" for p in pairs])


def describe(before: dict[str, Any], after: dict[str, Any], raw: dict[str, Any], lang: str) -> list[str]:
    """The words for one change, given the problem before and after it."""
    change = parse_change(raw)
    if isinstance(change, SetChange):
        list_key, _ = ENTITIES[change.kind]
        target = _entity_name(before, change.kind, change.target, lang)
        new = {e["id"]: e for e in after[list_key]}
        lines = []
        for field, value in change.set.items():
            name = _field(field, lang)
            if change.target == EVERY and is_arithmetic(value):  # each entity its own result: say the operation
                lines.append(t(lang, "change.set_to", target=target, field=name, value=_how(value)))
                continue
            shown = _value(field, value if change.target == EVERY else new[change.target].get(field), lang)
            if is_arithmetic(value):
                lines.append(t(lang, "change.set", target=target, field=name, how=_how(value), value=shown))
            else:
                lines.append(t(lang, "change.set_to", target=target, field=name, value=shown))
        return lines
    if isinstance(change, AddChange | RemoveChange):
        key = "change.add" if isinstance(change, AddChange) else "change.remove"
        source = change.add if isinstance(change, AddChange) else change.remove
        lines = []
        for list_key in ("municipalities", "positions", "partners"):
            items = getattr(source, list_key)
            if items:
                ids = [item["id"] if isinstance(item, dict) else item for item in items]
                kind = t(lang, f"kind.{list_key}")
                lines.append(t(lang, key, count=len(ids), kind=kind, names=_names([str(i) for i in ids])))
        return lines
    if isinstance(change, WeightsChange):
        values = ", ".join(f"{name} {_how(v) if is_arithmetic(v) else v}" for name, v in change.weights.items())
        return [t(lang, "change.weights", values=values)]
    if isinstance(change, LockChange):
        return [t(lang, "change.lock", pairs=_pairs(change.lock))]
    if isinstance(change, ForbidChange):
        return [t(lang, "change.forbid", pairs=_pairs(change.forbid))]
    assert isinstance(change, IncumbentsChange)
    return [t(lang, "change.incumbents", pairs=_pairs(change.incumbents))]


def changes_in_words(base: dict[str, Any], changes: Sequence[dict[str, Any]], lang: str) -> list[str]:
    """Every change of a variant in words, in order; "none" for a variant without changes."""
    if not changes:
        return [t(lang, "change.none")]
    state = copy.deepcopy(base)
    lines: list[str] = []
    for raw in changes:
        before = copy.deepcopy(state)
        apply_change(state, parse_change(raw))
        lines += describe(before, state, raw, lang)
    return lines
