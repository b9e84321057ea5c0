"""The two documents as drift reads them: operations under a path prefix, schema views, 3.0/3.1 normalised."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import pointers
from ..contract import Contract, ContractError
from ..yamlload import YamlError, load_yaml
from .findings import DriftInputError

_METHODS = ("get", "put", "post", "delete", "patch", "options", "head", "trace")
# Bounds of the JSON Schema vocabulary: a higher lower bound, or a lower upper bound, is stricter.
_LOWER_BOUNDS = ("minLength", "minimum", "exclusiveMinimum", "minItems", "minProperties")
_UPPER_BOUNDS = ("maxLength", "maximum", "exclusiveMaximum", "maxItems", "maxProperties")
_CONDITIONAL = ("if", "then", "else", "not")


# -- loading ----------------------------------------------------------------------------------------
def _parse(text: str, source: str) -> dict[str, Any]:
    if text.lstrip().startswith("{"):
        try:
            data: Any = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DriftInputError(f"{source}: not valid JSON: {exc}") from exc
    else:
        try:
            data = load_yaml(text, source)
        except YamlError as exc:
            raise DriftInputError(str(exc)) from exc
    if not isinstance(data, dict):
        raise DriftInputError(f"{source}: not an OpenAPI document (a {type(data).__name__}, not a mapping)")
    return data


def _check_openapi(document: Mapping[str, Any], source: str) -> None:
    if not isinstance(document, Mapping):
        raise DriftInputError(f"{source}: not an OpenAPI document (not a mapping)")
    version = document.get("openapi")
    if not isinstance(version, str) or not version.startswith("3."):
        found = "Swagger 2.0" if "swagger" in document else f"openapi: {version!r}"
        raise DriftInputError(f"{source}: not an OpenAPI 3 document ({found})")
    if not isinstance(document.get("paths"), Mapping):
        raise DriftInputError(f"{source}: not an OpenAPI document (no 'paths' mapping)")


# -- documents and operations -----------------------------------------------------------------------
class _Document:
    """A document read through JSON pointers, following local `$ref`s."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data

    def node(self, pointer: str) -> Any:
        node: Any = self.data
        for token in pointers.tokens(pointer):
            if isinstance(node, list) and token.isdigit() and int(token) < len(node):
                node = node[int(token)]
            elif isinstance(node, Mapping) and token in node:
                node = node[token]
            else:
                return None
        return node

    def deref(self, pointer: str) -> tuple[str, Any]:
        """The pointer and node at the end of a `$ref` chain starting at `pointer`."""
        node = self.node(pointer)
        for _ in range(32):
            ref = node.get("$ref") if isinstance(node, Mapping) else None
            if not isinstance(ref, str) or not ref.startswith("#"):
                break
            pointer, node = ref[1:], self.node(ref[1:])
        return pointer, node


class _ContractDocument(_Document):
    """Our contract as drift reads it: its nodes, with `$ref`s followed by the contract model."""

    def __init__(self, contract: Contract) -> None:
        super().__init__(contract.document)
        self.contract = contract

    def node(self, pointer: str) -> Any:
        try:
            return self.contract.resolve(pointer)
        except (LookupError, TypeError, ValueError):
            return None

    def deref(self, pointer: str) -> tuple[str, Any]:
        # a node that is not there, or a reference out of the document, stays as it stands
        with contextlib.suppress(LookupError, TypeError, ValueError, ContractError):
            pointer = self.contract.deref_pointer(pointer)
        return pointer, self.node(pointer)


@dataclass
class _Operation:
    operation_id: str
    method: str
    path: str
    pointer: str
    parameters: dict[tuple[str, str], str] = field(default_factory=dict)  # (in, name) -> pointer
    body_pointer: str | None = None
    body: dict[str, str] = field(default_factory=dict)  # media type -> schema pointer
    responses: dict[str, dict[str, str]] = field(default_factory=dict)  # 2xx -> media -> schema


def _common_prefix(paths: list[str]) -> list[str]:
    split = [[t for t in p.split("/") if t] for p in paths]
    prefix: list[str] = []
    for tokens in zip(*split, strict=False):  # up to the shortest path
        if len(set(tokens)) != 1 or tokens[0].startswith("{"):
            break
        prefix.append(tokens[0])
    return prefix


def _under(path: str, prefix: list[str]) -> bool:
    return [t for t in str(path).split("/") if t][: len(prefix)] == prefix


def _contract_operations(contract: Contract, prefix: list[str]) -> dict[str, _Operation]:
    """Our operations under `prefix`, as the contract model derived them (the vendor's: `_operations`)."""
    found: dict[str, _Operation] = {}
    for op in contract.operations.values():
        if not _under(op.path, prefix):
            continue
        operation = _Operation(op.operation_id, op.method, op.path, pointers.join("paths", op.path, op.method.lower()))
        for location, parameters in (("path", op.path_parameters), ("query", op.query_parameters)):
            for name, schema_pointer in parameters:  # the parameter's own node holds its `required`
                operation.parameters[(location, name)] = _parent(schema_pointer, 1)
        if op.body_pointer and op.media_type:  # .../requestBody/content/<media type>/schema
            operation.body_pointer = _parent(op.body_pointer, 3)
            operation.body[op.media_type] = op.body_pointer
        for response in op.responses:
            if 200 <= response.status < 300:
                schema = response.schema_pointer
                operation.responses[str(response.status)] = {"application/json": schema} if schema else {}
        found[op.operation_id] = operation
    return found


