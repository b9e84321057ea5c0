"""The one request verdict: payload -> violations, by the contract document and nothing else.

`validate_request` (an HTTP request's parts) and `validate` (a payload in any shape) are the only
ways contract-kit judges a request: `contract-kit validate`, the mock, `run`'s checks and the
cassette checker all call them, so they cannot disagree.

The request schema of an operation is compiled once per contract with jsonschema-rs. A valid
payload costs one `is_valid` call; an invalid one is explained error by error, each error owned
by the innermost `x-rule` on its evaluation path (or the `x-required-rules` entry for a missing
member), so rule ids, messages, severities and bases all come from the document. What only the
wire shows (a field sent twice, an unknown field, bytes that are not UTF-8) is reported under the
rules `contract.WIRE_RULES` names. A rule whose basis is `ours` is a warning unless `strict`.
"""

from __future__ import annotations

import functools
import json
import operator
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import jsonschema_rs

from . import pointers
from .contract import (
    DEFAULT_OPERATION,
    FORM_MEDIA_TYPE,
    WIRE_RULES,
    Basis,
    Contract,
    Operation,
    Rule,
    Severity,
    default_contract,
)
from .wire import Decoded, Decoder, json_safe

UNOWNED_RULE = "contract.unowned"
"""Rule id for a schema constraint that no `x-rule` owns: a defect of the document, which the
test suite forbids; reported rather than raised so a payload is never lost."""

_ENGINE_ERRORS = (ValueError, TypeError, OverflowError, RecursionError)
_SEVERITY = operator.attrgetter("severity")


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule at one place in a payload."""

    rule: str
    pointer: str
    message: str
    severity: Severity = "error"
    basis: Basis = "vendor"
    strict_error: bool = True
    """Whether `--strict` makes it an error: every error, and our readings reported as warnings."""

    @property
    def stricter(self) -> bool:
        """Our reading, not the vendor's: an error only under `--strict` (a server may accept it)."""
        return self.strict_error and self.severity == "warning"

    def to_dict(self) -> dict[str, str]:
        return {
            "rule": self.rule,
            "pointer": self.pointer,
            "message": self.message,
            "severity": self.severity,
            "basis": self.basis,
        }


@dataclass(frozen=True, slots=True)
class Report:
    """The verdict on one payload: valid unless a violation has severity `error`."""

    operation: str
    violations: tuple[Violation, ...] = ()

    @property
    def valid(self) -> bool:
        return "error" not in map(_SEVERITY, self.violations)  # in C: a batch asks this of every report

    @property
    def errors(self) -> tuple[Violation, ...]:
        return tuple(v for v in self.violations if v.severity == "error")

    @property
    def warnings(self) -> tuple[Violation, ...]:
        return tuple(v for v in self.violations if v.severity == "warning")

    @property
    def stricter(self) -> tuple[Violation, ...]:
        """Violations of our stricter readings (warnings here, errors under `--strict`): a server
        may accept such a request or reject it; either conforms."""
        return tuple(v for v in self.violations if v.stricter)

    @property
    def rule_ids(self) -> frozenset[str]:
        return frozenset(v.rule for v in self.violations)

    def to_dict(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "valid": self.valid,
            "violations": [v.to_dict() for v in self.violations],
        }


