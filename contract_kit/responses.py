"""Response conformance: is an answer one the document declares for its operation?

A response conforms when its status is declared for the operation (405 and 413, which any route
may answer, must at least carry the vendor's error body), it is served as JSON, and its body
validates against the declared schema. A request whose method and path are no operation of the
document must still be answered with the vendor's error body. Used by the tests of the mock and by
the cassette checks (`contract_kit.cassettes`).
"""

from __future__ import annotations

import json
from typing import Any

from . import pointers
from .contract import VENDOR_ERROR_SCHEMA, Contract, Operation, default_contract
from .routes import Routes

VENDOR_ERROR = VENDOR_ERROR_SCHEMA
UNDECLARED_ERRORS = (405, 413)
"""Statuses any route may answer without the document declaring them (wrong method, body too big)."""


class ResponseChecker:
    """Checks responses against the document's response schemas (the contract compiles each once)."""

    def __init__(self, contract: Contract | None = None) -> None:
        self.contract = contract or default_contract()
        self.routes = Routes(self.contract)

    def declared(self, operation: Operation, status: int) -> bool:
        """Whether the document declares `status` as an answer of `operation`."""
        return operation.response(status) is not None

    def problems(
        self,
        method: str,
        path: str,
        status: int,
        content_type: str,
        body: bytes | str,
        operation: Operation | None = None,
    ) -> list[str]:
        """What is wrong with one response (none when it conforms)."""
        op = operation if operation is not None else self.routes.match(method, path)
        try:
            parsed = json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError):
            shown = body[:80] if isinstance(body, (bytes, str)) else body
            return [f"HTTP {status}: the body is not JSON: {shown!r}"]
        if not content_type.lower().startswith("application/json"):
            return [f"HTTP {status}: served as {content_type or 'no content type'!r}, not application/json"]
        if op is None:  # not an operation of the document: must still be a vendor error
            return _errors(self.contract.vendor_error_validator(formats=True), parsed)
        response = op.response(status)
        if response is None:
            if status in UNDECLARED_ERRORS:
                return _errors(self.contract.vendor_error_validator(formats=True), parsed)
            declared = ", ".join(sorted(str(r.status) for r in op.responses))
            return [f"HTTP {status} is not a declared answer of {op.operation_id} (declared: {declared})"]
        if response.schema_pointer is None:
            return []
        return _errors(self.contract.validator(response.schema_pointer, formats=True), parsed)


def _errors(validator: Any, body: Any) -> list[str]:
    return [f"response body at {_pointer(e.instance_path)}: {e.message}" for e in validator.iter_errors(body)]


def _pointer(path: Any) -> str:
    return pointers.from_path(path) or "/"
