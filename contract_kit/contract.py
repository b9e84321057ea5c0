"""The contract, compiled: the one reader of the OpenAPI document.

`Contract` loads `openapi/interactions.yaml` (or any document of the same conventions) and
derives, once, everything the rest of contract-kit needs: per operation (`Operation`) its request
schema root (body, or the query parameters as one object), whether a body is required, its root
rule, its JSON-encoded form fields, its declared responses (status -> compiled validator), its
links and the SID prefix of each path parameter and of the resource it answers with; and the rule
catalogue (`Rule`) with each rule's basis. Nothing outside this module reads `paths` or follows a
`$ref` by itself.
"""

from __future__ import annotations

import functools
import os
import re
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from . import pointers

Severity = Literal["error", "warning"]
Basis = Literal["vendor", "ours"]
"""`vendor`: the rule restates a sentence of the vendor (its page or its OpenAPI document).
`ours`: our stricter reading or advice; never, by default, a reason to fail a payload or a server."""

DOCUMENT_NAME = "interactions.yaml"
DOCUMENT_ENV = "CONTRACT_KIT_DOCUMENT"
DEFAULT_OPERATION = "CreateInteraction"
FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
VENDOR_ERROR_SCHEMA = "/components/schemas/VendorError"
_METHODS = ("get", "put", "post", "delete", "patch", "options", "head", "trace")
_SID_PATTERN = re.compile(r"^\^([A-Z]{2})\[0-9a-fA-F\]\{32\}\$$")
_MAX_REFS = 32

WIRE_RULES: Mapping[str, str] = {
    "duplicate": "request.duplicate_field",
    "unknown": "request.unknown_field",
    "encoding": "request.encoding",
    "content_type": "request.content_type",
}
"""What the decoder can notice on the wire (no schema can) -> the catalogue rule it reports."""

# Kept importable from here: the pointer helpers live in `pointers`.
pointer_escape = pointers.escape
pointer_join = pointers.join
pointer_tokens = pointers.tokens


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
    """The severity the rule's own reading gives (what `--strict` reports)."""
    basis: Basis = "vendor"
    decision: str = ""
    """Why the rule has its basis: how the vendor's page was read."""
    targets: tuple[str, ...] = ()
    operations: tuple[str, ...] = ()

    @property
    def stricter(self) -> bool:
        """An error only under `--strict`: our reading, which the vendor does not state."""
        return self.basis == "ours" and self.severity == "error"

    def severity_for(self, strict: bool = False) -> Severity:
        """The severity a violation of this rule is reported with."""
        if self.severity == "error" and self.basis == "ours" and not strict:
            return "warning"
        return self.severity

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "operation": self.operations[0] if self.operations else "",
            "operations": list(self.operations),
            "severity": self.severity_for(False),
            "strict_severity": self.severity,
            "basis": self.basis,
            "decision": self.decision,
            "condition": self.condition,
            "source": self.source,
            "message": self.message,
        }


@dataclass(frozen=True)
class Link:
    """An OpenAPI link of a response: which operation it leads to, and how its parameters are filled."""

    name: str
    operation_id: str
    parameters: tuple[tuple[str, str], ...]
    """(parameter name, runtime expression such as `$response.body#/sid`)."""

    def values(self, body: Any) -> dict[str, str]:
        """The parameters this link fills from a response body (those it can find)."""
        out: dict[str, str] = {}
        for name, expression in self.parameters:
            if not expression.startswith("$response.body#"):
                continue
            node: Any = body
            for token in pointers.tokens(expression[len("$response.body#") :]):
                node = node.get(token) if isinstance(node, Mapping) else None
            if isinstance(node, str) and node:
                out[name] = node
        return out


@dataclass(frozen=True)
class ResponseSpec:
    """One declared response of an operation."""

    status: int
    pointer: str
    """Where the response object lives (after following its `$ref`)."""
    schema_pointer: str | None
    """Its `application/json` schema, if it declares one."""
    links: tuple[Link, ...] = ()