class PayloadValidator:
    """The compiled validator of one operation's request payload."""

    def __init__(self, contract: Contract, operation_id: str = DEFAULT_OPERATION) -> None:
        self.contract = contract
        self.operation: Operation = contract.operation(operation_id)
        self._operation_id = operation_id
        op = self.operation
        self._body_root = contract.request_schema(operation_id)
        self._warn_root = contract.warnings_schema(operation_id)
        self._schema = _compile(self._body_root)
        self._warn_schema = _compile(self._warn_root)
        self.decoder = Decoder(
            op.field_names,
            op.json_fields,
            integer_fields=op.integer_fields,
            body_is_json=op.is_json_body,
            check_fields=op.is_form or (op.body_pointer is None and bool(op.query_parameters)),
        )
        self._wire_rules = {kind: contract.rules[rule] for kind, rule in WIRE_RULES.items() if rule in contract.rules}
        self._optional_json_body = op.is_json_body and not op.body_required
        self._clean = Report(operation_id)
        self._owned: dict[tuple[Any, ...], Rule] = {}
        """(schema root, evaluation path, missing member) -> the rule owning such an error."""
        self._places: dict[tuple[Any, ...], _Place] = {}
        """(schema root, evaluation path, instance path, missing member) -> what such an error means."""
        self._errors_expected = False
        """Whether the last payload broke the body schema. A valid payload costs one `is_valid`; an
        invalid one, `is_valid` and then `iter_errors`: after an invalid payload (invalid ones come in
        runs: a corpus of junk, a file of drafts), the next is asked for its errors at once. Either
        way the verdict is the same; only the cost of a run of one kind or the other changes."""

    # -- public -------------------------------------------------------------------------------
    def validate(self, payload: Any, *, strict: bool = False) -> Report:
        """Validate one payload in any shape; never raises, whatever the payload."""
        return self.check(self.decode(payload), strict=strict)

    def decode(self, payload: Any) -> Decoded:
        """The decoded form of a payload in any shape. An empty raw body of an operation whose JSON
        body is optional is no body at all: `{}`."""
        if self._optional_json_body and isinstance(payload, (bytes, str)) and not payload.strip():
            payload = {}
        try:
            return self.decoder.decode(payload)
        except _ENGINE_ERRORS as exc:  # pragma: no cover - the decoder guards its own input
            return Decoded(json_safe(payload), {"": f"unreadable payload ({exc})"})

    def check(self, decoded: Decoded, *, strict: bool = False, extra: tuple[Violation, ...] = ()) -> Report:
        """Validate a payload already in decoded form (with what its wire showed)."""
        instance = decoded.instance
        schema, warn = self._schema, self._warn_schema
        body_errors: list[Any] | None = None
        try:
            if schema is None:
                body_ok = True
            elif self._errors_expected:  # after an invalid payload, ask for the errors at once
                body_errors = list(schema.iter_errors(instance))
                body_ok = not body_errors
            else:
                body_ok = schema.is_valid(instance)
            warn_ok = warn is None or warn.is_valid(instance)
        except _ENGINE_ERRORS:
            instance = json_safe(instance)
            body_ok = warn_ok = False
            body_errors = None
        self._errors_expected = not body_ok
        if body_ok and warn_ok and not decoded.wire and not extra:
            return self._clean  # a Report is immutable: one instance serves every clean payload
        found: dict[tuple[str, str], Violation] = {}
        if not body_ok:
            self._collect(schema, self._body_root, instance, decoded.notes, found, strict, body_errors)
        if not warn_ok:
            self._collect(warn, self._warn_root, instance, decoded.notes, found, strict)
        for note in decoded.wire:
            rule = self._wire_rules.get(note.kind)
            if rule is not None and (rule.id, note.pointer) not in found:
                message = f"{rule.message}; {note.detail}"
                found[(rule.id, note.pointer)] = _violation(rule, note.pointer, message, strict)
        for violation in extra:
            found.setdefault((violation.rule, violation.pointer), violation)
        violations = tuple(found.values())
        return Report(self._operation_id, _one_entry_per_cause(violations) if len(violations) > 1 else violations)

    def _collect(
        self,
        engine: Any,
        root: dict[str, Any] | None,
        instance: Any,
        notes: Mapping[str, str],
        found: dict[tuple[str, str], Violation],
        strict: bool,
        errors: list[Any] | None = None,
    ) -> None:
        """Add the violations of one compiled schema to `found`, first occurrence of (rule, pointer) wins.
        `errors`: the engine's errors on `instance`, when the caller has them already."""
        if engine is None or root is None:
            return
        try:
            if errors is None:
                errors = list(engine.iter_errors(instance))
        except _ENGINE_ERRORS as exc:
            try:
                errors = list(engine.iter_errors(json_safe(instance)))
            except _ENGINE_ERRORS:
                rule = self._rule(self._owner(root, (), None))
                message = f"{rule.message} (unreadable payload: {exc})"
                found.setdefault((rule.id, ""), _violation(rule, "", message, strict))
                return
        # One pass over the engine's errors, its steps inlined: on an invalid payload this loop is
        # most of the Python-level cost of a report.
        places = self._places
        root_id = id(root)
        for error in errors:
            kind = error.kind
            kind_name = type(kind).__name__
            missing = kind.property if kind_name == "Required" else None
            key = (root_id, tuple(error.evaluation_path), tuple(error.instance_path), missing)
            place = places.get(key)
            if place is None:
                place = self._place(root, key, missing)
            if missing is not None:
                for violation in place.strict_violations if strict else place.violations:
                    found.setdefault((violation.rule, violation.pointer), violation)
                continue
            rule = place.rule
            if kind_name == "PropertyNames":
                key_name = kind.error.instance
                pointer = f"{place.pointer}/{pointers.escape(str(key_name))}"
                detail = f"got key {_show(key_name)}"
            else:
                pointer = place.pointer
                note = notes.get(pointer) if notes else None
                if note is not None:
                    detail = note
                else:
                    value = error.instance
                    detail = f"got {_describe(value) if kind_name == 'Type' else _show(value)}"
            if (rule.id, pointer) not in found:
                found[(rule.id, pointer)] = Violation(
                    rule.id,
                    pointer,
                    f"{rule.message}; {detail}",
                    place.strict_severity if strict else place.severity,
                    rule.basis,
                    place.strict_error,
                )

    def _place(self, root: Mapping[str, Any], key: tuple[Any, ...], missing: str | None) -> _Place:
        """What an engine error at one place means (see `_Place`), worked out once and kept."""
        root_id, evaluation_path, instance_path, _ = key
        owner_key = (root_id, evaluation_path, missing)
        rule = self._owned.get(owner_key)
        if rule is None:
            rule = self._rule(self._owner(root, evaluation_path, missing))
            _keep(self._owned, owner_key, rule)
        severity, strict_severity = rule.severity_for(False), rule.severity_for(True)
        strict_error = rule.severity == "error"
        pointer = pointers.from_path(instance_path)
        made: list[tuple[Violation, ...]] = [(), ()]
        if missing is not None:
            pointer = f"{pointer}/{pointers.escape(missing)}"
            targets = [t for t in rule.targets if t.startswith(pointer + "/")] if rule.targets else ()
            made = [
                tuple(Violation(rule.id, t, rule.message, s, rule.basis, strict_error) for t in targets or (pointer,))
                for s in (severity, strict_severity)
            ]
        place = _Place(rule, pointer, severity, strict_severity, strict_error, made[0], made[1])
        _keep(self._places, key, place)
        return place

    def _rule(self, rule_id: str | None) -> Rule:
        if rule_id is not None and rule_id in self.contract.rules:
            return self.contract.rules[rule_id]
        return Rule(UNOWNED_RULE, "the contract has no rule for this constraint (a defect of the document)", "", "")

    def _owner(self, root: Mapping[str, Any], path: tuple[Any, ...], missing: str | None) -> str | None:
        """The innermost `x-rule` on an evaluation path (or the `x-required-rules` entry of a missing
        member); callers cache the answer per path (`_owned`)."""
        owner: str | None = None
        node: Any = root
        parent: Any = None
        try:
            for segment in path:
                if isinstance(node, Mapping) and isinstance(node.get("x-rule"), str):
                    owner = node["x-rule"]
                parent = node
                node = self.contract.follow(node) if segment == "$ref" else node[segment]
            if isinstance(node, Mapping) and isinstance(node.get("x-rule"), str):
                owner = node["x-rule"]
        except (KeyError, IndexError, TypeError):
            pass
        if missing is not None and isinstance(parent, Mapping):
            by_member = parent.get("x-required-rules")
            if isinstance(by_member, Mapping) and missing in by_member:
                owner = str(by_member[missing])
        return owner


