"""The plugin's fixtures, small and overridable as pytest-recording's are, and the end-of-test check.

A user changes one piece in a conftest.py by defining a fixture of the same name, at any scope:
`flex_vcr_config` (vcrpy options), `flex_cassette_dir` (where the test's cassettes live),
`flex_cassette_name` (its cassette's default name), `flex_contract`, `flex_mock`. `flex_cassette`
composes them, so none of its own logic has to be copied to change one of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple

import pytest

from .ledger import CELL_OPERATION, Coverage, ledger

if TYPE_CHECKING:
    from ..cassettes import CassetteChecker, CassetteReport
    from ..contract import Contract
    from ..mock import MockServer
    from ..validate import Report

FIXED_VCR_OPTIONS = MappingProxyType(
    {
        "serializer": "cassettes are YAML, which the contract check reads",
        "cassette_library_dir": "override the flex_cassette_dir fixture instead",
        "path_transformer": "override the flex_cassette_name fixture instead",
        "filter_headers": "credential headers are always dropped; add a before_record_request hook for others",
        "decode_compressed_response": "bodies are always stored decoded, so the contract check can read them",
    }
)
"""vcrpy options `flex_vcr()` sets itself, and what to do instead of setting them."""
CASSETTE_OPTIONS = ("allow_playback_repeats", "additional_matchers")
"""vcrpy options of `use_cassette` only (`vcr.VCR` has no such argument). Every other option goes to
`flex_vcr()`, which keeps its scrubber last: given to `use_cassette`, a hook would replace it."""


class Recording(NamedTuple):
    """A flex_cassette test's cassette, kept on the item for the end-of-test check."""

    cassette: Any
    path: Path
    checker: CassetteChecker
    loaded: int
    """Interactions the cassette held when the test began (the rest were recorded by it)."""
    operations: tuple[str, ...]
    """The test's `contract(...)` marker: the only operations it may send (empty: any)."""


RECORDING = pytest.StashKey[Recording]()
_CHECKERS = pytest.StashKey[dict[tuple[Any, bool, bool], "CassetteChecker"]]()


# -- the contract and payloads ---------------------------------------------------------------------
@pytest.fixture(scope="session")
def flex_contract() -> Contract:
    """The contract document every contract-kit fixture checks against (loaded once)."""
    from ..contract import default_contract

    return default_contract()


class FlexValidate:
    """`flex_validate(payload, operation=None, *, strict=False)` -> Report, against flex_contract.

    `operation` defaults to the test's `contract(...)` marker, else CreateInteraction; every
    payload judged counts towards the session's coverage."""

    def __init__(self, contract: Contract, operation: str, coverage: Coverage) -> None:
        self.contract = contract
        self.operation = operation
        self.coverage = coverage

    def __call__(self, payload: Any, operation: str | None = None, *, strict: bool = False) -> Report:
        from ..validate import validate, validator_for

        op = operation or self.operation
        report = validate(payload, op, contract=self.contract, strict=strict)
        self.coverage.count(self.contract, report, lambda: validator_for(op, self.contract).decode(payload).instance)
        return report


@pytest.fixture
def flex_validate(request: pytest.FixtureRequest, flex_contract: Contract) -> FlexValidate:
    """`flex_validate(payload, operation=None)` -> Report; the operation defaults to the test's
    `contract(...)` marker (function scope so that it can read it)."""
    operations = marked_operations(request.node, flex_contract)
    default = operations[0] if operations else CELL_OPERATION
    return FlexValidate(flex_contract, default, ledger(request.config).coverage)


def marked_operations(node: pytest.Item, contract: Contract) -> tuple[str, ...]:
    """The operations of the test's `contract(...)` marker (the closest one), each checked
    against the contract: a typo fails the test rather than silently matching nothing."""
    marker = node.get_closest_marker("contract")
    if marker is None:
        return ()
    named = marker.args or ((marker.kwargs["operation"],) if "operation" in marker.kwargs else ())
    if not named:
        pytest.fail("@pytest.mark.contract names no operation, e.g. contract('CreateInteraction')", pytrace=False)
    unknown = [op for op in named if op not in contract.operations]
    if unknown:
        known = ", ".join(sorted(contract.operations))
        pytest.fail(
            f"@pytest.mark.contract({unknown[0]!r}): no such operation; the contract has: {known}", pytrace=False
        )
    return tuple(str(op) for op in named)


