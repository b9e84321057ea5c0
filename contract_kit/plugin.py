"""The pytest plugin (entry point `pytest11`): wiring only; the library does the work.

Options (group "contract-kit"): `--flex-base-url`, `--flex-record-mode`, `--flex-cassette-dir`,
`--flex-strict`, `--flex-unused-cassettes`, `--flex-coverage-report`.
Markers: `contract(operation)`, `flex_cassette(name=None, *, record_mode=None,
allow_invalid_requests=False)`. Fixtures (`contract_kit.pytest_plugin.fixtures`, each overridable in
a conftest.py): `flex_contract`, `flex_validate`, `flex_mock`, `flex_client`, `flex_vcr_config`,
`flex_cassette_dir`, `flex_cassette_name`, `flex_cassette`. The record options carry a `flex-`
prefix so that pytest-recording (`--record-mode`, `@pytest.mark.vcr`) can be installed beside this
plugin; one test cannot use both cassettes at once, and is refused if it tries.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from .hypothesis_profiles import PROFILE_ENV, PROFILES, load_profile, register_profiles
from .pytest_plugin import summary
from .pytest_plugin.fixtures import (
    RECORDING,
    check_recording,
    flex_cassette,
    flex_cassette_dir,
    flex_cassette_name,
    flex_client,
    flex_contract,
    flex_mock,
    flex_validate,
    flex_vcr_config,
)
from .pytest_plugin.ledger import WORKER_OUTPUT_KEY, XdistHooks, ledger

__all__ = [
    "flex_cassette",
    "flex_cassette_dir",
    "flex_cassette_name",
    "flex_client",
    "flex_contract",
    "flex_mock",
    "flex_validate",
    "flex_vcr_config",
]

# At import, before Hypothesis' own plugin reads `--hypothesis-profile`, so `=ci` / `=dev` resolve.
register_profiles()

_RECORD_MODES = ("none", "once", "new_episodes", "all")  # contract_kit.cassettes.RECORD_MODES, kept light


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("contract-kit", "contract-kit: Twilio Flex Interactions contract")
    group.addoption(
        "--flex-base-url",
        default=None,
        metavar="URL",
        help="Flex API base URL for flex_client (credentials from TWILIO_ACCOUNT_SID/TWILIO_AUTH_TOKEN or "
        "TWILIO_API_KEY/TWILIO_API_SECRET); default: the embedded mock (flex_mock).",
    )
    group.addoption(
        "--flex-record-mode",
        default=None,
        choices=_RECORD_MODES,
        help="vcrpy record mode of @pytest.mark.flex_cassette tests (default: none, replay only).",
    )
    group.addoption(
        "--flex-cassette-dir",
        default=None,
        metavar="DIR",
        help="Folder of flex_cassette cassettes, as DIR/<module>/<test>.yaml (default: cassettes/ beside "
        "each test module).",
    )
    group.addoption(
        "--flex-strict",
        action="store_true",
        default=False,
        help="Judge flex_cassette traffic as `contract-kit validate --strict` does: contract-kit's stricter "
        "readings (rules of basis `ours`: a field sent twice, an unknown field, ...) fail the test too.",
    )
    group.addoption(
        "--flex-scrub-pii",
        action="store_true",
        default=False,
        help="Record flex_cassette cassettes with customers' phone numbers, WhatsApp addresses, emails and "
        "participant names replaced by deterministic fakes of the same format (for recordings against staging).",
    )
    group.addoption(
        "--flex-unused-cassettes",
        default="off",
        choices=summary.UNUSED_MODES,
        help="At the end of the session, list the cassettes under the cassette directories (those the "
        "flex_cassette tests used, and --flex-cassette-dir) that no test opened: warn prints them, fail "
        "also fails the session (default: off). Run it on the whole suite.",
    )
    group.addoption(
        "--flex-coverage-report",
        default=None,
        metavar="PATH",
        help="Write the session's contract coverage as JSON: CreateInteraction cells sent valid and rules "
        "broken by the requests of flex_cassette tests and flex_validate.",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "contract(operation): the test exercises this Flex Interactions operation of the contract: a "
        "request to another in its recorded traffic fails it (name several to allow them), and "
        "flex_validate defaults to it",
    )
    config.addinivalue_line(
        "markers",
        "flex_cassette(name=None, *, record_mode=None, allow_invalid_requests=False): record/replay the "
        "test's HTTP traffic with vcrpy (<cassette-dir>/<module>/<test>.yaml) and fail the test if a "
        "recorded request or response breaks the contract",
    )
    _load_env_profile(config)
    ledger(config)
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(XdistHooks(config), "contract_kit.xdist")


def _load_env_profile(config: pytest.Config) -> None:
    """Load $CONTRACT_KIT_HYPOTHESIS_PROFILE in any suite, unless `--hypothesis-profile` names one."""
    name = os.environ.get(PROFILE_ENV)
    if not name or _option(config, "hypothesis_profile"):
        return
    if name not in PROFILES:
        raise pytest.UsageError(
            f"{PROFILE_ENV}={name!r} is not a contract-kit Hypothesis profile; set it to one of: "
            f"{', '.join(PROFILES)} (or unset it)"
        )
    load_profile(name)


def _option(config: pytest.Config, name: str) -> object:
    try:
        return config.getoption(name)
    except ValueError:  # Hypothesis' plugin not loaded (-p no:hypothesispytest)
        return None


def pytest_collection_finish(session: pytest.Session) -> None:
    """Which flex_cassette tests will run: one that never opens its cassette makes the
    unused-cassette list inconclusive."""
    book = ledger(session.config)
    book.marked.update(item.nodeid for item in session.items if item.get_closest_marker("flex_cassette"))


def pytest_deselected(items: list[pytest.Item]) -> None:
    if items:
        book = ledger(items[0].config)
        book.deselected.update(item.nodeid for item in items if item.get_closest_marker("flex_cassette"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """After a flex_cassette test passed: its recorded traffic against the contract."""
    result = yield
    recording = item.stash.get(RECORDING, None)
    if recording is not None:
        check_recording(item, recording)
    return result


def pytest_sessionfinish(session: pytest.Session) -> None:
    """A worker hands its ledger to the controller; the process that has the whole session
    concludes it (and may fail it)."""
    workeroutput: dict[str, Any] | None = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput[WORKER_OUTPUT_KEY] = ledger(session.config).to_wire()
        return
    summary.finish(session)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    summary.write(terminalreporter, config)
