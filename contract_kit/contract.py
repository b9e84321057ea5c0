"""The contract document: where it lives, how it loads, and what it declares.

Everything else in contract-kit derives from the OpenAPI document this module loads: the
operations, the rule catalogue (`components.x-rules`) and the schema nodes that own each rule.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

Severity = Literal["error", "warning"]

DOCUMENT_NAME = "interactions.yaml"
DOCUMENT_ENV = "CONTRACT_KIT_DOCUMENT"
DEFAULT_OPERATION = "CreateInteraction"
_METHODS = ("get", "put", "post", "delete", "patch", "options", "head", "trace")


class ContractError(Exception):
    """The contract document is missing, unreadable, or refers to something it lacks."""


class UnknownOperationError(ContractError, KeyError):
    """An operationId that the contract does not declare."""

    def __init__(self, operation_id: str, known: list[str]) -> None:
        super().__init__(f"unknown operation {operation_id!r}; the contract declares: {', '.join(known)}")
        self.operation_id = operation_id
        self.known = known

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class Rule:
    """One entry of the rule catalogue, as a person reads it."""

    id: str
    message: str
    condition: str
    source: str
    severity: Severity = "error"
    targets: tuple[str, ...] = ()
    operations: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "operation": self.operations[0] if self.operations else "",
            "operations": list(self.operations),
            "severity": self.severity,
            "condition": self.condition,
            "source": self.source,
            "message": self.message,
        }


@dataclass(frozen=True)
class Operation:
    """One operation of the document, with where its request schemas live."""

    operation_id: str
    method: str
    path: str
    media_type: str | None = None
    body_pointer: str | None = None
    warnings_pointer: str | None = None
    json_fields: frozenset[str] = frozenset()
    query_parameters: tuple[tuple[str, str], ...] = ()
    path_parameters: tuple[tuple[str, str], ...] = ()
    success_statuses: tuple[int, ...] = ()

    @property
    def is_form(self) -> bool:
        return self.media_type == "application/x-www-form-urlencoded"


def pointer_escape(token: str | int) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def pointer_join(*tokens: str | int) -> str:
    return "".join("/" + pointer_escape(t) for t in tokens)


def pointer_tokens(pointer: str) -> list[str]:
    if pointer in ("", "#"):
        return []
    body = pointer[1:] if pointer.startswith("#") else pointer
    return [t.replace("~1", "/").replace("~0", "~") for t in body.split("/")[1:]]


class Contract:
    """A loaded contract document and the facts derived from it."""

    def __init__(self, document: Mapping[str, Any], source: str = "<memory>") -> None:
        if not isinstance(document, Mapping) or "paths" not in document:
            raise ContractError(f"{source}: not an OpenAPI document (no 'paths')")
        self.document: Mapping[str, Any] = document
        self.source = source
        self.operations: dict[str, Operation] = dict(self._find_operations())
        self.rules: dict[str, Rule] = self._build_rules()

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None) -> Contract:
        """Load a contract document (YAML or JSON); the packaged one by default."""
        target = Path(path) if path is not None else default_document_path()
        try:
            text = target.read_text(encoding="utf-8")
        except OSError as exc:
            raise ContractError(f"cannot read the contract document {target}: {exc}") from exc
        return cls(_parse_yaml(text, str(target)), str(target))

    # -- lookups ------------------------------------------------------------------------------
    def resolve(self, pointer: str) -> Any:
        """The node at a JSON pointer (`#/components/...` or `/components/...`)."""
        node: Any = self.document
        for token in pointer_tokens(pointer):
            node = node[int(token)] if isinstance(node, list) else node[token]
        return node

    def operation(self, operation_id: str) -> Operation:
        try:
            return self.operations[operation_id]
        except KeyError:
            raise UnknownOperationError(operation_id, sorted(self.operations)) from None

    def rule(self, rule_id: str) -> Rule:
        try:
            return self.rules[rule_id]
        except KeyError:
            raise ContractError(
                f"unknown rule {rule_id!r}; the contract declares: {', '.join(sorted(self.rules))}"
            ) from None

    def rules_for(self, operation_id: str) -> list[Rule]:
        self.operation(operation_id)
        return [r for r in self.rules.values() if operation_id in r.operations]

    def walk(self, pointer: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
        """Every schema node reachable from `pointer`, following `$ref`s, each once."""
        seen: set[str] = set()
        stack = [pointer]
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            node = self.resolve(current)
            if not isinstance(node, Mapping):
                continue
            yield current, node
            for key, value in node.items():
                if key == "$ref" and isinstance(value, str) and value.startswith("#"):
                    stack.append(value[1:])
                elif key in ("x-rules", "examples", "example", "enum", "const", "x-required-rules"):
                    continue
                elif isinstance(value, Mapping):
                    stack.append(current + pointer_join(key))
                elif isinstance(value, list):
                    stack.extend(
                        current + pointer_join(key, i) for i, item in enumerate(value) if isinstance(item, Mapping)
                    )

    # -- derivation ---------------------------------------------------------------------------
    def _find_operations(self) -> Iterator[tuple[str, Operation]]:
        for path, item in self.document["paths"].items():
            shared = list(item.get("parameters", []))
            for method in _METHODS:
                op = item.get(method)
                if not isinstance(op, Mapping) or "operationId" not in op:
                    continue
                base = pointer_join("paths", path, method)
                query: list[tuple[str, str]] = []
                in_path: list[tuple[str, str]] = []
                params = [(pointer_join("paths", path, "parameters", i), p) for i, p in enumerate(shared)]
                params += [(base + pointer_join("parameters", i), p) for i, p in enumerate(op.get("parameters", []))]
                for where, param in params:
                    if "$ref" in param:
                        where, param = param["$ref"][1:], self.resolve(param["$ref"])
                    target = query if param.get("in") == "query" else in_path if param.get("in") == "path" else None
                    if target is not None:
                        target.append((param["name"], where + "/schema"))
                media_type = body_pointer = warnings_pointer = None
                json_fields: frozenset[str] = frozenset()
                body = op.get("requestBody")
                if isinstance(body, Mapping):
                    body_base = base + "/requestBody"
                    if "$ref" in body:
                        body_base, body = body["$ref"][1:], self.resolve(body["$ref"])
                    media_type, media = next(iter(body.get("content", {}).items()))
                    media_base = body_base + pointer_join("content", media_type)
                    body_pointer = media_base + "/schema"
                    if "x-warnings" in media:
                        warnings_pointer = media_base + "/x-warnings"
                    json_fields = frozenset(
                        name
                        for name, enc in media.get("encoding", {}).items()
                        if str(enc.get("contentType", "")).startswith("application/json")
                    )
                statuses = tuple(int(code) for code in op.get("responses", {}) if str(code).startswith("2"))
                yield (
                    op["operationId"],
                    Operation(
                        operation_id=op["operationId"],
                        method=method.upper(),
                        path=path,
                        media_type=media_type,
                        body_pointer=body_pointer,
                        warnings_pointer=warnings_pointer,
                        json_fields=json_fields,
                        query_parameters=tuple(query),
                        path_parameters=tuple(in_path),
                        success_statuses=statuses,
                    ),
                )

    def _build_rules(self) -> dict[str, Rule]:
        catalogue = self.document.get("components", {}).get("x-rules", {})
        users: dict[str, list[str]] = {rule_id: [] for rule_id in catalogue}
        for op in self.operations.values():
            roots = [p for p in (op.body_pointer, op.warnings_pointer) if p]
            roots += [pointer for _, pointer in op.query_parameters]
            for root in roots:
                for _, node in self.walk(root):
                    for rule_id in _rule_ids(node):
                        if rule_id not in catalogue:
                            raise ContractError(
                                f"{self.source}: a schema names rule {rule_id!r}, "
                                "which components.x-rules does not define"
                            )
                        if op.operation_id not in users[rule_id]:
                            users[rule_id].append(op.operation_id)
        rules = {}
        for rule_id, entry in catalogue.items():
            rules[rule_id] = Rule(
                id=rule_id,
                message=str(entry["message"]),
                condition=str(entry.get("condition", "")),
                source=str(entry.get("source", "")),
                severity="warning" if entry.get("severity") == "warning" else "error",
                targets=tuple(entry.get("targets", ())),
                operations=tuple(users[rule_id]),
            )
        return rules


def _rule_ids(node: Mapping[str, Any]) -> Iterator[str]:
    if isinstance(node.get("x-rule"), str):
        yield node["x-rule"]
    required_rules = node.get("x-required-rules")
    if isinstance(required_rules, Mapping):
        yield from (str(v) for v in required_rules.values())


def _parse_yaml(text: str, source: str) -> Any:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(text, Loader=loader)
    except yaml.YAMLError as exc:
        raise ContractError(f"{source}: not valid YAML/JSON: {exc}") from exc


def default_document_path() -> Path:
    """The packaged document (wheel), else the checkout's `openapi/`, else $CONTRACT_KIT_DOCUMENT."""
    override = os.environ.get(DOCUMENT_ENV)
    if override:
        return Path(override)
    here = Path(__file__).resolve().parent
    for candidate in (here / "openapi" / DOCUMENT_NAME, here.parent / "openapi" / DOCUMENT_NAME):
        if candidate.is_file():
            return candidate
    raise ContractError(
        f"the contract document {DOCUMENT_NAME} is not installed beside contract_kit; "
        f"reinstall the package or set {DOCUMENT_ENV}"
    )


@functools.cache
def default_contract() -> Contract:
    """The packaged contract, loaded once per process."""
    return Contract.load()