# -- servers and clients ---------------------------------------------------------------------------
@pytest.fixture(scope="session")
def flex_mock() -> Iterator[MockServer]:
    """The mock Flex Interactions API on a free loopback port, one per session (per xdist worker)."""
    from ..mock import MockServer

    with MockServer() as server:
        yield server


@pytest.fixture
def flex_client(request: pytest.FixtureRequest) -> Any:
    """The vendor's twilio Client, at --flex-base-url (env credentials) or else at flex_mock."""
    from ..twilio_client import CredentialsError, env_credentials, twilio_client

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


# -- cassettes --------------------------------------------------------------------------------------
@pytest.fixture
def flex_vcr_config() -> dict[str, Any]:
    """vcrpy options merged into `flex_vcr()`'s for flex_cassette tests (`match_on`,
    `before_record_request`, `secrets`, `allow_playback_repeats`, `record_mode` as a default, ...);
    override it to set some."""
    return {}


@pytest.fixture
def flex_cassette_dir(request: pytest.FixtureRequest) -> Path:
    """Where the test's cassettes live: --flex-cassette-dir, else `cassettes/` beside its module."""
    directory = request.config.getoption("flex_cassette_dir")
    if directory:
        return request.config.invocation_params.dir / str(directory)
    return request.path.parent / "cassettes"


@pytest.fixture
def flex_cassette_name(request: pytest.FixtureRequest) -> str:
    """The test's cassette, `<module>/<test>.yaml` under flex_cassette_dir (a name given to the
    marker wins)."""
    from ..cassettes import cassette_name_for

    return cassette_name_for(request.path.stem, request.node.name)


@pytest.fixture(autouse=True)
def flex_cassette(request: pytest.FixtureRequest) -> Iterator[Any]:
    """The vcrpy cassette of a test marked flex_cassette (None for any other test).

    Autouse, so that a marker is all a test needs; it checks the test's `contract(...)` marker too,
    and requests the other fixtures only for marked tests, so unmarked tests pay nothing."""
    node = request.node
    operations: tuple[str, ...] = ()
    if node.get_closest_marker("contract") is not None:
        operations = marked_operations(node, request.getfixturevalue("flex_contract"))
    marker = node.get_closest_marker("flex_cassette")
    if marker is None:
        yield None
        return
    if node.get_closest_marker("vcr") is not None:
        pytest.fail(
            "a test cannot be marked both flex_cassette and vcr (pytest-recording): two cassettes would "
            "record the same requests; keep one of the markers",
            pytrace=False,
        )
    from ..cassettes import RecordModeError, cassette_path, check_record_mode, flex_vcr

    options = _vcr_options(request.getfixturevalue("flex_vcr_config"))
    name, record_mode, allow_invalid = _marker_arguments(marker, request.config, options.pop("record_mode", None))
    try:
        check_record_mode(record_mode)
    except RecordModeError as exc:
        pytest.fail(f"flex_cassette: {exc}", pytrace=False)
    cassette_dir = Path(request.getfixturevalue("flex_cassette_dir"))
    path = cassette_path(cassette_dir, name or request.getfixturevalue("flex_cassette_name"))
    ledger(request.config).note_cassette(node.nodeid, cassette_dir, path)
    if record_mode == "none" and not path.is_file():
        pytest.fail(
            f"no cassette {path} (record mode 'none' only replays): record it once with --flex-record-mode=once",
            pytrace=False,
        )
    checker = _checker(request.config, request.getfixturevalue("flex_contract"), valid_only=not allow_invalid)
    per_cassette = {k: options.pop(k) for k in CASSETTE_OPTIONS if k in options}
    try:
        if request.config.getoption("flex_scrub_pii"):
            options.setdefault("scrub_pii", True)
        vcr = flex_vcr(record_mode=record_mode, **options)
    except TypeError as exc:  # an option vcrpy does not have
        pytest.fail(f"flex_vcr_config: {exc}", pytrace=False)
    with vcr.use_cassette(str(path), **per_cassette) as cassette:
        node.stash[RECORDING] = Recording(cassette, path, checker, len(cassette.data), operations)
        yield cassette


