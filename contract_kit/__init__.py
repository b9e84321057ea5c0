"""contract-kit: contract testing and payload validation for the Twilio Flex Interactions API."""

from __future__ import annotations

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

__version__ = "0.1.0"

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
