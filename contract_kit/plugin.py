"""The pytest plugin (entry point `pytest11`): wiring only; the library does the work.

Options (group "contract-kit"): `--flex-base-url`, `--flex-record-mode`, `--flex-cassette-dir`,
`--flex-strict`.
Markers: `contract(operation)`, `flex_cassette(name=None, *, record_mode=None,
allow_invalid_requests=False)`. Fixtures: `flex_contract`, `flex_validate`, `flex_mock`,
`flex_client`, `flex_cassette`. The record options carry a `flex-` prefix so that pytest-recording
(`--record-mode`, `@pytest.mark.vcr`) can be installed beside this plugin; one test cannot use
both cassettes at once, and is refused if it tries.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .hypothesis_profiles import register_profiles

if TYPE_CHECKING:
    from .cassettes import CassetteChecker
    from .contract import Contract
    from .mock import MockServer
    from .validate import Report

# At import, before Hypothesis' own plugin reads `--hypothesis-profile`, so `=ci` / `=dev` resolve.
register_profiles()

_RECORD_MODES = ("none", "once", "new_episodes", "all")  # contract_kit.cassettes.RECORD_MODES, kept light
_ACTIVE = pytest.StashKey[tuple[Any, Path, "CassetteChecker"]]()
_CHECKERS = pytest.StashKey[dict[tuple[bool, bool], "CassetteChecker"]]()


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


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "contract(operation): the test exercises this Flex Interactions operation of the contract",
    )
    config.addinivalue_line(
        "markers",
        "flex_cassette(name=None, *, record_mode=None, allow_invalid_requests=False): record/replay the "
        "test's HTTP traffic with vcrpy (<cassette-dir>/<module>/<test>.yaml) and fail the test if a "
        "recorded request or response breaks the contract",
    )


# -- fixtures -------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def flex_contract() -> Contract:
    """The contract document every contract-kit fixture checks against (loaded once)."""
    from .contract import default_contract

    return default_contract()


@pytest.fixture(scope="session")
def flex_validate(flex_contract: Contract) -> Callable[..., Report]:
    """`flex_validate(payload, operation="CreateInteraction")` -> Report, against flex_contract."""
    from .validate import validate

    return functools.partial(validate, contract=flex_contract)


@pytest.fixture(scope="session")
def flex_mock() -> Iterator[MockServer]:
    """The mock Flex Interactions API on a free loopback port, one per session (per xdist worker)."""
    from .mock import MockServer

    with MockServer() as server:
        yield server


@pytest.fixture
def flex_client(request: pytest.FixtureRequest) -> Any:
    """The vendor's twilio Client, at --flex-base-url (env credentials) or else at flex_mock."""
    from .twilio_client import CredentialsError, env_credentials, twilio_client

    base_url = request.config.getoption("flex_base_url")
    try:
        if base_url:
            return twilio_client(base_url, *env_credentials())
        server = request.getfixturevalue("flex_mock")
        return twilio_client(server.url, *server.auth)
    except CredentialsError as exc:
        pytest.fail(f"flex_client with --flex-base-url: {exc}", pytrace=False)
    except ImportError as exc:
        pytest.fail(f"flex_client needs the vendor's client: pip install twilio ({exc})", pytrace=False)


@pytest.fixture(autouse=True)
def flex_cassette(request: pytest.FixtureRequest) -> Iterator[Any]:
    """The vcrpy cassette of a test marked flex_cassette (None for any other test)."""
    marker = request.node.get_closest_marker("flex_cassette")
    if marker is None:
        yield None
        return
    if request.node.get_closest_marker("vcr") is not None:
        pytest.fail(
            "a test cannot be marked both flex_cassette and vcr (pytest-recording): two cassettes would "
            "record the same requests; keep one of the markers",
            pytrace=False,
        )
    from .cassettes import RecordModeError, cassette_name_for, cassette_path, check_record_mode, flex_vcr

    name, record_mode, allow_invalid = _marker_arguments(marker, request.config)
    try:
        check_record_mode(record_mode)
    except RecordModeError as exc:
        pytest.fail(f"flex_cassette: {exc}", pytrace=False)
    directory = request.config.getoption("flex_cassette_dir")
    cassette_dir = Path(directory) if directory else request.path.parent / "cassettes"
    path = cassette_path(cassette_dir, name or cassette_name_for(request.path.stem, request.node.name))
    if record_mode == "none" and not path.is_file():
        pytest.fail(
            f"no cassette {path} (record mode 'none' only replays): record it once with --flex-record-mode=once",
            pytrace=False,
        )
    checker = _checker(request.config, request.getfixturevalue("flex_contract"), valid_only=not allow_invalid)
    with flex_vcr(record_mode=record_mode).use_cassette(str(path)) as cassette:
        request.node.stash[_ACTIVE] = (cassette, path, checker)
        yield cassette


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """After a flex_cassette test passed: its recorded traffic against the contract."""
    result = yield
    active = item.stash.get(_ACTIVE, None)
    if active is not None:
        cassette, path, checker = active
        report = checker.check_interactions(cassette.data, str(path))
        if not report.ok:
            lines = "\n".join(f"  {line}" for line in report.describe())
            pytest.fail(f"recorded traffic breaks the Flex Interactions contract:\n{lines}", pytrace=False)
    return result


# -- helpers --------------------------------------------------------------------------------------
def _marker_arguments(marker: pytest.Mark, config: pytest.Config) -> tuple[str | None, str, bool]:
    name = marker.args[0] if marker.args else marker.kwargs.get("name")
    mode = marker.kwargs.get("record_mode") or config.getoption("flex_record_mode") or "none"
    return name, str(mode), bool(marker.kwargs.get("allow_invalid_requests", False))


def _checker(config: pytest.Config, contract: Contract, *, valid_only: bool) -> CassetteChecker:
    """One checker per session and kind (its compiled response schemas are reused): `valid_only`
    fails any request the contract rejects; `--flex-strict` reads our stricter readings as errors."""
    from .cassettes import CassetteChecker

    strict = bool(config.getoption("flex_strict"))
    checkers = config.stash.setdefault(_CHECKERS, {})
    if (valid_only, strict) not in checkers:
        checkers[valid_only, strict] = CassetteChecker(contract, strict_requests=valid_only, strict=strict)
    return checkers[valid_only, strict]
