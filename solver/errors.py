"""Input errors that name the place of the fault, shared by every front door."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Issue:
    """One fault in an input: where it is (`positions[3].hours_per_week`) and what is wrong."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class InputError(ValueError):
    """Raised before anything is solved when an input breaks the contract.

    Carries every issue found, so a user can fix them all in one go.
    """

    def __init__(self, issues: list[Issue] | Issue | str, *, where: str = "body") -> None:
        if isinstance(issues, str):
            issues = [Issue("", issues)]
        elif isinstance(issues, Issue):
            issues = [issues]
        self.issues: list[Issue] = list(issues)
        self.where = where  # the part of an HTTP request that held the input: body or query
        super().__init__("; ".join(str(i) for i in self.issues))

    def first_line(self) -> str:
        more = len(self.issues) - 1
        head = str(self.issues[0]) if self.issues else "invalid input"
        return head + (f" (and {more} more)" if more > 0 else "")


def format_loc(loc: tuple[int | str, ...] | list[int | str]) -> str:
    """('positions', 3, 'required_skills', 'security') -> positions[3].required_skills.security."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


_VALIDATOR_PREFIXES = ("function-", "constrained-")  # pydantic's names for validators in a loc


def issues_from_errors(errors: Iterable[Mapping[str, Any]], *, skip: int = 0, prefix: str = "") -> list[Issue]:
    """Pydantic (or FastAPI) error dicts as Issues with readable paths and messages.

    The first `skip` parts of each loc are dropped (FastAPI's "body"); `prefix` is the path of the
    validated value inside a larger document (`partners[3]`).
    """
    issues = []
    for err in errors:
        loc = [p for p in err.get("loc", ())[skip:] if not (isinstance(p, str) and p.startswith(_VALIDATOR_PREFIXES))]
        message = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
        kind = err.get("type")
        if kind == "extra_forbidden":
            message = "unknown field (check the spelling)"
        elif kind == "missing":
            message = "required field is missing"
        elif "input" in err and kind != "value_error" and not isinstance(err["input"], dict | list):
            given = err["input"]
            if not (isinstance(given, float) and not math.isfinite(given)):
                message = f"{message} (got {given!r})"
        issues.append(Issue(format_loc([prefix, *loc] if prefix else loc), message))
    return issues


class UnknownIdError(LookupError):
    """An id asked about (partner, position, run) that the problem or store does not hold: HTTP 404."""

    def __init__(self, kind: str, ident: str) -> None:
        self.kind = kind
        self.ident = ident
        super().__init__(f"unknown {kind} {ident!r}")
