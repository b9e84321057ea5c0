"""Form bodies as the vendor's client sends them.

Schemathesis' built-in urlencoded serializer hands nested objects to `requests`, which sends
`Channel=type&Channel=initiated_by` (keys without values), and before any serializer runs it
flattens them to `Channel[type]=sms` (the form style; `encoding.contentType` is ignored), which the
real service does not understand either. The contract's `encoding` says which
fields travel as JSON text; this serializer sends those with `json.dumps` (the vendor client's
defaults, `contract_kit.wire.encode_form`) and applies in every phase, unlike `map_body` hooks.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from ..contract import Contract, Operation, default_contract
from ..wire import encode_form

FORM = "application/x-www-form-urlencoded"
_registered = False
_contract: Contract | None = None


def form_body(value: Any, operation: Operation | None) -> bytes:
    """The urlencoded body for a generated value (a dict of fields, or junk as it is)."""
    value = getattr(value, "body", value)  # schemathesis' FormBodyWithContentTypes
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, dict):
        fields = encode_form({str(k): v for k, v in value.items()}, operation.json_fields if operation else ())
        return urlencode(fields).encode("ascii")
    return json.dumps(value).encode("utf-8")


def operation_of(method: str, path: str, contract: Contract | None = None) -> Operation | None:
    contract = contract or _contract or default_contract()
    for op in contract.operations.values():
        if op.method == method.upper() and op.path == path:
            return op
    return None


def use_contract(contract: Contract) -> None:
    """The contract whose `encoding` the serializer follows (the packaged one by default)."""
    global _contract
    _contract = contract


def register() -> None:
    """Register the serializer with Schemathesis, once per process."""
    global _registered
    if _registered:
        return
    import schemathesis

    @schemathesis.serializer(FORM)
    def _serialize(ctx: Any, value: Any) -> bytes:
        # Schemathesis (4.32) flattens a dict body with the `encoding` styles before calling a
        # serializer (`Channel[type]=sms`), ignoring `contentType`; the case keeps the body as
        # generated, so the JSON fields are encoded from that.
        case = ctx.case
        body = case.body if isinstance(case.body, dict) else value
        return form_body(body, operation_of(case.method, case.path))

    _registered = True
