"""Settings for the whole suite."""

from __future__ import annotations

from hypothesis import settings

# Hypothesis's default deadline (200 ms per example) is a timing check, and these machines are shared and noisy:
# under load a property test failed on it with nothing wrong. Speed targets live in benchmarks/, never in tests.
settings.register_profile("enmusubi", deadline=None)
settings.load_profile("enmusubi")