def check_recording(item: pytest.Item, recording: Recording) -> None:
    """After a flex_cassette test passed: its recorded traffic against the contract and against its
    `contract(...)` marker; what went through the cassette counts towards the session's coverage."""
    cassette, path, checker, loaded, operations = recording
    report = checker.check_interactions(cassette.data, str(path))
    _count(ledger(item.config).coverage, checker.contract, report, cassette, loaded)
    lines = []
    problems = report.describe()
    if problems:
        lines += ["recorded traffic breaks the Flex Interactions contract:", *(f"  {line}" for line in problems)]
    strays = _strays(report, operations)
    if strays:
        lines += ["recorded traffic goes beyond the test's contract marker:", *(f"  {line}" for line in strays)]
    if lines:
        pytest.fail("\n".join(lines), pytrace=False)


# -- helpers ---------------------------------------------------------------------------------------
def _vcr_options(config: Any) -> dict[str, Any]:
    if not isinstance(config, Mapping):
        pytest.fail(f"flex_vcr_config must return a dict of vcrpy options, not {type(config).__name__}", pytrace=False)
    fixed = sorted(FIXED_VCR_OPTIONS.keys() & config.keys())
    if fixed:
        pytest.fail(
            f"flex_vcr_config: {fixed[0]!r} is set by contract-kit: {FIXED_VCR_OPTIONS[fixed[0]]}", pytrace=False
        )
    return dict(config)


def _marker_arguments(marker: pytest.Mark, config: pytest.Config, configured: Any) -> tuple[str | None, str, bool]:
    """Name, record mode (the marker's, else --flex-record-mode, else flex_vcr_config's, else
    none) and allow_invalid_requests of a flex_cassette marker."""
    name = marker.args[0] if marker.args else marker.kwargs.get("name")
    mode = marker.kwargs.get("record_mode") or config.getoption("flex_record_mode") or configured or "none"
    return name, str(mode), bool(marker.kwargs.get("allow_invalid_requests", False))


def _checker(config: pytest.Config, contract: Contract, *, valid_only: bool) -> CassetteChecker:
    """One checker per session, contract and kind (its compiled response schemas are reused):
    `valid_only` fails any request the contract rejects; `--flex-strict` reads our stricter
    readings as errors."""
    from ..cassettes import CassetteChecker

    strict = bool(config.getoption("flex_strict"))
    checkers = config.stash.setdefault(_CHECKERS, {})
    key = (contract, valid_only, strict)
    if key not in checkers:
        checkers[key] = CassetteChecker(contract, strict_requests=valid_only, strict=strict)
    return checkers[key]


def _count(coverage: Coverage, contract: Contract, report: CassetteReport, cassette: Any, loaded: int) -> None:
    """Count the interactions that went through the cassette in this test: those it recorded, and
    those it replayed (an interaction the test never asked for is not traffic)."""
    from ..validate import Report

    for interaction in report.interactions:
        index = interaction.index
        if interaction.operation is None or (index < loaded and not cassette.play_counts[index]):
            continue
        payload = _payload(contract, interaction.operation, cassette.data[index][0].body)
        coverage.count(contract, Report(interaction.operation, interaction.violations), payload)


def _payload(contract: Contract, operation: str, body: Any) -> Callable[[], Any]:
    """The decoded request body, decoded only if asked for."""
    from ..validate import validator_for

    return lambda: validator_for(operation, contract).decode(body or b"").instance


def _strays(report: CassetteReport, operations: tuple[str, ...]) -> list[str]:
    if not operations:
        return []
    marker = f"contract({', '.join(map(repr, operations))})"
    return [
        f"{report.source}#{i.index} {i.method} {i.path} -> {i.status}: test marked {marker} sent {i.operation}"
        for i in report.interactions
        if i.operation is not None and i.operation not in operations
    ]
