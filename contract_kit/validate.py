"""Payload -> violations, by the contract document and nothing else.

The request schema of an operation is compiled once per process with jsonschema-rs. A valid
payload costs one `is_valid` call; an invalid one is explained error by error, each error owned
by the innermost `x-rule` on its evaluation path (or the `x-required-rules` entry for a missing
member), so rule ids, messages and severities all come from the document.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jsonschema_rs

from .contract import DEFAULT_OPERATION, Contract, Rule, Severity, default_contract
from .wire import Decoded, Decoder, json_safe

UNOWNED_RULE = "contract.unowned"
"""Rule id for a schema constraint that no `x-rule` owns: a defect of the document, which the
test suite forbids; reported rather than raised so a payload is never lost."""

_ENGINE_ERRORS = (ValueError, TypeError, OverflowError, RecursionError)


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule at one place in a payload."""

    rule: str
    pointer: str
    message: str
    severity: Severity = "error"

    def to_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "pointer": self.pointer, "message": self.message, "severity": self.severity}


@dataclass(frozen=True, slots=True)
class Report:
    """The verdict on one payload: valid unless a violation has severity `error`."""

    operation: str
    violations: tuple[Violation, ...] = ()

    @property
    def valid(self) -> bool:
        return all(v.severity != "error" for v in self.violations)

    @property
    def errors(self) -> tuple[Violation, ...]:
        return tuple(v for v in self.violations if v.severity == "error")

    @property
    def warnings(self) -> tuple[Violation, ...]:
        return tuple(v for v in self.violations if v.severity == "warning")

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
        self.operation = contract.operation(operation_id)
        self._operation_id = operation_id
        op = self.operation
        shared = {k: contract.document[k] for k in ("paths", "components") if k in contract.document}
        self._body_root: dict[str, Any] | None
        if op.body_pointer:
            self._body_root = {**contract.resolve(op.body_pointer), **shared}
            field_names = list(_properties_of(contract, op.body_pointer))
        elif op.query_parameters:
            self._body_root = {
                "type": "object",
                "properties": {name: {"$ref": "#" + ptr} for name, ptr in op.query_parameters},
                **shared,
            }
            field_names = [name for name, _ in op.query_parameters]
        else:
            self._body_root = None
            field_names = []
        self._warn_root = {**contract.resolve(op.warnings_pointer), **shared} if op.warnings_pointer else None
        self._schema = _compile(self._body_root)
        self._warn_schema = _compile(self._warn_root)
        integer_fields = [name for name, ptr in op.query_parameters if _schema_type(contract, ptr) == "integer"]
        self.decoder = Decoder(
            field_names,
            op.json_fields,
            integer_fields=integer_fields,
            body_is_json=bool(op.media_type and "json" in op.media_type),
        )
        self._owners: dict[tuple[Any, ...], str] = {}

    # -- public -------------------------------------------------------------------------------
    def validate(self, payload: Any) -> Report:
        """Validate one payload in any shape; never raises, whatever the payload."""
        try:
            decoded = self.decoder.decode(payload)
        except _ENGINE_ERRORS as exc:  # pragma: no cover - the decoder guards its own input
            decoded = Decoded(json_safe(payload), {"": f"unreadable payload ({exc})"})
        return self.check(decoded)

    def check(self, decoded: Decoded) -> Report:
        """Validate a payload already in decoded form."""
        instance = decoded.instance
        schema, warn = self._schema, self._warn_schema
        try:
            body_ok = schema is None or schema.is_valid(instance)
            warn_ok = warn is None or warn.is_valid(instance)
        except _ENGINE_ERRORS:
            instance = json_safe(instance)
            body_ok = warn_ok = False
        if body_ok and warn_ok:
            return Report(self._operation_id)
        found: dict[tuple[str, str], Violation] = {}
        if not body_ok:
            self._collect(schema, self._body_root, instance, decoded.notes, found)
        if not warn_ok:
            self._collect(warn, self._warn_root, instance, decoded.notes, found)
        return Report(self._operation_id, tuple(found.values()))

    def _collect(
        self,
        engine: Any,
        root: dict[str, Any] | None,
        instance: Any,
        notes: Mapping[str, str],
        found: dict[tuple[str, str], Violation],
    ) -> None:
        """Add the violations of one compiled schema to `found`, first occurrence of (rule, pointer) wins."""
        if engine is None or root is None:
            return
        try:
            errors = list(engine.iter_errors(instance))
        except _ENGINE_ERRORS as exc:
            try:
                errors = list(engine.iter_errors(json_safe(instance)))
            except _ENGINE_ERRORS:
                rule = self._rule(self._owner(root, (), None))
                message = f"{rule.message} (unreadable payload: {exc})"
                found.setdefault((rule.id, ""), Violation(rule.id, "", message, rule.severity))
                return
        for error in errors:
            self._explain(root, error, notes, found)

    # -- explaining one engine error ----------------------------------------------------------
    def _explain(
        self, root: Mapping[str, Any], error: Any, notes: Mapping[str, str], found: dict[tuple[str, str], Violation]
    ) -> None:
        kind = error.kind
        kind_name = type(kind).__name__
        base = _pointer(error.instance_path)
        missing = kind.property if kind_name == "Required" else None
        rule = self._rule(self._owner(root, tuple(error.evaluation_path), missing))
        rule_id = rule.id
        if missing is not None:
            pointer = f"{base}/{_escape(missing)}"
            targets = [t for t in rule.targets if t.startswith(pointer + "/")] if rule.targets else ()
            for target in targets or (pointer,):
                if (rule_id, target) not in found:
                    found[(rule_id, target)] = Violation(rule_id, target, rule.message, rule.severity)
            return
        if kind_name == "PropertyNames":
            key = kind.error.instance
            pointer = f"{base}/{_escape(str(key))}"
            detail = f"got key {_show(key)}"
        else:
            pointer = base
            note = notes.get(base)
            value = error.instance
            detail = note if note is not None else f"got {_describe(value) if kind_name == 'Type' else _show(value)}"
        if (rule_id, pointer) not in found:
            found[(rule_id, pointer)] = Violation(rule_id, pointer, f"{rule.message}; {detail}", rule.severity)

    def _rule(self, rule_id: str | None) -> Rule:
        if rule_id is not None and rule_id in self.contract.rules:
            return self.contract.rules[rule_id]
        return Rule(UNOWNED_RULE, "the contract has no rule for this constraint (a defect of the document)", "", "")

    def _owner(self, root: Mapping[str, Any], path: tuple[Any, ...], missing: str | None) -> str | None:
        key = (id(root), path, missing)
        cached = self._owners.get(key)
        if cached is not None:
            return cached
        owner: str | None = None
        node: Any = root
        parent: Any = None
        try:
            for segment in path:
                if isinstance(node, Mapping) and isinstance(node.get("x-rule"), str):
                    owner = node["x-rule"]
                parent = node
                node = self.contract.resolve(node["$ref"]) if segment == "$ref" else node[segment]
            if isinstance(node, Mapping) and isinstance(node.get("x-rule"), str):
                owner = node["x-rule"]
        except (KeyError, IndexError, TypeError):
            pass
        if missing is not None and isinstance(parent, Mapping):
            by_member = parent.get("x-required-rules")
            if isinstance(by_member, Mapping) and missing in by_member:
                owner = str(by_member[missing])
        if owner is not None:
            self._owners[key] = owner
        return owner


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1") if ("~" in token or "/" in token) else token


