"""Root conftest: pytester for plugin tests, and the package's Hypothesis profiles (`ci` in CI)."""

from __future__ import annotations

import os

from contract_kit.hypothesis_profiles import load_profile

pytest_plugins = ["pytester"]

load_profile(os.environ.get("CONTRACT_KIT_HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))