@dataclass(frozen=True)
class Operation:
    """One operation of the document, with everything derived from it."""

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
    body_required: bool = False
    root_rule: str | None = None
    """The rule owning the request as a whole (`request.form`, `invite.form`, ...)."""
    field_names: tuple[str, ...] = ()
    """The named fields of the request: body properties, or query parameter names."""
    integer_fields: frozenset[str] = frozenset()
    responses: tuple[ResponseSpec, ...] = ()
    path_sid_prefixes: tuple[tuple[str, str], ...] = ()
    """(path parameter, the SID prefix its pattern demands), e.g. ("InteractionSid", "KD")."""
    resource_prefix: str | None = None
    """The SID prefix of the resource a success answers with (what a create creates)."""

    @property
    def is_form(self) -> bool:
        return self.media_type == FORM_MEDIA_TYPE

    @property
    def is_json_body(self) -> bool:
        return bool(self.media_type and "json" in self.media_type)

    @property
    def has_request(self) -> bool:
        """Whether the contract has anything to say about the request (a body or a query)."""
        return bool(self.body_pointer or self.query_parameters)

    @property
    def is_write(self) -> bool:
        return self.method in ("POST", "PUT", "PATCH", "DELETE")

    def response(self, status: int) -> ResponseSpec | None:
        return next((r for r in self.responses if r.status == status), None)

    @property
    def links(self) -> tuple[Link, ...]:
        """The links of every success response, each once by name."""
        seen: dict[str, Link] = {}
        for response in self.responses:
            if 200 <= response.status < 300:
                for link in response.links:
                    seen.setdefault(link.name, link)
        return tuple(seen.values())

    def sid_prefix(self, parameter: str) -> str | None:
        return dict(self.path_sid_prefixes).get(parameter)


