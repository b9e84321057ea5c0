"""Root conftest: pytester for plugin tests, and a reproducible Hypothesis profile in CI."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

pytest_plugins = ["pytester"]

settings.register_profile("repo-dev", max_examples=60, deadline=None)
settings.register_profile(
    "repo-ci",
    max_examples=60,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("repo-ci" if os.environ.get("CI") else "repo-dev")