class _Place(NamedTuple):
    """What an engine error means, by where it is (schema root, evaluation path, instance path,
    missing member) whatever the payload: its rule, the pointer it is reported at, the severities,
    and for a missing member (whose message names no value) the violations themselves."""

    rule: Rule
    pointer: str
    severity: Severity
    strict_severity: Severity
    strict_error: bool
    violations: tuple[Violation, ...]
    strict_violations: tuple[Violation, ...]


_MAX_KEPT = 4096
"""Entries a per-validator cache holds before it starts over: instance paths come from payloads
(array indexes, unknown keys), so a long-running mock must not grow without bound."""


def _keep(cache: dict[Any, Any], key: Any, value: Any) -> None:
    if len(cache) >= _MAX_KEPT:
        cache.clear()
    cache[key] = value


def _violation(rule: Rule, pointer: str, message: str, strict: bool) -> Violation:
    severity = rule.severity
    if strict or rule.basis == "vendor":
        return Violation(rule.id, pointer, message, severity, rule.basis, severity == "error")
    return Violation(rule.id, pointer, message, rule.severity_for(strict), rule.basis, severity == "error")


def _one_entry_per_cause(violations: Any) -> tuple[Violation, ...]:
    """A value the vendor's rule already rejects is not reported again under a reading of ours
    (an agent-initiated `queue_sid` off its pattern is `routing.agent`, not also `routing.queue_sid`)."""
    found = tuple(violations)
    if len(found) < 2 or all(v.basis == "vendor" for v in found):
        return found
    stated = {v.pointer for v in found if v.basis == "vendor" and v.severity == "error"}
    if not stated:
        return found
    return tuple(v for v in found if v.basis == "vendor" or v.pointer not in stated)


