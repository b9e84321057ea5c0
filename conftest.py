"""Root conftest: pytester for plugin tests, the package's Hypothesis profiles, opt-in soaks."""

from __future__ import annotations

import os

import pytest

from contract_kit.hypothesis_profiles import load_profile

pytest_plugins = ["pytester"]

load_profile(os.environ.get("CONTRACT_KIT_HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `slow` (soaks) run only with `-m slow` or CONTRACT_KIT_SLOW=1."""
    if os.environ.get("CONTRACT_KIT_SLOW") or "slow" in str(config.getoption("-m") or ""):
        return
    skip = pytest.mark.skip(reason="a soak: opt in with -m slow or CONTRACT_KIT_SLOW=1")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
