"""The two documents as drift reads them: operations under a path prefix, schema views, 3.0/3.1 normalised."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..contract import pointer_join, pointer_tokens
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
        import yaml

        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        try:
            data = yaml.load(text, Loader=loader)  # a safe loader: CSafeLoader or SafeLoader
        except yaml.YAMLError as exc:
            detail = " ".join(line.strip() for line in str(exc).splitlines())
            raise DriftInputError(f"{source}: not valid YAML or JSON: {detail}") from exc
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
        for token in pointer_tokens(pointer):
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


def _operations(doc: _Document, prefix: list[str]) -> dict[str, _Operation]:
    found: dict[str, _Operation] = {}
    paths = doc.data.get("paths")
    for path in paths if isinstance(paths, Mapping) else ():
        if [t for t in str(path).split("/") if t][: len(prefix)] != prefix:
            continue
        item_pointer, item = doc.deref(pointer_join("paths", path))
        if not isinstance(item, Mapping):
            continue
        for method in _METHODS:
            if not isinstance(item.get(method), Mapping):
                continue
            op_pointer = item_pointer + pointer_join(method)
            op = item[method]
            operation = _Operation(
                str(op.get("operationId") or f"{method.upper()} {path}"),
                method.upper(),
                str(path),
                op_pointer,
            )
            for base, holder in ((item_pointer, item), (op_pointer, op)):
                for i, _ in enumerate(holder.get("parameters") or ()):
                    where, param = doc.deref(base + pointer_join("parameters", i))
                    if isinstance(param, Mapping) and "name" in param:
                        operation.parameters[(str(param.get("in")), str(param["name"]))] = where
            body_pointer, body = doc.deref(op_pointer + "/requestBody")
            if isinstance(body, Mapping):
                operation.body_pointer = body_pointer
                for media in body.get("content") or {}:
                    operation.body[str(media)] = body_pointer + pointer_join("content", media, "schema")
            for status in op.get("responses") or {}:
                if not str(status).startswith("2"):
                    continue
                where, response = doc.deref(op_pointer + pointer_join("responses", status))
                content = response.get("content") if isinstance(response, Mapping) else None
                operation.responses[str(status)] = {
                    str(media): where + pointer_join("content", media, "schema") for media in content or {}
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


def _view(doc: _Document, pointers: Iterable[str]) -> _Schema:
    schema = _Schema()
    for pointer in pointers:
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
            schema.properties.setdefault(str(name), []).append(pointer + pointer_join("properties", name))
    if isinstance(node.get("required"), list):
        schema.required_declared = True
        for name in node["required"]:
            schema.required.setdefault(str(name), pointer + "/required")
    if isinstance(node.get("items"), Mapping):
        schema.items.append(pointer + "/items")
    schema.closed = schema.closed or node.get("additionalProperties") is False
    for i, member in enumerate(node.get("allOf") or ()):
        if isinstance(member, Mapping) and not any(k in member for k in _CONDITIONAL):
            _absorb(doc, pointer + pointer_join("allOf", i), schema)
    for keyword in ("oneOf", "anyOf"):
        branches = [
            pointer + pointer_join(keyword, i)
            for i, _ in enumerate(node.get(keyword) or ())
            if not _is_null(doc, pointer + pointer_join(keyword, i))
        ]
        if len(branches) == 1:
            _absorb(doc, branches[0], schema)


def _is_null(doc: _Document, pointer: str) -> bool:
    node = doc.deref(pointer)[1]
    if not isinstance(node, Mapping):
        return False
    return node.get("type") in ("null", ["null"]) or node.get("enum") == [None] or node.get("const", 0) is None
