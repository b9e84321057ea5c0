"""Response conformance: is an answer one the document declares for its operation?

A response conforms when its status is declared for the operation (405 and 413, which any route
may answer, must at least carry the vendor's error body), it is served as JSON, and its body
validates against the declared schema. A request whose method and path are no operation of the
document must still be answered with the vendor's error body. Used by the tests of the mock and by
the cassette checks (`contract_kit.cassettes`).
"""

from __future__ import annotations

import json
import threading
from typing import Any

import jsonschema_rs

from .contract import Contract, Operation, default_contract, pointer_join
from .routes import Routes

VENDOR_ERROR = "/components/schemas/VendorError"
UNDECLARED_ERRORS = (405, 413)
"""Statuses any route may answer without the document declaring them (wrong method, body too big)."""


class ResponseChecker:
    """Checks responses against the document's response schemas (compiled once each)."""

    def __init__(self, contract: Contract | None = None) -> None:
        self.contract = contract or default_contract()
        self.routes = Routes(self.contract)
        self._compiled: dict[str, Any] = {}
        self._lock = threading.Lock()

    def declared(self, operation: Operation, status: int) -> bool:
        """Whether the document declares `status` as an answer of `operation`."""
        return str(status) in self._responses(operation)

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
            return self._against(VENDOR_ERROR, parsed)
        responses = self._responses(op)
        if str(status) not in responses:
            if status in UNDECLARED_ERRORS:
                return self._against(VENDOR_ERROR, parsed)
            declared = ", ".join(sorted(str(s) for s in responses))
            return [f"HTTP {status} is not a declared answer of {op.operation_id} (declared: {declared})"]
        response = responses[str(status)]
        pointer = (
            response["$ref"][1:]
            if "$ref" in response
            else pointer_join("paths", op.path, op.method.lower(), "responses", str(status))
        )
        node = self.contract.resolve(pointer)
        if "application/json" not in (node.get("content") or {}):
            return []
        return self._against(pointer + pointer_join("content", "application/json", "schema"), parsed)

    def _responses(self, op: Operation) -> dict[str, Any]:
        responses: dict[str, Any] = self.contract.document["paths"][op.path][op.method.lower()].get("responses", {})
        return responses

    def _against(self, pointer: str, body: Any) -> list[str]:
        with self._lock:
            validator = self._compiled.get(pointer)
            if validator is None:
                node = self.contract.resolve(pointer)
                root = {**node, "components": self.contract.document.get("components", {})}
                validator = jsonschema_rs.Draft202012Validator(root, validate_formats=True)
                self._compiled[pointer] = validator
        return [f"response body at {_pointer(e.instance_path)}: {e.message}" for e in validator.iter_errors(body)]


def _pointer(path: Any) -> str:
    return "".join(pointer_join(p) for p in path) or "/"
