"""Hypothesis profiles for the properties: `fast` (the default, deterministic, the whole folder within about a
minute on two shared cores) and `thorough` (random, twenty times the examples), chosen by HYPOTHESIS_PROFILE."""

from __future__ import annotations

from hypothesis import HealthCheck, settings

from tests.property.strategies import PROFILE

# Generated estates are large by design (2,000-character names, definitions forty levels deep), so the
# checks that warn of large or slow data would only flag the point of the exercise.
_QUIET = (HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example)

# Deterministic in CI: a failure is the same failure on every run, and a known bug stays a known one.
settings.register_profile("fast", deadline=None, derandomize=True, database=None, print_blob=True,
                          suppress_health_check=_QUIET)
settings.register_profile("thorough", deadline=None, database=None, print_blob=True,
                          suppress_health_check=_QUIET)
settings.load_profile(PROFILE if PROFILE in ("fast", "thorough") else "fast")