@dataclass
class _Compiled:
    """Compiled validators of one contract, built on first use (per contract, never module-wide)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    by_key: dict[tuple[str, bool], Any] = field(default_factory=dict)


class Contract:
    """A loaded contract document and the facts derived from it."""

    def __init__(self, document: Mapping[str, Any], source: str = "<memory>") -> None:
        if not isinstance(document, Mapping) or not isinstance(document.get("paths"), Mapping):
            raise ContractError(f"{source}: not an OpenAPI document (no 'paths')")
        self.document: Mapping[str, Any] = document
        self.source = source
        self._compiled = _Compiled()
        self.operations: dict[str, Operation] = dict(self._find_operations())
        self.rules: dict[str, Rule] = self._build_rules()

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None) -> Contract:
        """Load a contract document (YAML or JSON); the packaged one by default."""
        target = Path(path) if path is not None else default_document_path()
        try:
            text = target.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ContractError(f"cannot read the contract document {target}: {exc}") from exc
        from . import document_cache

        document = document_cache.lookup(text)  # a parse of this very text, kept by an earlier process
        if document is None:
            from .yamlload import YamlError, load_yaml  # imported only when parsing: it costs a YAML import

            try:
                document = load_yaml(text, str(target))
            except YamlError as exc:
                raise ContractError(str(exc)) from exc
            document_cache.store(text, document)
        return cls(document, str(target))

    # -- lookups ------------------------------------------------------------------------------
    def resolve(self, pointer: str) -> Any:
        """The node at a JSON pointer (`#/components/...` or `/components/...`)."""
        node: Any = self.document
        for token in pointers.tokens(pointer):
            node = node[int(token)] if isinstance(node, list) else node[token]
        return node

    def follow(self, node: Mapping[str, Any]) -> Any:
        """One hop of a `$ref`: the node `node["$ref"]` names."""
        return self.resolve(node["$ref"])

    def deref(self, node: Any) -> Any:
        """`node` with its `$ref` chain followed (a node that only refers elsewhere is that node)."""
        for _ in range(_MAX_REFS):
            if not (isinstance(node, Mapping) and isinstance(node.get("$ref"), str)):
                return node
            node = self.resolve(node["$ref"])
        raise ContractError(f"{self.source}: a $ref chain longer than {_MAX_REFS} (a cycle?)")

    def deref_pointer(self, pointer: str) -> str:
        """Where the node at `pointer` really lives, following its `$ref` chain."""
        for _ in range(_MAX_REFS):
            node = self.resolve(pointer)
            if not (isinstance(node, Mapping) and isinstance(node.get("$ref"), str)):
                return pointer
            pointer = node["$ref"].lstrip("#")
        raise ContractError(f"{self.source}: a $ref chain longer than {_MAX_REFS} (a cycle?)")

    def schema_root(self, pointer: str) -> dict[str, Any]:
        """A standalone JSON Schema for the node at `pointer`: its `$ref`s still resolve."""
        node = self.resolve(pointer)
        return self._rooted(node if isinstance(node, Mapping) else {"allOf": [node]})

    def _rooted(self, node: Mapping[str, Any]) -> dict[str, Any]:
        shared = {k: self.document[k] for k in ("paths", "components") if k in self.document}
        return {**node, **shared}

    def request_schema(self, operation_id: str) -> dict[str, Any] | None:
        """The request schema root of an operation: its body, or its query parameters as one object."""
        op = self.operation(operation_id)
        if op.body_pointer:
            return self.schema_root(op.body_pointer)
        if op.query_parameters:
            properties = {name: {"$ref": "#" + ptr} for name, ptr in op.query_parameters}
            return self._rooted({"type": "object", "properties": properties})
        return None

    def warnings_schema(self, operation_id: str) -> dict[str, Any] | None:
        op = self.operation(operation_id)
        return self.schema_root(op.warnings_pointer) if op.warnings_pointer else None

    def validator(self, pointer: str, *, formats: bool = False) -> Any:
        """The compiled jsonschema-rs validator of the schema at `pointer` (built once per contract)."""
        import jsonschema_rs

        key = (pointer, formats)
        compiled = self._compiled.by_key.get(key)
        if compiled is None:
            with self._compiled.lock:
                compiled = self._compiled.by_key.get(key)
                if compiled is None:
                    compiled = jsonschema_rs.Draft202012Validator(self.schema_root(pointer), validate_formats=formats)
                    self._compiled.by_key[key] = compiled
        return compiled

    def response_validator(self, operation_id: str, status: int, *, formats: bool = False) -> Any | None:
        """The compiled schema of an operation's response for `status` (None: undeclared, or no JSON schema)."""
        response = self.operation(operation_id).response(status)
        if response is None or response.schema_pointer is None:
            return None
        return self.validator(response.schema_pointer, formats=formats)

    def vendor_error_validator(self, *, formats: bool = False) -> Any:
        """The vendor's error body `{code, message, more_info, status}`."""
        return self.validator(VENDOR_ERROR_SCHEMA, formats=formats)

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

    def operation_for(self, method: str, path: str) -> Operation | None:
        """The operation of a method and a path template (`/v1/Interactions/{Sid}`), if any."""
        method = method.upper()
        return next((op for op in self.operations.values() if op.method == method and op.path == path), None)

    def creator_of(self, prefix: str) -> Operation | None:
        """The operation that creates resources of a SID prefix: a POST to a collection answering one."""
        for op in self.operations.values():
            if op.resource_prefix == prefix and op.method == "POST" and not op.path.endswith("}"):
                return op
        return None

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
                    stack.append(current + pointers.join(key))
                elif isinstance(value, list):
                    stack.extend(
                        current + pointers.join(key, i) for i, item in enumerate(value) if isinstance(item, Mapping)
                    )

    # -- derivation ---------------------------------------------------------------------------
    def _find_operations(self) -> Iterator[tuple[str, Operation]]:
        for path, item in self.document["paths"].items():
            if not isinstance(item, Mapping):
                continue
            shared = list(item.get("parameters", []))
            for method in _METHODS:
                op = item.get(method)
                if not isinstance(op, Mapping) or "operationId" not in op:
                    continue
                yield op["operationId"], self._operation(path, method, op, shared)

    def _operation(self, path: str, method: str, op: Mapping[str, Any], shared: list[Any]) -> Operation:
        base = pointers.join("paths", path, method)
        query: list[tuple[str, str]] = []
        in_path: list[tuple[str, str]] = []
        params = [(pointers.join("paths", path, "parameters", i), p) for i, p in enumerate(shared)]
        params += [(base + pointers.join("parameters", i), p) for i, p in enumerate(op.get("parameters", []))]
        for where, _ in params:
            where = self.deref_pointer(where)
            param = self.resolve(where)
            target = query if param.get("in") == "query" else in_path if param.get("in") == "path" else None
            if target is not None:
                target.append((param["name"], where + "/schema"))
        media_type = body_pointer = warnings_pointer = None
        json_fields: frozenset[str] = frozenset()
        body_required = False
        if isinstance(op.get("requestBody"), Mapping):
            body_base = self.deref_pointer(base + "/requestBody")
            body = self.resolve(body_base)
            body_required = bool(body.get("required", False))
            media_type, media = next(iter(body.get("content", {}).items()))
            media_base = body_base + pointers.join("content", media_type)
            body_pointer = media_base + "/schema"
            if "x-warnings" in media:
                warnings_pointer = media_base + "/x-warnings"
            json_fields = frozenset(
                name
                for name, enc in media.get("encoding", {}).items()
                if str(enc.get("contentType", "")).startswith("application/json")
            )
        field_names = tuple(self._properties(body_pointer)) if body_pointer else tuple(name for name, _ in query)
        integer_fields = frozenset(
            name for name, ptr in query if self.deref(self.resolve(ptr)).get("type") == "integer"
        )
        responses = tuple(self._responses(base, op))
        success = tuple(r.status for r in responses if 200 <= r.status < 300)
        return Operation(
            operation_id=op["operationId"],
            method=method.upper(),
            path=path,
            media_type=media_type,
            body_pointer=body_pointer,
            warnings_pointer=warnings_pointer,
            json_fields=json_fields,
            query_parameters=tuple(query),
            path_parameters=tuple(in_path),
            success_statuses=success,
            body_required=body_required,
            root_rule=self._root_rule(body_pointer) if body_pointer else None,
            field_names=field_names,
            integer_fields=integer_fields,
            responses=responses,
            path_sid_prefixes=tuple(
                (name, prefix) for name, ptr in in_path if (prefix := self._sid_prefix(self.resolve(ptr)))
            ),
            resource_prefix=self._resource_prefix(responses, success),
        )

    def _responses(self, base: str, op: Mapping[str, Any]) -> Iterator[ResponseSpec]:
        for code in op.get("responses", {}):
            if not str(code).isdigit():
                continue
            where = self.deref_pointer(base + pointers.join("responses", str(code)))
            node = self.resolve(where)
            media = (node.get("content") or {}).get("application/json")
            schema = where + pointers.join("content", "application/json", "schema") if isinstance(
                media, Mapping
            ) and "schema" in media else None
            links = tuple(
                Link(
                    name=str(name),
                    operation_id=str(link.get("operationId", "")),
                    parameters=tuple((str(k), str(v)) for k, v in (link.get("parameters") or {}).items()),
                )
                for name, raw in (node.get("links") or {}).items()
                if isinstance(link := self.deref(raw), Mapping)
            )
            yield ResponseSpec(int(code), where, schema, links)

    def _properties(self, pointer: str) -> Mapping[str, Any]:
        node = self.deref(self.resolve(pointer))
        props = node.get("properties", {}) if isinstance(node, Mapping) else {}
        return props if isinstance(props, Mapping) else {}

    def _root_rule(self, pointer: str) -> str | None:
        node = self.resolve(pointer)
        for _ in range(_MAX_REFS):
            if not isinstance(node, Mapping) or "x-rule" in node or "$ref" not in node:
                break
            node = self.resolve(node["$ref"])
        rule = node.get("x-rule") if isinstance(node, Mapping) else None
        return rule if isinstance(rule, str) else None

    def _sid_prefix(self, schema: Any) -> str | None:
        """The two-letter prefix a SID schema's pattern demands (`^KD[0-9a-fA-F]{32}$` -> KD)."""
        for _ in range(_MAX_REFS):
            node = self.deref(schema)
            if not isinstance(node, Mapping):
                return None
            found = _SID_PATTERN.match(str(node.get("pattern", "")))
            if found:
                return found.group(1)
            members = node.get("allOf")
            if not (isinstance(members, list) and members):
                return None
            schema = members[0]
        return None

    def _resource_prefix(self, responses: tuple[ResponseSpec, ...], success: tuple[int, ...]) -> str | None:
        for response in responses:
            if response.status in success and response.schema_pointer:
                schema = self.deref(self.resolve(response.schema_pointer))
                sid = (schema.get("properties") or {}).get("sid") if isinstance(schema, Mapping) else None
                prefix = self._sid_prefix(sid) if sid is not None else None
                if prefix:
                    return prefix
        return None

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
            for kind, rule_id in WIRE_RULES.items():
                if rule_id in users and _wire_rule_applies(kind, op) and op.operation_id not in users[rule_id]:
                    users[rule_id].append(op.operation_id)
        rules = {}
        for rule_id, entry in catalogue.items():
            basis = entry.get("basis", "vendor")
            if basis not in ("vendor", "ours"):
                raise ContractError(f"{self.source}: rule {rule_id!r} has basis {basis!r}; use vendor or ours")
            rules[rule_id] = Rule(
                id=rule_id,
                message=str(entry["message"]),
                condition=str(entry.get("condition", "")),
                source=str(entry.get("source", "")),
                severity="warning" if entry.get("severity") == "warning" else "error",
                basis=basis,
                decision=" ".join(str(entry.get("decision", "")).split()),
                targets=tuple(entry.get("targets", ())),
                operations=tuple(users[rule_id]),
            )
        return rules


def _wire_rule_applies(kind: str, op: Operation) -> bool:
    """Which operations a wire rule can concern: named fields (form or query) for the field rules,
    every body for the encoding and content-type rules."""
    if kind in ("duplicate", "unknown"):
        return bool(op.field_names) and (op.is_form or (not op.body_pointer and bool(op.query_parameters)))
    return op.body_pointer is not None and (kind == "content_type" or op.is_form)


def _rule_ids(node: Mapping[str, Any]) -> Iterator[str]:
    if isinstance(node.get("x-rule"), str):
        yield node["x-rule"]
    required_rules = node.get("x-required-rules")
    if isinstance(required_rules, Mapping):
        yield from (str(v) for v in required_rules.values())


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