def _compile(root: dict[str, Any] | None) -> Any:
    if root is None:
        return None
    return jsonschema_rs.Draft202012Validator(root, validate_formats=False)


_TYPE_NAMES = {
    dict: "an object",
    list: "an array",
    str: "a string",
    bool: "a boolean",
    int: "a number",
    float: "a number",
}


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    name = _TYPE_NAMES.get(type(value), type(value).__name__)
    if isinstance(value, (dict, list)):
        return name
    return f"{name} {_show(value)}"


_PLAIN = re.compile(r'[^"\\\x00-\x1f\x7f-\x9f\u2028\u2029]*')
"""Characters a JSON string shows as they are (no escape): such a string is quoted, not encoded."""


def _show(value: Any, limit: int = 60) -> str:
    """A value as JSON, cut at `limit` characters (messages quote what a payload held)."""
    if isinstance(value, str) and (
        (value.isprintable() and '"' not in value and "\\" not in value) or _PLAIN.fullmatch(value)
    ):
        text = f'"{value}"'  # what json.dumps(value, ensure_ascii=False) gives, without its cost
    elif value is None or value is True or value is False:
        text = "null" if value is None else "true" if value else "false"
    elif type(value) is int and -(10**18) < value < 10**18:
        text = str(value)
    else:
        try:
            text = json.dumps(value, ensure_ascii=False)
        except (TypeError, ValueError, RecursionError):
            text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@functools.lru_cache(maxsize=64)
def _cached_validator(contract: Contract, operation_id: str) -> PayloadValidator:
    return PayloadValidator(contract, operation_id)


def validator_for(operation_id: str = DEFAULT_OPERATION, contract: Contract | None = None) -> PayloadValidator:
    """The compiled validator of an operation, built once per process and contract."""
    return _cached_validator(contract or default_contract(), operation_id)


def validate(
    payload: Any, operation: str = DEFAULT_OPERATION, *, contract: Contract | None = None, strict: bool = False
) -> Report:
    """Validate one request payload (decoded, wire or SDK shape) against the contract.

    Rules of ours (basis `ours`) are warnings unless `strict`.

    >>> validate({"Channel": {"type": "sms", "initiated_by": "customer"}}).valid
    False
    """
    return validator_for(operation, contract).validate(payload, strict=strict)


def validate_request(
    operation: str | Operation,
    *,
    body: bytes | str | None = None,
    query: str | bytes | Mapping[str, Any] | None = None,
    content_type: str | None = None,
    strict: bool = False,
    contract: Contract | None = None,
) -> Report:
    """The verdict on an HTTP request as it travelled: its body (for operations with one), or its
    query string (for lists), and its Content-Type header when known.

    The one verdict of contract-kit: the mock, `run`, the cassette checker and `validate` agree
    because they all end here. An empty body on an operation whose body is optional is an empty
    set of fields (or `{}` for a JSON body). A Content-Type other than the operation's media type
    is reported under `request.content_type` (our reading: servers differ).
    """
    contract = contract or default_contract()
    op_id = operation.operation_id if isinstance(operation, Operation) else operation
    validator = validator_for(op_id, contract)
    op = validator.operation
    payload: Any
    extra: tuple[Violation, ...] = ()
    if op.body_pointer:
        payload = body if body is not None else b""
        extra = _content_type_violations(validator, op, content_type, payload, strict)
    elif op.query_parameters:
        payload = query if query is not None else ""
    else:
        return Report(op_id)
    return validator.check(validator.decode(payload), strict=strict, extra=extra)


def _content_type_violations(
    validator: PayloadValidator, op: Operation, content_type: str | None, body: bytes | str, strict: bool
) -> tuple[Violation, ...]:
    if content_type is None or not body.strip() or not op.media_type:
        return ()
    sent = content_type.split(";", 1)[0].strip().lower()
    if sent == op.media_type or (op.media_type != FORM_MEDIA_TYPE and sent.endswith("+json")):
        return ()
    rule = validator.contract.rules.get(WIRE_RULES["content_type"])
    if rule is None:
        return ()
    message = f"{rule.message}; sent as {sent or 'no content type'!r}, expected {op.media_type!r}"
    return (_violation(rule, "", message, strict),)
