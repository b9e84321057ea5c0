"""The pytest plugin (entry point `pytest11`): wiring only; the library does the work."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "contract(operation): the test exercises this Flex Interactions operation of the contract",
    )
