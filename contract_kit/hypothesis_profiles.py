"""Hypothesis settings profiles shipped with contract-kit: `dev` and `ci`.

`register_profiles()` registers them (idempotent); select one with `load_profile("ci")`, with
Hypothesis' own pytest option `--hypothesis-profile=ci`, or with the environment variable
`CONTRACT_KIT_HYPOTHESIS_PROFILE` read by `load_profile()`. `ci` is derandomised (the same
examples on every run, no example database), so a red build is reproducible by re-running it.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings

PROFILE_ENV = "CONTRACT_KIT_HYPOTHESIS_PROFILE"
PROFILES = ("dev", "ci")
_SLOW_DRAWS = [HealthCheck.too_slow, HealthCheck.filter_too_much]


def register_profiles(prefix: str = "") -> None:
    """Register `dev` and `ci` (optionally as `<prefix>dev`, `<prefix>ci`)."""
    settings.register_profile(
        prefix + "dev",
        max_examples=25,
        deadline=None,
        derandomize=False,  # explicit: Hypothesis derandomises by default when it detects CI
        suppress_health_check=_SLOW_DRAWS,
    )
    settings.register_profile(
        prefix + "ci",
        max_examples=50,
        deadline=None,
        derandomize=True,
        database=None,
        print_blob=True,
        phases=[Phase.explicit, Phase.generate, Phase.target, Phase.shrink],
        suppress_health_check=_SLOW_DRAWS,
    )


def load_profile(name: str | None = None) -> str:
    """Register the profiles and load `name` (default: $CONTRACT_KIT_HYPOTHESIS_PROFILE, else dev)."""
    register_profiles()
    chosen = name or os.environ.get(PROFILE_ENV) or "dev"
    if chosen not in PROFILES:
        raise ValueError(f"unknown Hypothesis profile {chosen!r}; choose from: {', '.join(PROFILES)}")
    settings.load_profile(chosen)
    return chosen
