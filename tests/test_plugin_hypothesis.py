"""Hypothesis in a user's suite: the README's example on a fresh checkout, and the profile variable."""

from __future__ import annotations

import pytest

README_EXAMPLE = """
from hypothesis import given
from contract_kit.strategies import payloads

@given(payloads(channel_type="whatsapp", initiated_by="agent", shape="wire"))
def test_my_backend_accepts(payload):
    assert payload["Channel"]
"""

PROFILE_PROBE = """
from hypothesis import settings

def test_profile():
    print("derandomize", settings.default.derandomize, "database", settings.default.database)
    assert settings.default.derandomize is True and settings.default.database is None
"""


@pytest.fixture(autouse=True)
def _no_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONTRACT_KIT_HYPOTHESIS_PROFILE", raising=False)


def test_readme_example_passes_on_a_fresh_checkout(pytester: pytest.Pytester) -> None:
    """No `.hypothesis` folder and Hypothesis' default settings: the first draw must not trip `too_slow`.

    A subprocess, so Hypothesis' in-memory character tables of this session do not hide the cold start.
    """
    pytester.makepyfile(test_user=README_EXAMPLE)
    pytester.makeini("[pytest]\n")  # not this repository's settings: a user's project
    assert not (pytester.path / ".hypothesis").exists()
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:xdist")
    result.assert_outcomes(passed=1)
    assert "FailedHealthCheck" not in result.stdout.str()


def test_profile_variable_is_read_by_the_plugin(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    pytester.makepyfile(test_probe=PROFILE_PROBE)
    pytester.makeini("[pytest]\n")
    monkeypatch.delenv("CI", raising=False)  # Hypothesis' own CI profile would derandomise too
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    without = pytester.runpytest_subprocess("-p", "no:xdist")
    without.assert_outcomes(failed=1)
    monkeypatch.setenv("CONTRACT_KIT_HYPOTHESIS_PROFILE", "ci")
    pytester.runpytest_subprocess("-p", "no:xdist").assert_outcomes(passed=1)


def test_command_line_profile_wins_over_the_variable(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_probe=PROFILE_PROBE)
    pytester.makeini("[pytest]\n")
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("CONTRACT_KIT_HYPOTHESIS_PROFILE", "ci")
    pytester.runpytest_subprocess("-p", "no:xdist", "--hypothesis-profile=dev").assert_outcomes(failed=1)


def test_unknown_profile_name_is_a_usage_error(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    pytester.makepyfile(test_probe=PROFILE_PROBE)
    monkeypatch.setenv("CONTRACT_KIT_HYPOTHESIS_PROFILE", "nightly")
    result = pytester.runpytest_subprocess("-p", "no:xdist")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "CONTRACT_KIT_HYPOTHESIS_PROFILE='nightly' is not a contract-kit Hypothesis profile" in result.stderr.str()
