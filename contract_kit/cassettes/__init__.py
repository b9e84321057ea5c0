"""Recorded Flex traffic (vcrpy cassettes): recording it safely, and checking it against the contract.

`flex_vcr()` builds a vcrpy `VCR` for Flex (YAML, no secrets, deterministic matching);
`check_cassette()`/`check_cassettes()` re-validate recorded interactions against the contract;
`Scrubber` is what keeps credentials out. vcrpy itself is imported only when it is used.
"""

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

__all__ = [
    "CASSETTE_SUFFIX",
    "DEFAULT_RECORD_MODE",
    "FILTERED",
    "MATCH_ON",
    "RECORD_MODES",
    "SECRET_ENV",
    "SENSITIVE_HEADERS",
    "CassetteChecker",
    "CassetteError",
    "CassetteReport",
    "InteractionReport",
    "Problem",
    "RecordModeError",
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
]
