"""The engine registry: every engine has the declared shape, and names are checked."""

from __future__ import annotations

import pytest

from enmusubi.solver.engines import DEFAULT_ENGINE, ENGINES, engine_named, is_engine_name


@pytest.mark.parametrize("name", sorted(ENGINES))
def test_every_registered_engine_has_the_declared_shape(name: str) -> None:
    engine = engine_named(name)
    assert isinstance(engine.VERSION, str) and engine.VERSION
    assert callable(engine.solve_component)


def test_auto_is_the_default_engine() -> None:
    assert engine_named("auto") is engine_named(DEFAULT_ENGINE)


def test_an_unknown_engine_is_refused_with_the_choices() -> None:
    assert not is_engine_name("gurobi") and is_engine_name("auto") and is_engine_name("cpsat")
    with pytest.raises(ValueError, match="unknown engine 'gurobi'; choose auto, highs, cpsat"):
        engine_named("gurobi")
