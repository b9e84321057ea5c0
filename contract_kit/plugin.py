"""The pytest plugin (entry point `pytest11`): wiring only; the library does the work."""

from __future__ import annotations

import pytest

from .hypothesis_profiles import register_profiles

# At import, before Hypothesis' own plugin reads `--hypothesis-profile`, so `=ci` / `=dev` resolve.
register_profiles()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "contract(operation): the test exercises this Flex Interactions operation of the contract",
    )
