"""Payload shapes: the wire form, the decoded form and the vendor SDK's keyword names.

Flex write operations take `application/x-www-form-urlencoded` bodies in which some fields
(the document's `encoding` says which) are JSON-encoded strings. People hold payloads in three
shapes; this module turns any of them into the decoded form the schemas describe, and back.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode

from .pointers import escape

_CAMEL_BOUNDARY = re.compile(r"(?<!^)(?=[A-Z])")
_MAX_DEPTH = 64
_SCAN: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
"""The scanner `json.loads` uses (same defaults; typeshed omits the attribute); it keeps nothing
between calls."""
_NOT_FIRST = frozenset(" \t\n\r\ufeff")
"""What `json.loads` treats specially before a value: whitespace, and a BOM (an error)."""


def sdk_name(field_name: str) -> str:
    """The vendor SDK's keyword for a wire field: `InteractionContextSid` -> `interaction_context_sid`."""
    return _CAMEL_BOUNDARY.sub("_", field_name).lower()


WireKind = Literal["duplicate", "unknown", "encoding"]


@dataclass(frozen=True, slots=True)
class WireNote:
    """Something the wire showed that no schema can: a field sent twice, an unknown field, bytes that
    are not UTF-8. The contract's `WIRE_RULES` say which rule each kind is."""

    kind: WireKind
    pointer: str
    detail: str


@dataclass(slots=True)
class Decoded:
    """A payload in decoded form, with notes on what could not be decoded and what the wire showed."""

    instance: Any
    notes: dict[str, str] = field(default_factory=dict)
    """JSON pointer -> why the value there is still raw (not JSON, not UTF-8, ...): the detail of
    the schema error that value then causes."""
    wire: list[WireNote] = field(default_factory=list)


