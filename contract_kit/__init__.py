"""contract-kit: contract testing and payload validation for the Twilio Flex Interactions API.

The names below are imported on first use: `contract-kit --help` and `--version` (and every
`import contract_kit.<module>`) must not pay for the contract's YAML reader or jsonschema-rs.
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .contract import (
        DEFAULT_OPERATION,
        Contract,
        ContractError,
        Operation,
        Rule,
        UnknownOperationError,
        default_contract,
    )
    from .validate import PayloadValidator, Report, Violation, validate, validate_request, validator_for

_EXPORTS: Mapping[str, str] = types.MappingProxyType(
    {
        "DEFAULT_OPERATION": "contract",
        "Contract": "contract",
        "ContractError": "contract",
        "Operation": "contract",
        "Rule": "contract",
        "UnknownOperationError": "contract",
        "default_contract": "contract",
        "PayloadValidator": "validate",
        "Report": "validate",
        "Violation": "validate",
        "validate": "validate",
        "validate_request": "validate",
        "validator_for": "validate",
    }
)
"""Public name -> the submodule defining it."""

__all__ = [
    "DEFAULT_OPERATION",
    "Contract",
    "ContractError",
    "Operation",
    "PayloadValidator",
    "Report",
    "Rule",
    "UnknownOperationError",
    "Violation",
    "__version__",
    "default_contract",
    "validate",
    "validate_request",
    "validator_for",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    setattr(sys.modules[__name__], name, value)  # later look-ups are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


class _Package(types.ModuleType):
    """The package's module type: `contract_kit.validate` stays the function.

    Importing the submodule `contract_kit.validate` makes the import system set the package
    attribute `validate` to that module; the eager `from .validate import validate` used to
    overwrite it with the function. Lazily, nothing would, so the function is set instead.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "validate" and isinstance(value, types.ModuleType):
            value = value.validate
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