def _pointer(path: Any) -> str:
    """The JSON pointer of an engine instance path (str keys, int indexes)."""
    if not path:
        return ""
    return "/" + "/".join(_escape(t) if isinstance(t, str) else str(t) for t in path)


def _compile(root: dict[str, Any] | None) -> Any:
    if root is None:
        return None
    return jsonschema_rs.Draft202012Validator(root, validate_formats=False)


def _properties_of(contract: Contract, pointer: str) -> Mapping[str, Any]:
    node = contract.resolve(pointer)
    while isinstance(node, Mapping) and "$ref" in node and "properties" not in node:
        node = contract.resolve(node["$ref"])
    props = node.get("properties", {}) if isinstance(node, Mapping) else {}
    return props if isinstance(props, Mapping) else {}


def _schema_type(contract: Contract, pointer: str) -> Any:
    node = contract.resolve(pointer)
    while isinstance(node, Mapping) and "$ref" in node:
        node = contract.resolve(node["$ref"])
    return node.get("type") if isinstance(node, Mapping) else None


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


def _show(value: Any, limit: int = 60) -> str:
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


def validate(payload: Any, operation: str = DEFAULT_OPERATION, *, contract: Contract | None = None) -> Report:
    """Validate one request payload (decoded, wire or SDK shape) against the contract.

    >>> validate({"Channel": {"type": "sms", "initiated_by": "customer"}}).valid
    False
    """
    return validator_for(operation, contract).validate(payload)
