"""Vendor drift: does our contract still honour what the vendor's published OpenAPI document says?

The vendor changes `twilio_flex_v1.yaml` without notice (the Interactions creates answered 201 until
September 2025, 200 since). `compare(vendor_document)` reads both documents, pairs the operations our
contract covers (the paths under the common prefix of the contract's paths, `/v1/Interactions`) and
reports every vendor fact our contract no longer honours, and every fact of ours the vendor dropped.

How the comparison works (everything derives from the two documents):

* operations pair by `operationId` (then by method and path); parameters by `in` and `name`; request
  bodies and responses by media type and status; schemas by property name, `items` and the merged
  unconditional `allOf` members, after following `$ref`s on both sides;
* 3.0 and 3.1 are normalised: `nullable` and `type: [x, 'null']` and a `oneOf` with a `null` branch all
  mean "x or null", and nullability itself is not compared (our responses are deliberately non-null
  where the vendor marks everything nullable); `const` counts as a one-value `enum`;
* the JSON Schema keywords compared are `type`, `enum`/`const`, `pattern`, the numeric bounds
  (`minLength`, `maxLength`, `minimum`, ...), `required`, `properties` and `items`: a vocabulary of the
  specification, never a list of the vendor's fields;
* our contract is deliberately richer, so a constraint only we declare is reported only where the
  vendor types the same node and leaves the constraint out (the vendor leaves `Channel` and `Routing`
  untyped: everything we say about them is ours to say); `required` members only we list are reported
  at a request body's top level, or where the vendor lists `required` itself; extra error responses
  are not success statuses and are ignored; extra success statuses (201 beside 200 for the creates)
  are a tolerance while we still share one with the vendor;
* two differing patterns are told apart by a witness: a string one accepts and the other rejects,
  searched for with Hypothesis (`from_regex`), so a finding says "ours accepts 'KDAB…', the vendor's
  rejects it" instead of just "changed".

Each `Finding` says whether our contract is now *looser* (it accepts what the vendor no longer
documents), *stricter* (it rejects what the vendor now documents) or merely *different*, with the
JSON pointer in each document (None where that document has no such node).

Why no diff library: the Python OpenAPI diff packages on PyPI (api-schema-diff, openapispecdiff,
schemawatch, openapi-lens, ...) are young single-author projects or unmaintained (openapispecdiff: 2022,
pins openapi-core 0.13), compare two versions of *one* document for "breaking or not" rather than a
richer contract against a sparser vendor document, do not normalise 3.0 `nullable` against 3.1 type
lists, and ignore patterns and length bounds. The maintained tools (oasdiff, openapi-changes) are Go
binaries. A short derived comparison is easier to trust here than any of them bent to fit.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .contract import Contract, UnknownOperationError, default_contract, pointer_join, pointer_tokens

Direction = Literal["looser", "stricter", "different"]
LOOSER: Direction = "looser"
STRICTER: Direction = "stricter"
DIFFERENT: Direction = "different"

_METHODS = ("get", "put", "post", "delete", "patch", "options", "head", "trace")
# Bounds of the JSON Schema vocabulary: a higher lower bound, or a lower upper bound, is stricter.
_LOWER_BOUNDS = ("minLength", "minimum", "exclusiveMinimum", "minItems", "minProperties")
_UPPER_BOUNDS = ("maxLength", "maximum", "exclusiveMaximum", "maxItems", "maxProperties")
_CONDITIONAL = ("if", "then", "else", "not")


class DriftInputError(Exception):
    """The vendor document cannot be read, or is not an OpenAPI 3 document covering our operations."""


@dataclass(frozen=True)
class Finding:
    """One vendor fact our contract no longer agrees with."""

    kind: str
    direction: Direction
    operation_id: str
    vendor_pointer: str | None
    contract_pointer: str | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "direction": self.direction,
            "operation_id": self.operation_id,
            "vendor_pointer": self.vendor_pointer,
            "contract_pointer": self.contract_pointer,
            "message": self.message,
        }


@dataclass(frozen=True)
class DriftReport:
    """The findings of one comparison, and what was compared."""

    vendor_source: str
    contract_source: str
    operations: tuple[str, ...]
    findings: tuple[Finding, ...]

    @property
    def drifted(self) -> bool:
        return bool(self.findings)

    @property
    def exit_code(self) -> int:
        """0 when the contract honours the vendor document, 1 when it needs a look."""
        return 1 if self.findings else 0

    def count(self, direction: Direction) -> int:
        return sum(1 for f in self.findings if f.direction == direction)

    def to_dict(self) -> dict[str, Any]:
        return {
            "vendor": self.vendor_source,
            "contract": self.contract_source,
            "operations": list(self.operations),
            "drift": self.drifted,
            "exit_code": self.exit_code,
            "summary": {d: self.count(d) for d in (LOOSER, STRICTER, DIFFERENT)},
            "findings": [f.to_dict() for f in self.findings],
        }


# -- public API -------------------------------------------------------------------------------------
def load_vendor_document(path: str | Path) -> dict[str, Any]:
    """Read a vendor OpenAPI 3 document, JSON or YAML (safe loading), or raise DriftInputError."""
    target = Path(path)
    try:
        text = target.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DriftInputError(f"cannot read {target}: {exc}") from exc
    document = _parse(text, str(target))
    _check_openapi(document, str(target))
    return document


def check_drift(
    vendor_path: str | Path,
    contract: Contract | None = None,
    operation_ids: Iterable[str] | None = None,
) -> DriftReport:
    """Load the vendor document at `vendor_path` and compare it with the contract."""
    return compare(load_vendor_document(vendor_path), contract, operation_ids, str(vendor_path))


def compare(
    vendor: Mapping[str, Any],
    contract: Contract | None = None,
    operation_ids: Iterable[str] | None = None,
    vendor_source: str = "<memory>",
) -> DriftReport:
    """Compare a vendor OpenAPI document with the contract on the contract's operations.

    `operation_ids` limits the report to those operations; an id neither document declares raises
    `UnknownOperationError`. A document with no operation under the contract's path prefix raises
    `DriftInputError` (it is not the document this contract derives from).
    """
    _check_openapi(vendor, vendor_source)
    contract = contract if contract is not None else default_contract()
    ours_doc = _Document(contract.document)
    vendor_doc = _Document(vendor)
    prefix = _common_prefix([str(p) for p in contract.document.get("paths", {})])
    ours_ops = _operations(ours_doc, prefix)
    vendor_ops = _operations(vendor_doc, prefix)
    if not vendor_ops:
        raise DriftInputError(
            f"{vendor_source}: declares no operation under {'/' + '/'.join(prefix)}; "
            "is it the vendor's Flex v1 document (or its Interactions part)?"
        )
    known = sorted(set(ours_ops) | set(vendor_ops))
    wanted = None if operation_ids is None else list(dict.fromkeys(operation_ids))
    for operation_id in wanted or ():
        if operation_id not in known:
            raise UnknownOperationError(operation_id, known)
    comparison = _Comparison(vendor_doc, ours_doc)
    comparison.operations(vendor_ops, ours_ops)
    selected = wanted or known
    findings = tuple(f for f in comparison.findings if f.operation_id in selected)
    return DriftReport(vendor_source, contract.source, tuple(selected), findings)


def render_text(report: DriftReport) -> str:
    """The report as a person reads it in a terminal or a CI log."""
    lines = [f"vendor:   {report.vendor_source}", f"contract: {report.contract_source}", ""]
    if not report.findings:
        lines.append(f"no drift: the contract honours the vendor document on {len(report.operations)} operation(s)")
        return "\n".join(lines)
    for finding in report.findings:
        lines.append(f"[{finding.direction}] {finding.kind} ({finding.operation_id})")
        lines.append(f"  {finding.message}")
        lines.append(f"  vendor:   {finding.vendor_pointer or '(absent)'}")
        lines.append(f"  contract: {finding.contract_pointer or '(absent)'}")
    lines.append("")
    lines.append(
        f"{len(report.findings)} finding(s): {report.count(LOOSER)} looser, "
        f"{report.count(STRICTER)} stricter, {report.count(DIFFERENT)} different; the contract needs a look"
    )
    return "\n".join(lines)


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


# -- the comparison ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Where:
    operation_id: str
    area: str  # "the request body", "the 200 response", "query parameter PageSize"
    path: str = ""  # "Channel.type", "channels[].sid"
    request: bool = False

    @property
    def label(self) -> str:
        return f"{self.path} in {self.area}" if self.path else self.area

    def child(self, step: str) -> _Where:
        joined = f"{self.path}{step}" if step.startswith("[") or not self.path else f"{self.path}.{step}"
        return _Where(self.operation_id, self.area, joined, self.request)


class _Comparison:
    def __init__(self, vendor: _Document, ours: _Document) -> None:
        self.vendor = vendor
        self.ours = ours
        self.findings: list[Finding] = []

    def add(
        self,
        kind: str,
        direction: Direction,
        where: _Where,
        vendor: str | None,
        ours: str | None,
        message: str,
    ) -> None:
        self.findings.append(Finding(kind, direction, where.operation_id, vendor, ours, message))

    # operations ------------------------------------------------------------------------------------
    def operations(self, vendor_ops: dict[str, _Operation], ours_ops: dict[str, _Operation]) -> None:
        ours_by_route = {(op.method, op.path): op for op in ours_ops.values()}
        paired: set[str] = set()
        for operation_id, theirs in vendor_ops.items():
            here = _Where(operation_id, f"{theirs.method} {theirs.path}")
            mine = ours_ops.get(operation_id)
            if mine is None:
                renamed = ours_by_route.get((theirs.method, theirs.path))
                if renamed is None or renamed.operation_id in vendor_ops:
                    self.add(
                        "operation-added",
                        STRICTER,
                        here,
                        theirs.pointer,
                        None,
                        f"the vendor documents a new operation {operation_id} ({theirs.method} "
                        f"{theirs.path}); the contract does not declare it: add it to the contract",
                    )
                    continue
                mine = renamed
                self.add(
                    "operation-renamed",
                    DIFFERENT,
                    here,
                    theirs.pointer,
                    mine.pointer,
                    f"{theirs.method} {theirs.path} is {operation_id} for the vendor and "
                    f"{mine.operation_id} in the contract: rename the contract's operationId",
                )
            elif (mine.method, mine.path) != (theirs.method, theirs.path):
                self.add(
                    "operation-moved",
                    DIFFERENT,
                    here,
                    theirs.pointer,
                    mine.pointer,
                    f"the vendor now documents {operation_id} as {theirs.method} {theirs.path}; the "
                    f"contract has {mine.method} {mine.path}: move it",
                )
            paired.add(mine.operation_id)
            self.operation(theirs, mine)
        for operation_id, mine in ours_ops.items():
            if operation_id not in paired:
                self.add(
                    "operation-removed",
                    LOOSER,
                    _Where(operation_id, mine.path),
                    None,
                    mine.pointer,
                    f"the vendor no longer documents {operation_id} ({mine.method} {mine.path}); the "
                    "contract still accepts it: remove it, or keep it knowingly",
                )

    def operation(self, theirs: _Operation, mine: _Operation) -> None:
        self.parameters(theirs, mine)
        self.request_body(theirs, mine)
        self.responses(theirs, mine)

    def parameters(self, theirs: _Operation, mine: _Operation) -> None:
        op_id = theirs.operation_id
        for key, vendor_pointer in theirs.parameters.items():
            location, name = key
            where = _Where(op_id, f"{location} parameter {name}", request=True)
            vendor_required = self.vendor.node(vendor_pointer).get("required") is True
            ours_pointer = mine.parameters.get(key)
            if ours_pointer is None:
                self.add(
                    "parameter-added",
                    LOOSER if vendor_required else DIFFERENT,
                    where,
                    vendor_pointer,
                    None,
                    f"{op_id}: the vendor documents a new {'required' if vendor_required else 'optional'} "
                    f"{location} parameter {name}; the contract does not declare it: add it",
                )
                continue
            ours_required = self.ours.node(ours_pointer).get("required") is True
            self.required_flag(where, vendor_required, ours_required, vendor_pointer, ours_pointer, name)
            self.schema(
                _view(self.vendor, [vendor_pointer + "/schema"]),
                _view(self.ours, [ours_pointer + "/schema"]),
                where,
            )
        for key, ours_pointer in mine.parameters.items():
            if key not in theirs.parameters:
                location, name = key
                ours_required = self.ours.node(ours_pointer).get("required") is True
                self.add(
                    "parameter-removed",
                    STRICTER if ours_required else LOOSER,
                    _Where(op_id, f"{location} parameter {name}"),
                    None,
                    ours_pointer,
                    f"{op_id}: the vendor no longer documents the {location} parameter {name}; the contract "
                    f"still {'requires' if ours_required else 'accepts'} it: remove it",
                )

    def required_flag(
        self, where: _Where, vendor: bool, ours: bool, vendor_pointer: str, ours_pointer: str, name: str
    ) -> None:
        if vendor and not ours:
            self.add(
                "required-added",
                LOOSER,
                where,
                vendor_pointer,
                ours_pointer,
                f"{where.operation_id}: the vendor now requires {name} ({where.area}); the contract treats "
                "it as optional: make it required",
            )
        elif ours and not vendor:
            self.add(
                "required-removed",
                STRICTER,
                where,
                vendor_pointer,
                ours_pointer,
                f"{where.operation_id}: the vendor no longer requires {name} ({where.area}); the contract "
                "still rejects requests without it: make it optional",
            )

    def request_body(self, theirs: _Operation, mine: _Operation) -> None:
        op_id = theirs.operation_id
        if theirs.body_pointer and mine.body_pointer:
            vendor_required = self.vendor.node(theirs.body_pointer).get("required") is True
            if vendor_required and self.ours.node(mine.body_pointer).get("required") is not True:
                self.required_flag(
                    _Where(op_id, "the request body"),
                    True,
                    False,
                    theirs.body_pointer,
                    mine.body_pointer,
                    "the request body",
                )
        for media, vendor_pointer in theirs.body.items():
            where = _Where(op_id, f"the request body ({media})", request=True)
            ours_pointer = mine.body.get(media)
            if ours_pointer is None:
                self.add(
                    "media-type-added",
                    STRICTER,
                    where,
                    vendor_pointer,
                    mine.body_pointer,
                    f"{op_id}: the vendor now documents a {media} request body; the contract does not "
                    "accept it: add that media type",
                )
                continue
            self.schema(_view(self.vendor, [vendor_pointer]), _view(self.ours, [ours_pointer]), where, top=True)
        for media, ours_pointer in mine.body.items():
            if media not in theirs.body:
                self.add(
                    "media-type-removed",
                    LOOSER,
                    _Where(op_id, "the request body"),
                    theirs.body_pointer,
                    ours_pointer,
                    f"{op_id}: the vendor no longer documents a {media} request body; the contract still "
                    "accepts it: remove that media type",
                )

    def responses(self, theirs: _Operation, mine: _Operation) -> None:
        op_id = theirs.operation_id
        shared = set(theirs.responses) & set(mine.responses)
        for status, media_types in theirs.responses.items():
            vendor_pointer = theirs.pointer + pointer_join("responses", status)
            if status not in mine.responses:
                self.add(
                    "status-added",
                    STRICTER,
                    _Where(op_id, f"the {status} response"),
                    vendor_pointer,
                    None,
                    f"{op_id}: the vendor now documents success status {status}; the contract rejects it "
                    f"(it has {', '.join(sorted(mine.responses)) or 'none'}): add a {status} response",
                )
                continue
            for media, schema_pointer in media_types.items():
                ours_schema = mine.responses[status].get(media)
                if ours_schema is not None:
                    where = _Where(op_id, f"the {status} response")
                    self.schema(_view(self.vendor, [schema_pointer]), _view(self.ours, [ours_schema]), where)
        if shared:
            return  # our extra success statuses (201 beside 200) are a tolerance while one is shared
        for status in mine.responses:
            if status not in theirs.responses:
                self.add(
                    "status-removed",
                    LOOSER,
                    _Where(op_id, f"the {status} response"),
                    None,
                    mine.pointer + pointer_join("responses", status),
                    f"{op_id}: the vendor no longer documents success status {status} (it documents "
                    f"{', '.join(sorted(theirs.responses)) or 'none'}); the contract still accepts it",
                )

    # schemas ---------------------------------------------------------------------------------------
    def schema(self, theirs: _Schema, mine: _Schema, where: _Where, top: bool = False, depth: int = 0) -> None:
        if depth > 32 or theirs.pointer is None:
            return  # the vendor says nothing here: whatever the contract says is its own
        typed = theirs.types is not None
        if typed and mine.types is not None and theirs.types != mine.types:
            assert theirs.types is not None
            gained, lost = theirs.types - mine.types, mine.types - theirs.types
            direction = DIFFERENT if gained and lost else STRICTER if gained else LOOSER
            self.add(
                "type-changed",
                direction,
                where,
                theirs.pointer,
                mine.pointer,
                f"{where.operation_id}: the vendor types {where.label} as {_names(theirs.types)}, the "
                f"contract as {_names(mine.types)}: align the type",
            )
        self.enum(theirs, mine, where, typed)
        self.pattern(theirs, mine, where, typed)
        self.bounds(theirs, mine, where, typed)
        self.required(theirs, mine, where, top)
        self.properties(theirs, mine, where, depth)
        if theirs.items and mine.items:
            self.schema(
                _view(self.vendor, theirs.items),
                _view(self.ours, mine.items),
                where.child("[]"),
                depth=depth + 1,
            )

    def enum(self, theirs: _Schema, mine: _Schema, where: _Where, typed: bool) -> None:
        op_id = where.operation_id
        if theirs.enum is not None and mine.enum is not None:
            added = [v for v in theirs.enum if v not in mine.enum]
            removed = [v for v in mine.enum if v not in theirs.enum]
            if added:
                self.add(
                    "enum-value-added",
                    STRICTER,
                    where,
                    theirs.enum_pointer,
                    mine.enum_pointer,
                    f"{op_id}: the vendor now documents {_values(added)} for {where.label}; the contract "
                    "rejects it: add it to the contract's enum",
                )
            if removed:
                self.add(
                    "enum-value-removed",
                    LOOSER,
                    where,
                    theirs.enum_pointer,
                    mine.enum_pointer,
                    f"{op_id}: the vendor no longer documents {_values(removed)} for {where.label}; the "
                    "contract still accepts it: remove it from the contract's enum",
                )
        elif theirs.enum is not None:
            self.add(
                "enum-added",
                LOOSER,
                where,
                theirs.enum_pointer,
                mine.pointer,
                f"{op_id}: the vendor now limits {where.label} to {_values(theirs.enum)}; the contract "
                "accepts any value: add the enum",
            )
        elif mine.enum is not None and typed:
            self.add(
                "enum-removed",
                STRICTER,
                where,
                theirs.pointer,
                mine.enum_pointer,
                f"{op_id}: the vendor no longer limits {where.label} to a list of values; the contract "
                f"still accepts only {_values(mine.enum)}: drop or widen the enum",
            )

    def pattern(self, theirs: _Schema, mine: _Schema, where: _Where, typed: bool) -> None:
        op_id = where.operation_id
        if theirs.pattern and mine.pattern:
            (vendor_regex, vendor_pointer), (ours_regex, ours_pointer) = theirs.pattern, mine.pattern
            if vendor_regex == ours_regex:
                return
            only_vendor = _witness(vendor_regex, ours_regex)
            only_ours = _witness(ours_regex, vendor_regex)
            if only_vendor is None and only_ours is None:
                return  # written differently, found to accept the same strings
            direction = DIFFERENT if only_vendor and only_ours else STRICTER if only_vendor else LOOSER
            evidence = []
            if only_ours:
                evidence.append(f"the contract accepts {only_ours!r}, which the vendor's rejects")
            if only_vendor:
                evidence.append(f"the contract rejects {only_vendor!r}, which the vendor's accepts")
            self.add(
                "pattern-changed",
                direction,
                where,
                vendor_pointer,
                ours_pointer,
                f"{op_id}: the vendor's pattern for {where.label} is now {vendor_regex}, the contract's "
                f"{ours_regex} ({'; '.join(evidence) or 'they could not be compared'}): align the pattern",
            )
        elif theirs.pattern:
            self.add(
                "pattern-added",
                LOOSER,
                where,
                theirs.pattern[1],
                mine.pointer,
                f"{op_id}: the vendor now requires {where.label} to match {theirs.pattern[0]}; the contract "
                "accepts any string: add the pattern",
            )
        elif mine.pattern and typed:
            self.add(
                "pattern-removed",
                STRICTER,
                where,
                theirs.pointer,
                mine.pattern[1],
                f"{op_id}: the vendor no longer requires {where.label} to match {mine.pattern[0]}; the "
                "contract still does: drop or widen the pattern",
            )

    def bounds(self, theirs: _Schema, mine: _Schema, where: _Where, typed: bool) -> None:
        op_id = where.operation_id
        for keyword in (*_LOWER_BOUNDS, *_UPPER_BOUNDS):
            vendor, ours = theirs.bounds.get(keyword), mine.bounds.get(keyword)
            if vendor and ours and vendor[0] != ours[0]:
                lower = keyword in _LOWER_BOUNDS
                looser = ours[0] < vendor[0] if lower else ours[0] > vendor[0]
                self.add(
                    "bound-changed",
                    LOOSER if looser else STRICTER,
                    where,
                    vendor[1],
                    ours[1],
                    f"{op_id}: the vendor's {keyword} for {where.label} is now {_num(vendor[0])}, the "
                    f"contract's {_num(ours[0])}: set it to {_num(vendor[0])}",
                )
            elif vendor and not ours:
                self.add(
                    "bound-added",
                    LOOSER,
                    where,
                    vendor[1],
                    mine.pointer,
                    f"{op_id}: the vendor now sets {keyword} {_num(vendor[0])} on {where.label}; the "
                    "contract has none: add it",
                )
            elif ours and not vendor and typed:
                self.add(
                    "bound-removed",
                    STRICTER,
                    where,
                    theirs.pointer,
                    ours[1],
                    f"{op_id}: the vendor no longer sets {keyword} on {where.label}; the contract still "
                    f"has {_num(ours[0])}: drop it",
                )

    def required(self, theirs: _Schema, mine: _Schema, where: _Where, top: bool) -> None:
        op_id = where.operation_id
        for name, vendor_pointer in theirs.required.items():
            if name not in mine.required and (mine.properties is None or name in mine.properties):
                member = where.child(name)
                self.add(
                    "required-added",
                    LOOSER,
                    member,
                    vendor_pointer,
                    mine.properties_pointer or mine.pointer,
                    f"{op_id}: the vendor now requires {member.label}; the contract treats it as optional: "
                    "add it to the contract's required",
                )
        if not where.request or not (top or theirs.required_declared):
            return  # a response, or a nested request member: the vendor's silence is no change
        for name, ours_pointer in mine.required.items():
            if name not in theirs.required and (theirs.properties is None or name in theirs.properties):
                member = where.child(name)
                self.add(
                    "required-removed",
                    STRICTER,
                    member,
                    theirs.pointer,
                    ours_pointer,
                    f"{op_id}: the vendor no longer requires {member.label}; the contract still rejects "
                    "payloads without it: drop it from the contract's required",
                )

    def properties(self, theirs: _Schema, mine: _Schema, where: _Where, depth: int) -> None:
        if theirs.properties is None:
            return
        op_id = where.operation_id
        ours_properties = mine.properties or {}
        noun = "parameter" if where.request else "response-property"
        for name, pointers in theirs.properties.items():
            member = where.child(name)
            if name in ours_properties:
                self.schema(
                    _view(self.vendor, pointers),
                    _view(self.ours, ours_properties[name]),
                    member,
                    depth=depth + 1,
                )
                continue
            required = name in theirs.required
            direction = LOOSER if required and where.request else STRICTER if mine.closed else DIFFERENT
            self.add(
                f"{noun}-added",
                direction,
                member,
                pointers[0],
                None,
                f"{op_id}: the vendor documents a new {'required ' if required else ''}member "
                f"{member.label}; the contract does not declare it: add it",
            )
        for name, pointers in ours_properties.items():
            if name in theirs.properties:
                continue
            member = where.child(name)
            required = name in mine.required
            self.add(
                f"{noun}-removed",
                STRICTER if required else LOOSER,
                member,
                None,
                pointers[0],
                f"{op_id}: the vendor no longer documents {member.label}; the contract still "
                f"{'requires' if required else 'accepts'} it: remove it, or keep it knowingly",
            )


# -- small helpers ----------------------------------------------------------------------------------
@functools.lru_cache(maxsize=256)
def _witness(accepting: str, rejecting: str) -> str | None:
    """A string `accepting` matches and `rejecting` does not, if one can be found."""
    try:
        accept, reject = re.compile(accepting), re.compile(rejecting)
    except re.error:
        return None
    from hypothesis import HealthCheck, find, settings
    from hypothesis import strategies as st
    from hypothesis.errors import HypothesisException

    quiet = settings(database=None, max_examples=150, derandomize=True, suppress_health_check=list(HealthCheck))
    try:
        found: str = find(
            st.from_regex(accept), lambda s: bool(accept.search(s)) and not reject.search(s), settings=quiet
        )
    except (HypothesisException, re.error):
        return None
    return found


def _values(values: list[Any]) -> str:
    return ", ".join(repr(v) for v in values)


def _names(types: set[str]) -> str:
    return " or ".join(sorted(types)) or "nothing"


def _num(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)


__all__ = [
    "DIFFERENT",
    "LOOSER",
    "STRICTER",
    "Direction",
    "DriftInputError",
    "DriftReport",
    "Finding",
    "check_drift",
    "compare",
    "load_vendor_document",
    "render_text",
]
