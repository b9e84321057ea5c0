"""Form bodies as the vendor's client sends them.

Schemathesis' built-in urlencoded serializer hands nested objects to `requests`, which sends
`Channel=type&Channel=initiated_by` (keys without values), and before any serializer runs it
flattens them to `Channel[type]=sms` (the form style; `encoding.contentType` is ignored), which the
real service does not understand either. The contract's `encoding` says which
fields travel as JSON text; this serializer sends those with `json.dumps` (the vendor client's
defaults, `contract_kit.wire.encode_form`) and applies in every phase, unlike `map_body` hooks.

Schemathesis' serializers are global (one per media type); the run's contract reaches this one
through the case's schema (`binding.RunBinding`), so two runs in one process never share it.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from ..contract import Operation
from ..wire import encode_form
from .binding import bound_to

FORM = "application/x-www-form-urlencoded"


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


def register() -> None:
    """Register the serializer with Schemathesis (idempotent: its registry is keyed by media type)."""
    import schemathesis

    @schemathesis.serializer(FORM)
    def _serialize(ctx: Any, value: Any) -> bytes:
        # Schemathesis (4.32) flattens a dict body with the `encoding` styles before calling a
        # serializer (`Channel[type]=sms`), ignoring `contentType`; the case keeps the body as
        # generated, so the JSON fields are encoded from that.
        case = ctx.case
        body = case.body if isinstance(case.body, dict) else value
        binding = bound_to(case)
        return form_body(body, binding.contract.operation_for(case.method, case.path) if binding else None)
