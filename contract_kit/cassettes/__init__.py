"""Recorded Flex traffic (vcrpy cassettes): recording it safely, and checking it against the contract.

`flex_vcr()` builds a vcrpy `VCR` for Flex (YAML, no secrets, deterministic matching);
`check_cassette()`/`check_cassettes()` re-validate recorded interactions against the contract;
`replay_cassettes()` re-sends recorded requests to a server and reports what changed against the
recording; `Scrubber` is what keeps credentials out. vcrpy itself is imported only when it is used.
"""

from typing import TYPE_CHECKING, Any

from .check import (
    CassetteChecker,
    CassetteError,
    CassetteReport,
    InteractionReport,
    Problem,
    cassette_files,
    check_cassette,
    check_cassettes,
    load_cassette,
)
from .recorder import (
    CASSETTE_SUFFIX,
    DEFAULT_RECORD_MODE,
    MATCH_ON,
    RECORD_MODES,
    RecordModeError,
    cassette_name_for,
    cassette_path,
    check_record_mode,
    flex_vcr,
)
from .secrets import FILTERED, SECRET_ENV, SENSITIVE_HEADERS, Scrubber, env_secrets

if TYPE_CHECKING:
    from .replay import (
        VALUE_RULE,
        Change,
        ReplayedCassette,
        ReplayedInteraction,
        ReplayReport,
        replay_cassettes,
    )

_REPLAY = ("VALUE_RULE", "Change", "ReplayReport", "ReplayedCassette", "ReplayedInteraction", "replay_cassettes")


def __getattr__(name: str) -> Any:
    """The replay names, imported on first use: replaying needs httpx and `run`'s target rules,
    which checking and recording do not."""
    if name in _REPLAY:
        from . import replay

        return getattr(replay, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "CASSETTE_SUFFIX",
    "DEFAULT_RECORD_MODE",
    "FILTERED",
    "MATCH_ON",
    "RECORD_MODES",
    "SECRET_ENV",
    "SENSITIVE_HEADERS",
    "VALUE_RULE",
    "CassetteChecker",
    "CassetteError",
    "CassetteReport",
    "Change",
    "InteractionReport",
    "Problem",
    "RecordModeError",
    "ReplayReport",
    "ReplayedCassette",
    "ReplayedInteraction",
    "Scrubber",
    "cassette_files",
    "cassette_name_for",
    "cassette_path",
    "check_cassette",
    "check_cassettes",
    "check_record_mode",
    "env_secrets",
    "flex_vcr",
    "load_cassette",
    "replay_cassettes",
]
