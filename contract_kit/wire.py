"""Payload shapes: the wire form, the decoded form and the vendor SDK's keyword names.

Flex write operations take `application/x-www-form-urlencoded` bodies in which some fields
(the document's `encoding` says which) are JSON-encoded strings. People hold payloads in three
shapes; this module turns any of them into the decoded form the schemas describe, and back.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

_CAMEL_BOUNDARY = re.compile(r"(?<!^)(?=[A-Z])")
_MAX_DEPTH = 64


def sdk_name(field_name: str) -> str:
    """The vendor SDK's keyword for a wire field: `InteractionContextSid` -> `interaction_context_sid`."""
    return _CAMEL_BOUNDARY.sub("_", field_name).lower()


@dataclass
class Decoded:
    """A payload in decoded form, with notes on fields that could not be decoded."""

    instance: Any
    notes: dict[str, str] = field(default_factory=dict)
    """JSON pointer -> why the value there is still raw (not JSON, duplicated, ...)."""


class Decoder:
    """Decodes payloads for one operation, whose field names and JSON fields it is given."""

    def __init__(
        self,
        field_names: Iterable[str],
        json_fields: Iterable[str] = (),
        *,
        integer_fields: Iterable[str] = (),
        body_is_json: bool = False,
    ) -> None:
        names = list(field_names)
        self.json_fields = frozenset(json_fields)
        self.integer_fields = frozenset(integer_fields)
        self.body_is_json = body_is_json
        self.aliases = {sdk_name(n): n for n in names if sdk_name(n) != n}

    def decode(self, payload: Any) -> Decoded:
        notes: dict[str, str] = {}
        if isinstance(payload, (bytes, bytearray, memoryview)):
            try:
                payload = bytes(payload).decode("utf-8")
            except UnicodeDecodeError as exc:
                notes[""] = f"the body is not UTF-8 ({exc.reason} at byte {exc.start})"
                return Decoded(bytes(payload).decode("utf-8", "replace"), notes)
        if isinstance(payload, str):
            payload = self._parse_body(payload, notes)
            if not isinstance(payload, dict):
                return Decoded(payload, notes)
        if not isinstance(payload, Mapping):
            return Decoded(payload, notes)
        aliases, json_fields, integer_fields = self.aliases, self.json_fields, self.integer_fields
        out: dict[Any, Any] = {}
        for key, value in payload.items():
            name = aliases.get(key, key) if isinstance(key, str) else key
            if name in out and name != key:
                continue  # the canonical spelling wins over the SDK keyword
            if name in json_fields:
                value = _decode_json_field(value, name, notes)
            elif name in integer_fields and isinstance(value, str):
                value = _as_int(value)
            out[name] = value
        return Decoded(out, notes)

    def _parse_body(self, body: str, notes: dict[str, str]) -> Any:
        if self.body_is_json:
            try:
                return json.loads(body)
            except (ValueError, RecursionError) as exc:
                notes[""] = f"the body is not JSON ({_reason(exc)})"
                return body
        try:
            pairs = parse_qsl(body, keep_blank_values=True, errors="strict")
        except (ValueError, UnicodeDecodeError) as exc:
            notes[""] = f"the body is not form encoding ({_reason(exc)})"
            return body
        fields: dict[str, Any] = {}
        for key, value in pairs:
            if key in fields:
                notes["/" + _escape(key)] = "this field is sent more than once"
                previous = fields[key]
                fields[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
            else:
                fields[key] = value
        return fields


def _decode_json_field(value: Any, name: str, notes: dict[str, str]) -> Any:
    if isinstance(value, (bytes, bytearray)):
        value = bytes(value).decode("utf-8", "replace")
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except (ValueError, RecursionError) as exc:
        notes["/" + _escape(name)] = f"not valid JSON: {_reason(exc)}"
        return value


def _as_int(value: str) -> Any:
    text = value.strip()
    if text.lstrip("-").isdigit():
        try:
            return int(text)
        except ValueError:
            return value
    return value


def _reason(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return str(exc).split("\n")[0][:120]


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def encode_form(decoded: Mapping[str, Any], json_fields: Iterable[str]) -> dict[str, str]:
    """The form fields the vendor's client sends for a decoded payload (`json.dumps` defaults)."""
    encoded_fields = frozenset(json_fields)
    out: dict[str, str] = {}
    for name, value in decoded.items():
        if name in encoded_fields and not isinstance(value, str):
            out[name] = json.dumps(value)
        elif isinstance(value, bool):
            out[name] = "true" if value else "false"
        else:
            out[name] = value if isinstance(value, str) else json.dumps(value)
    return out


def encode_body(decoded: Mapping[str, Any], json_fields: Iterable[str]) -> str:
    """A raw urlencoded body, as it travels."""
    return urlencode(encode_form(decoded, json_fields))


def to_sdk(decoded: Mapping[str, Any]) -> dict[str, Any]:
    """The keyword arguments the vendor SDK takes for a decoded payload."""
    return {sdk_name(name): value for name, value in decoded.items()}


def json_safe(value: Any, depth: int = 0) -> Any:
    """A copy that any JSON Schema engine accepts: str keys, JSON types, bounded depth.

    Only used when the fast path refuses a payload (non-str keys, sets, objects, huge ints), so
    that junk still yields violations instead of an exception.
    """
    if depth > _MAX_DEPTH:
        return "<nested too deeply>"
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value if -(2**63) <= value < 2**63 else float(value) if abs(value) < 1e308 else str(value)
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else str(value)
    if isinstance(value, Mapping):
        return {str(k): json_safe(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v, depth + 1) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    return repr(value)
