"""Ctrl-C: the first SIGINT stops the search and the best allocation is still written, marked not proven;
a second one aborts."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from enmusubi.scenarios.generator import generate_problem
from enmusubi.service.cli.interrupt import INTERRUPTED_EXIT, run_interruptible
from enmusubi.service.io.outputs import OUTPUT_FILES
from enmusubi.solver import Result, StopFlag
from tests.reference import check_allocation

ROOT = Path(__file__).resolve().parents[3]
# Big enough that HiGHS is still searching for a proof long after the search starts (measured: no proof in
# 120 s on 2 cores), small enough to generate and score in well under a second.
PARTNERS, POSITIONS = 3000, 400
SEARCH_SECONDS_BEFORE_CTRL_C = 1.0
WAIT_SECONDS = 120


def cli_command() -> list[str]:
    script = Path(sys.executable).with_name("enmusubi")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "enmusubi.service.cli.app"]


def lines_of(stream: object) -> queue.Queue[str]:
    """Lines of a pipe as they come, read by a thread so the test can wait with a deadline."""
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in stream:  # type: ignore[attr-defined]
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return lines


def wait_for(lines: queue.Queue[str], text: str, seen: list[str]) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1.0)
        except queue.Empty:
            continue
        seen.append(line)
        if text in line:
            return
    pytest.fail(f"{text!r} never appeared on stderr: {seen}")


def test_sigint_during_the_search_writes_a_valid_result_marked_not_proven(tmp_path: Path) -> None:
    problem = generate_problem(PARTNERS, POSITIONS, seed=0)
    (tmp_path / "problem.json").write_text(json.dumps(problem))
    out = tmp_path / "out"
    process = subprocess.Popen(
        [*cli_command(), "-v", "solve", str(tmp_path / "problem.json"), "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        seen: list[str] = []
        errors = lines_of(process.stderr)
        wait_for(errors, "phase solving", seen)
        time.sleep(SEARCH_SECONDS_BEFORE_CTRL_C)
        process.send_signal(signal.SIGINT)
        wait_for(errors, "phase done", seen)
        assert process.wait(timeout=WAIT_SECONDS) == INTERRUPTED_EXIT
    finally:
        if process.poll() is None:
            process.kill()
    assert any("interrupted: stopping the search" in line for line in seen)
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUT_FILES)
    result = Result.model_validate_json((out / "result.json").read_text())
    assert result.stopped is True
    assert result.status == "feasible"
    assert result.message.startswith("interrupted (Ctrl-C)")
    assert result.best_bound >= result.objective
    assert result.assignments, "the best allocation found is kept, not thrown away"
    assert check_allocation(problem, sorted(result.pair_set())) == []
    assert "**Not proven optimal.**" in (out / "report.md").read_text()


SECOND_CTRL_C = textwrap.dedent(
    """
    import os, signal, sys, threading, time
    from enmusubi.service.cli.interrupt import run_interruptible

    def stubborn(stop):
        while True:  # ignores the stop flag, like an engine stuck in native code
            if stop.is_set():
                print("stop seen", flush=True)
                time.sleep(60)
            time.sleep(0.01)

    def ctrl_c_twice():
        time.sleep(0.5)
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.5)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=ctrl_c_twice, daemon=True).start()
    run_interruptible(stubborn)
    print("not reached", flush=True)
    """
)


def test_a_second_sigint_aborts_at_once() -> None:
    run = subprocess.run(
        [sys.executable, "-c", SECOND_CTRL_C], capture_output=True, text=True, timeout=WAIT_SECONDS, cwd=ROOT
    )
    assert run.returncode == INTERRUPTED_EXIT
    assert run.stdout == "stop seen\n"
    assert "interrupted again: aborting without writing a result" in run.stderr


def test_run_interruptible_sets_the_stop_flag_and_restores_the_handler() -> None:
    before = signal.getsignal(signal.SIGINT)
    timer = threading.Timer(0.2, lambda: os.kill(os.getpid(), signal.SIGINT))

    def work(stop: StopFlag) -> str:
        timer.start()
        deadline = time.monotonic() + 30
        while not stop.is_set() and time.monotonic() < deadline:
            time.sleep(0.01)
        return "stopped" if stop.is_set() else "timed out"

    notes: list[str] = []
    finished = run_interruptible(work, announce=notes.append)
    assert (finished.value, finished.interrupted) == ("stopped", True)
    assert notes and notes[0].startswith("interrupted: stopping the search")
    assert signal.getsignal(signal.SIGINT) is before


def test_run_interruptible_passes_results_and_errors_through() -> None:
    assert run_interruptible(lambda stop: 42).value == 42
    assert run_interruptible(lambda stop: 42).interrupted is False

    def fails(stop: StopFlag) -> None:
        raise ValueError("bad input")

    with pytest.raises(ValueError, match="bad input"):
        run_interruptible(fails)
