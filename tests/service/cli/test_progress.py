"""The live progress line: only on a terminal and never with --quiet; phases logged for scripts."""

from __future__ import annotations

import io
import logging

import pytest
from rich.console import Console

from enmusubi.service.cli.progress import ProgressDisplay, describe, wants_live_display
from enmusubi.solver import Progress


class FakeStream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def test_live_only_on_a_terminal_and_not_quiet() -> None:
    assert wants_live_display(False, FakeStream(tty=True)) is True
    assert wants_live_display(True, FakeStream(tty=True)) is False
    assert wants_live_display(False, FakeStream(tty=False)) is False


def test_describe_shows_phase_time_best_bound_and_gap() -> None:
    line = describe(Progress("solving", 1.0, 100.0, 101.0), 12.34)
    assert line.split() == ["solving", "12.3", "s", "best", "100.000000", "bound", "101.000000", "gap", "1.000%"]
    assert describe(Progress("scoring", 0.1), 0.1).split() == ["scoring", "0.1", "s"]


def test_the_live_line_follows_the_search_and_is_gone_afterwards() -> None:
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=100)
    with ProgressDisplay(True, console) as display:
        display(Progress("solving", 0.5))
        display(Progress("solving", 1.0, 10.0, 12.0))
        display(Progress("solving", 1.5))  # a progress without numbers keeps the best known ones
        assert display.render().plain.split()[:1] == ["solving"]
        assert "best 10.000000" in display.render().plain and "bound 12.000000" in display.render().plain
        display.announce("interrupted: stopping the search")
    assert "interrupted: stopping the search" in screen.getvalue()
    assert display.phases == ["solving"]


def test_without_a_terminal_nothing_is_drawn_but_phases_are_logged(caplog: pytest.LogCaptureFixture) -> None:
    screen = io.StringIO()
    with (
        caplog.at_level(logging.INFO, logger="enmusubi.service.cli.progress"),
        ProgressDisplay(False, Console(file=screen)) as d,
    ):
        for phase in ("scoring", "model", "solving", "solving", "done"):
            d(Progress(phase, 0.0))
    assert screen.getvalue() == ""
    assert [r.getMessage().split()[1] for r in caplog.records] == ["scoring", "model", "solving", "done"]


def test_quiet_keeps_notes_off_the_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    ProgressDisplay(False, notes=False).announce("interrupted")
    ProgressDisplay(False, notes=True).announce("interrupted, said")
    assert capsys.readouterr().err == "interrupted, said\n"
