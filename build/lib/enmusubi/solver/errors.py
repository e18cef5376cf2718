"""Input errors that name the place of the fault, shared by every front door."""

from __future__ import annotations

from dataclasses import dataclass


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

    def __init__(self, issues: list[Issue] | Issue | str) -> None:
        if isinstance(issues, str):
            issues = [Issue("", issues)]
        elif isinstance(issues, Issue):
            issues = [issues]
        self.issues: list[Issue] = list(issues)
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


class UnknownIdError(LookupError):
    """An id asked about (partner, position, run) that the problem or store does not hold: HTTP 404."""

    def __init__(self, kind: str, ident: str) -> None:
        self.kind = kind
        self.ident = ident
        super().__init__(f"unknown {kind} {ident!r}")