def _parent(pointer: str, levels: int) -> str:
    return pointers.join(*pointers.tokens(pointer)[:-levels])


def _operations(doc: _Document, prefix: list[str]) -> dict[str, _Operation]:
    found: dict[str, _Operation] = {}
    paths = doc.data.get("paths")
    for path in paths if isinstance(paths, Mapping) else ():
        if not _under(str(path), prefix):
            continue
        item_pointer, item = doc.deref(pointers.join("paths", path))
        if not isinstance(item, Mapping):
            continue
        for method in _METHODS:
            if not isinstance(item.get(method), Mapping):
                continue
            op_pointer = item_pointer + pointers.join(method)
            op = item[method]
            operation = _Operation(
                str(op.get("operationId") or f"{method.upper()} {path}"),
                method.upper(),
                str(path),
                op_pointer,
            )
            for base, holder in ((item_pointer, item), (op_pointer, op)):
                for i, _ in enumerate(holder.get("parameters") or ()):
                    where, param = doc.deref(base + pointers.join("parameters", i))
                    if isinstance(param, Mapping) and "name" in param:
                        operation.parameters[(str(param.get("in")), str(param["name"]))] = where
            body_pointer, body = doc.deref(op_pointer + "/requestBody")
            if isinstance(body, Mapping):
                operation.body_pointer = body_pointer
                for media in body.get("content") or {}:
                    operation.body[str(media)] = body_pointer + pointers.join("content", media, "schema")
            for status in op.get("responses") or {}:
                if not str(status).startswith("2"):
                    continue
                where, response = doc.deref(op_pointer + pointers.join("responses", status))
                content = response.get("content") if isinstance(response, Mapping) else None
                operation.responses[str(status)] = {
                    str(media): where + pointers.join("content", media, "schema") for media in content or {}
                }
            found[operation.operation_id] = operation
    return found


# -- schema views -----------------------------------------------------------------------------------
@dataclass
class _Schema:
    """What one schema node says once `$ref`s, unconditional `allOf`s and null branches are merged."""

    pointer: str | None = None
    types: set[str] | None = None
    enum: list[Any] | None = None
    enum_pointer: str | None = None
    pattern: tuple[str, str] | None = None
    bounds: dict[str, tuple[float, str]] = field(default_factory=dict)
    properties: dict[str, list[str]] | None = None
    properties_pointer: str | None = None
    required: dict[str, str] = field(default_factory=dict)
    required_declared: bool = False
    items: list[str] = field(default_factory=list)
    closed: bool = False
    seen: set[str] = field(default_factory=set)


def _view(doc: _Document, places: Iterable[str]) -> _Schema:
    schema = _Schema()
    for pointer in places:
        _absorb(doc, pointer, schema)
    return schema


def _absorb(doc: _Document, pointer: str, schema: _Schema) -> None:
    pointer, node = doc.deref(pointer)
    if not isinstance(node, Mapping) or pointer in schema.seen:
        return
    schema.seen.add(pointer)
    schema.pointer = schema.pointer or pointer
    declared = node.get("type")
    if isinstance(declared, (str, list)):
        types = {declared} if isinstance(declared, str) else {str(t) for t in declared}
        types.discard("null")
        schema.types = types if schema.types is None else schema.types & types
    for keyword, values in (
        ("enum", node.get("enum")),
        ("const", [node["const"]] if "const" in node else None),
    ):
        if isinstance(values, list):
            kept = [v for v in values if v is not None]
            schema.enum = kept if schema.enum is None else [v for v in schema.enum if v in kept]
            schema.enum_pointer = schema.enum_pointer or pointer + "/" + keyword
    if isinstance(node.get("pattern"), str) and schema.pattern is None:
        schema.pattern = (node["pattern"], pointer + "/pattern")
    for keyword in (*_LOWER_BOUNDS, *_UPPER_BOUNDS):
        value = node.get(keyword)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            current = schema.bounds.get(keyword)
            tighter = max if keyword in _LOWER_BOUNDS else min
            if current is None or tighter(current[0], value) != current[0]:
                schema.bounds[keyword] = (float(value), pointer + "/" + keyword)
    if isinstance(node.get("properties"), Mapping):
        schema.properties = schema.properties if schema.properties is not None else {}
        schema.properties_pointer = schema.properties_pointer or pointer + "/properties"
        for name in node["properties"]:
            schema.properties.setdefault(str(name), []).append(pointer + pointers.join("properties", name))
    if isinstance(node.get("required"), list):
        schema.required_declared = True
        for name in node["required"]:
            schema.required.setdefault(str(name), pointer + "/required")
    if isinstance(node.get("items"), Mapping):
        schema.items.append(pointer + "/items")
    schema.closed = schema.closed or node.get("additionalProperties") is False
    for i, member in enumerate(node.get("allOf") or ()):
        if isinstance(member, Mapping) and not any(k in member for k in _CONDITIONAL):
            _absorb(doc, pointer + pointers.join("allOf", i), schema)
    for keyword in ("oneOf", "anyOf"):
        branches = [
            pointer + pointers.join(keyword, i)
            for i, _ in enumerate(node.get(keyword) or ())
            if not _is_null(doc, pointer + pointers.join(keyword, i))
        ]
        if len(branches) == 1:
            _absorb(doc, branches[0], schema)


def _is_null(doc: _Document, pointer: str) -> bool:
    node = doc.deref(pointer)[1]
    if not isinstance(node, Mapping):
        return False
    return node.get("type") in ("null", ["null"]) or node.get("enum") == [None] or node.get("const", 0) is None