class Decoder:
    """Decodes payloads for one operation, whose field names and JSON fields it is given."""

    def __init__(
        self,
        field_names: Iterable[str],
        json_fields: Iterable[str] = (),
        *,
        integer_fields: Iterable[str] = (),
        body_is_json: bool = False,
        check_fields: bool = False,
    ) -> None:
        names = list(field_names)
        self.field_names = frozenset(names)
        self.json_fields = frozenset(json_fields)
        self.integer_fields = frozenset(integer_fields)
        self.body_is_json = body_is_json
        self.check_fields = check_fields and bool(names)
        """Report fields the operation does not name (`unknown`); only for named-field requests."""
        self.aliases = {sdk_name(n): n for n in names if sdk_name(n) != n}
        self._json_order = tuple(sorted(self.json_fields))
        self._integer_order = tuple(sorted(self.integer_fields))

    def decode(self, payload: Any) -> Decoded:
        if type(payload) is dict:  # the decoded or wire-form shape: none of the raw-body steps apply
            notes: dict[str, str] = {}
            decoded = Decoded(self._fields(payload, notes), notes, [])
            if self.check_fields and not decoded.instance.keys() <= self.field_names:
                self._unknown(decoded.instance, decoded)
            return decoded
        decoded = Decoded(None, {}, [])
        if isinstance(payload, (bytes, bytearray, memoryview)):
            raw = bytes(payload)
            try:
                payload = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                reason = f"the body is not UTF-8 ({exc.reason} at byte {exc.start})"
                payload = raw.decode("utf-8", "replace")
                if self.body_is_json:
                    decoded.notes[""] = reason  # JSON is UTF-8 by definition: the body's own rule
                    decoded.instance = payload
                    return decoded
                decoded.wire.append(WireNote("encoding", "", reason))
        if isinstance(payload, str):
            payload = self._parse_body(payload, decoded)
            if not isinstance(payload, dict):
                decoded.instance = payload
                return decoded
        if not isinstance(payload, Mapping):
            decoded.instance = payload
            return decoded
        decoded.instance = out = self._fields(payload, decoded.notes)
        if self.check_fields and not out.keys() <= self.field_names:
            self._unknown(out, decoded)
        return decoded

    def _unknown(self, fields: dict[Any, Any], decoded: Decoded) -> None:
        for name in fields:
            if name not in self.field_names:
                detail = f"{_short(name)} is not a field of this operation"
                decoded.wire.append(WireNote("unknown", "/" + escape(str(name)), detail))

    def _fields(self, payload: Mapping[Any, Any], notes: dict[str, str]) -> dict[Any, Any]:
        """The fields under their canonical names, with JSON and integer fields decoded.

        A copy with only the few fields that may need work visited: a Python step per field was
        most of the cost of a payload already in decoded form."""
        out = dict(payload) if type(payload) is dict else dict(payload.items())
        if self.aliases and not self.aliases.keys().isdisjoint(out):
            return self._renamed(payload, notes)
        for name in self._json_order:
            value = out.get(name)
            if type(value) is str and value and value[0] not in _NOT_FIRST:  # `_loads`, inlined
                try:
                    parsed, end = _SCAN(value, 0)
                except (StopIteration, ValueError, RecursionError):
                    end = -1
                if end == len(value):
                    out[name] = parsed
                    continue
            if isinstance(value, (str, bytes, bytearray)):
                out[name] = _decode_json_field(value, name, notes)
        for name in self._integer_order:
            if name in out:
                value = out[name]
                if isinstance(value, str):
                    out[name] = _as_int(value)
        return out

    def _renamed(self, payload: Mapping[Any, Any], notes: dict[str, str]) -> dict[Any, Any]:
        """`_fields` for a payload using SDK keywords: the canonical spelling wins over the keyword."""
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
        return out

    def _parse_body(self, body: str, decoded: Decoded) -> Any:
        if self.body_is_json:
            try:
                return json.loads(body)
            except (ValueError, RecursionError) as exc:
                decoded.notes[""] = f"the body is not JSON ({_reason(exc)})"
                return body
        try:
            pairs = parse_qsl(body, keep_blank_values=True, errors="strict")
        except (ValueError, UnicodeDecodeError) as exc:
            if not any(n.kind == "encoding" for n in decoded.wire):
                decoded.wire.append(WireNote("encoding", "", f"a percent-encoded value is not UTF-8 ({_reason(exc)})"))
            pairs = parse_qsl(body, keep_blank_values=True, errors="replace")
        fields: dict[str, Any] = {}
        for key, value in pairs:
            if key in fields:  # servers take the last value; saying so is advice (WIRE_RULES)
                pointer = "/" + escape(key)
                if not any(n.kind == "duplicate" and n.pointer == pointer for n in decoded.wire):
                    decoded.wire.append(WireNote("duplicate", pointer, f"{_short(key)} is sent more than once"))
            fields[key] = value
        return fields


def _decode_json_field(value: Any, name: str, notes: dict[str, str]) -> Any:
    if isinstance(value, (bytes, bytearray)):
        value = bytes(value).decode("utf-8", "replace")
    if not isinstance(value, str):
        return value
    try:
        return _loads(value)
    except (ValueError, RecursionError) as exc:
        notes["/" + escape(name)] = f"not valid JSON: {_reason(exc)}"
        return value


def _loads(text: str) -> Any:
    """`json.loads(text)`, by its C scanner alone when the text is one JSON value and nothing else:
    the Python wrapper around the scanner costs as much as parsing a small field."""
    if text and text[0] not in _NOT_FIRST:
        try:
            value, end = _SCAN(text, 0)
        except (StopIteration, ValueError, RecursionError):
            pass  # json.loads raises the error, with its message
        else:
            if end == len(text):
                return value
    return json.loads(text)


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


def _short(name: Any, limit: int = 40) -> str:
    text = json.dumps(name, ensure_ascii=False) if isinstance(name, str) else repr(name)
    return text if len(text) <= limit else text[: limit - 1] + "…"


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
