"""From an operation's request schema to payload strategies, with no per-rule code.

Two derivations share one walk over the contract document:

* **valid payloads** (`Engine.fill`): build the required skeleton of a schema location, draw
  optional members sometimes, then evaluate every `if` that applies at that location against
  the candidate and merge the `then`/`else` it selects, drawing what they add, until the set of
  applicable subschemas stops changing (a fixpoint). Values already drawn are kept when they
  still satisfy the merged constraints, so conditions do not flip under the draw.
* **rule-breaking plans** (`Engine.plans`): every constraint keyword under a node whose
  innermost `x-rule` is R (following `$ref`s) yields a mutation that breaks that keyword alone
  — drop a required member, wrong type, a value outside an enum/const, a string off its
  pattern or length, a number off its bounds, an array below `minItems`, a value that matches a
  `not`. Constraints inside `then`/`else` carry the `if` that must (not) hold in the base payload.

Speed: the document does not change under a draw, so everything a draw would otherwise re-derive
is derived once per engine (one engine per contract, operation, fuzz and registry) and kept on
it: each set of subschemas at a location compiles to a `_Site` (its `$ref`/`allOf`/`if` walk,
and whether any `if` can change it), each set of applicable nodes to a `_Shape` (the merged
keywords and the strategies that draw them), each `if` to a Python predicate (`compile_test`).
A draw then only walks the payload it builds; a container already at its fixpoint is not
refilled (`Context.settled`). Hypothesis spends about the same on every choice and every span,
however small, so the optional members of an object are one choice (a bit mask) and leaves are
drawn without the spans of `.map`/`.filter` (`Leaf`, `values.Decoded`).
"""

from __future__ import annotations

import copy
import itertools
import re
import threading
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import jsonschema_rs
from hypothesis import reject
from hypothesis import strategies as st

from ..contract import Contract, pointer_join, pointer_tokens
from ..wire import sdk_name
from .values import FREE_TEXT_SAMPLES, Decoded, ValueRegistry

Path = tuple[str, ...]
"""An instance location as tokens; `*` stands for "any (the first) array item"."""

T = TypeVar("T")
Draw = Callable[[st.SearchStrategy[Any]], Any]
Breaker = Callable[[Draw, Any], Any]
"""(draw, the current value) -> a value that breaks one keyword, or REJECT."""

ITEM = "*"
_MAX_ROUNDS = 6
_MAX_DEPTH = 48
_MASK_BITS = 8  # optional members per mask choice: wider bounded integers lean to small values
_SHARED_MEMBERS = ("paths", "components")
_TYPE_ORDER = ("object", "array", "string", "integer", "number", "boolean", "null")
_FREE_KEYS = ("language", "customer_name", "ticket_id", "topic")
_FREE_KEY_SETS: tuple[tuple[str, ...], ...] = ((), *((k,) for k in _FREE_KEYS), *itertools.combinations(_FREE_KEYS, 2))
_BREAKABLE = (
    "type", "enum", "const", "pattern", "minLength", "maxLength", "minimum", "maximum", "minItems", "maxItems", "not",
)
_TYPE_SAMPLES: tuple[tuple[str, Any], ...] = (
    ("string", "oops"),
    ("integer", 7),
    ("number", 1.5),
    ("boolean", True),
    ("null", None),
    ("object", {}),
    ("array", []),
)
_ANNOTATIONS = frozenset(
    {"title", "description", "$comment", "examples", "default", "deprecated", "readOnly", "writeOnly"}
)


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


class _Reject:
    def __repr__(self) -> str:
        return "REJECT"


MISSING: Any = _Missing()
"""A member that is not there yet."""

REJECT: Any = _Reject()
"""What a draw returns when this base payload cannot carry the mutation (filtered out)."""


def pointer_of(path: Sequence[str]) -> str:
    return pointer_join(*path)


def json_type_ok(value: Any, types: Sequence[str]) -> bool:
    """JSON Schema `type` semantics for a decoded JSON value."""
    for name in types:
        if name == "null" and value is None:
            return True
        if name == "boolean" and isinstance(value, bool):
            return True
        if name == "string" and isinstance(value, str):
            return True
        if name == "object" and isinstance(value, dict):
            return True
        if name == "array" and isinstance(value, list):
            return True
        if name == "integer" and isinstance(value, int) and not isinstance(value, bool):
            return True
        if name == "integer" and isinstance(value, float) and value.is_integer():
            return True
        if name == "number" and isinstance(value, (int, float)) and not isinstance(value, bool):
            return True
    return False


def json_equal(a: Any, b: Any) -> bool:
    """JSON equality as `const`/`enum` use it: 1 == 1.0, but True is not 1 and "1" is not 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, str) or isinstance(b, str):
        return isinstance(a, str) and isinstance(b, str) and a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    return a is None and b is None


def compile_test(schema: Any) -> Callable[[Any], bool] | None:
    """A Python predicate equal to validating against `schema`, for the keywords conditions use
    (`type`, `const`, `enum`, `required`, `properties`, `not`, `allOf`, booleans); None when the
    schema uses any other (then the engine asks jsonschema-rs). Several times cheaper than a
    validator call, which converts the whole instance first, and a draw evaluates a dozen."""
    if isinstance(schema, bool):
        return (lambda _value: True) if schema else (lambda _value: False)
    if not isinstance(schema, Mapping):
        return None
    checks: list[Callable[[Any], bool]] = []
    for key, arg in schema.items():
        if key in _ANNOTATIONS or (isinstance(key, str) and key.startswith("x-")):
            continue
        check = _keyword_test(key, arg)
        if check is None:
            return None
        checks.append(check)
    return _all_of(checks)


def _keyword_test(key: str, arg: Any) -> Callable[[Any], bool] | None:
    if key == "type" and isinstance(arg, (str, list)):
        types = [arg] if isinstance(arg, str) else list(arg)
        return lambda v: json_type_ok(v, types)
    if key == "const":
        if isinstance(arg, str):
            return lambda v: isinstance(v, str) and v == arg
        return lambda v: json_equal(v, arg)
    if key == "enum" and isinstance(arg, list):
        if all(isinstance(m, str) for m in arg):
            strings = frozenset(arg)
            return lambda v: isinstance(v, str) and v in strings
        return lambda v: any(json_equal(v, m) for m in arg)
    if key == "required" and isinstance(arg, list) and all(isinstance(n, str) for n in arg):
        names = frozenset(arg)
        return lambda v: not isinstance(v, dict) or names <= v.keys()
    if key == "properties" and isinstance(arg, Mapping):
        pairs = [(name, compile_test(sub)) for name, sub in arg.items()]
        tests = [(name, test) for name, test in pairs if test is not None]
        if len(tests) < len(pairs):
            return None
        if len(tests) == 1:
            (name, test), = tests
            return lambda v: not isinstance(v, dict) or name not in v or test(v[name])

        def properties(v: Any) -> bool:
            if isinstance(v, dict):
                for name, test in tests:
                    if name in v and not test(v[name]):
                        return False
            return True

        return properties
    if key == "not":
        inner = compile_test(arg)
        return None if inner is None else (lambda v: not inner(v))
    if key == "allOf" and isinstance(arg, list):
        parts = [compile_test(sub) for sub in arg]
        checks = [part for part in parts if part is not None]
        return None if len(checks) < len(parts) else _all_of(checks)
    return None


def _all_of(checks: list[Callable[[Any], bool]]) -> Callable[[Any], bool]:
    if not checks:
        return lambda _value: True
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda v: first(v) and second(v)

    return lambda v: all(check(v) for check in checks)

@dataclass
class Merged:
    """The conjunction of the plain keywords of several schema nodes at one location."""

    types: list[str] | None = None
    enum: list[Any] | None = None
    const: tuple[Any, ...] = ()
    required: list[str] = field(default_factory=list)
    properties: dict[str, list[Any]] = field(default_factory=dict)
    items: list[Any] = field(default_factory=list)
    string_nodes: list[Mapping[str, Any]] = field(default_factory=list)
    patterns: list[str] = field(default_factory=list)
    min_length: int = 0
    max_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    min_items: int = 0
    max_items: int | None = None

    def kinds(self) -> list[str]:
        if self.types is not None:
            return [t for t in _TYPE_ORDER if t in self.types]
        if self.properties or self.required:
            return ["object"]
        if self.items or self.min_items:
            return ["array"]
        if self.string_nodes or self.min_length:
            return ["string"]
        if self.minimum is not None or self.maximum is not None:
            return ["integer"]
        return []

    def accepts_leaf(self, value: Any) -> bool:
        """Whether a drawn leaf value still satisfies these keywords (kept across rounds)."""
        if self.const and value != self.const[0]:
            return False
        if self.enum is not None and value not in self.enum:
            return False
        if self.types is not None and not json_type_ok(value, self.types):
            return False
        if isinstance(value, str):
            if len(value) < self.min_length or (self.max_length is not None and len(value) > self.max_length):
                return False
            if any(re.search(p, value) is None for p in self.patterns):
                return False
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if self.minimum is not None and value < self.minimum:
                return False
            if self.maximum is not None and value > self.maximum:
                return False
        return True


def merge(flat: Iterable[Mapping[str, Any]]) -> Merged:
    m = Merged()
    for node in flat:
        if "type" in node:
            declared = node["type"] if isinstance(node["type"], list) else [node["type"]]
            m.types = declared if m.types is None else [t for t in m.types if t in declared]
        if "const" in node and not m.const:
            m.const = (node["const"],)
        if isinstance(node.get("enum"), list):
            m.enum = list(node["enum"]) if m.enum is None else [v for v in m.enum if v in node["enum"]]
        m.required += [r for r in node.get("required", ()) if r not in m.required]
        for name, sub in (node.get("properties") or {}).items():
            m.properties.setdefault(name, []).append(sub)
        if isinstance(node.get("items"), Mapping):
            m.items.append(node["items"])
        if "pattern" in node or "format" in node:
            m.string_nodes.append(node)
            if isinstance(node.get("pattern"), str):
                m.patterns.append(node["pattern"])
        m.min_length = max(m.min_length, int(node.get("minLength", 0)))
        if "maxLength" in node:
            m.max_length = min(m.max_length or node["maxLength"], node["maxLength"])
        if "minimum" in node:
            m.minimum = node["minimum"] if m.minimum is None else max(m.minimum, node["minimum"])
        if "maximum" in node:
            m.maximum = node["maximum"] if m.maximum is None else min(m.maximum, node["maximum"])
        m.min_items = max(m.min_items, int(node.get("minItems", 0)))
        if "maxItems" in node:
            m.max_items = min(m.max_items or node["maxItems"], node["maxItems"])
    return m


Leaf = tuple[st.SearchStrategy[Any], Callable[[Any], Any] | None, Merged | None]
"""How a leaf is drawn: (strategy, what decodes its value or None, the keywords it must still pass
or None): what `strategy.map(decode).filter(accepts_leaf)` draws, with none of their spans."""


@dataclass(frozen=True)
class Dimension:
    """An enum member that some `if` tests: the axes of the cells (type x initiated_by)."""

    name: str
    path: Path
    values: tuple[Any, ...]

    @property
    def pointer(self) -> str:
        return pointer_of(self.path)


@dataclass(frozen=True)
class Plan:
    """One way to break one rule: a keyword of a schema node at an instance location."""

    rule: str
    kind: str  # "drop" (a required member), "set" (a value), "add-key" (a property name)
    path: Path  # drop/add-key: the object; set: the value
    keyword: str
    node: Mapping[str, Any] = field(compare=False, hash=False, repr=False)
    conditions: tuple[tuple[Path, Any, bool], ...] = field(default=(), compare=False, hash=False, repr=False)
    member: str | None = None

    @property
    def container(self) -> Path:
        return self.path if self.kind in ("drop", "add-key") else self.path[:-1]

    def describe(self) -> str:
        where = pointer_of(self.path) or "(the payload)"
        if self.kind == "drop":
            return f"drop required member {self.member!r} of {where}"
        if self.kind == "add-key":
            return f"add a key that propertyNames forbids to {where}"
        return f"break {self.keyword!r} at {where}"


@dataclass(frozen=True)
class Demand:
    """What a draw is pinned to and must contain, by instance path (derived once per cell).

    `pinned`: path -> value; `ensured`: the paths that must be present (the pinned ones, and each
    ensured pointer with its ancestors); `asked`: parent path -> the member names a pin or an
    ensured pointer names there, sorted."""

    pinned: Mapping[Path, Any] = field(default_factory=dict)
    ensured: frozenset[Path] = frozenset()
    asked: Mapping[Path, tuple[str, ...]] = field(default_factory=dict)
    must: Mapping[Path, frozenset[str]] = field(default_factory=dict)
    """parent path -> its members in `ensured` (what `_fill_object` asks, without building paths)"""

    @classmethod
    def of(cls, pins: Mapping[str, Any], ensure: Iterable[str] = ()) -> Demand:
        """From pins (pointer -> value) and pointers that must exist."""
        pinned = {tuple(pointer_tokens(p)): v for p, v in pins.items()}
        wanted = [tuple(pointer_tokens(e)) for e in ensure]
        ensured = set(pinned).union(e[:i] for e in wanted for i in range(len(e) + 1))
        asked: dict[Path, set[str]] = {}
        for path in [*pinned, *wanted]:
            if path:
                asked.setdefault(path[:-1], set()).add(path[-1])
        must: dict[Path, set[str]] = {}
        for path in ensured:
            if path:
                must.setdefault(path[:-1], set()).add(path[-1])
        return cls(
            pinned,
            frozenset(ensured),
            {k: tuple(sorted(v)) for k, v in asked.items()},
            {k: frozenset(v) for k, v in must.items()},
        )


NO_DEMAND = Demand()


class Context:
    """One draw of a payload: its draw function, its demand, and the containers already at their
    fixpoint (id -> (value, site, path)), which a later round of a parent returns as they are."""

    __slots__ = ("demand", "draw", "settled")

    def __init__(self, draw: Draw, demand: Demand = NO_DEMAND) -> None:
        self.draw = draw
        self.demand = demand
        self.settled: dict[int, tuple[Any, _Site, Path]] = {}

    def ensured(self, path: Path) -> bool:
        return path in self.demand.ensured


class _Visit:
    """One schema node compiled for `flatten`: its `$ref` target, `allOf` members and `if` branches."""

    __slots__ = ("all_of", "node", "otherwise", "ref", "test", "then")

    def __init__(self, node: Mapping[str, Any]) -> None:
        self.node = node
        self.ref: _Visit | None = None
        self.all_of: tuple[_Visit, ...] = ()
        self.test: Any = MISSING  # the `if`, when the node has one
        self.then: _Visit | None = None
        self.otherwise: _Visit | None = None


class _Site:
    """The subschemas describing one instance location, compiled. `static`: no `if` is reachable
    from them, so the nodes that apply never depend on the value and one round fills it."""

    __slots__ = ("fixed", "plain", "schemas", "static", "visits")

    def __init__(self, schemas: tuple[Any, ...], visits: tuple[_Visit, ...], static: bool) -> None:
        self.schemas = schemas
        self.visits = visits
        self.static = static
        self.plain: tuple[Mapping[str, Any], ...] = ()  # the nodes that apply while the value is MISSING
        self.fixed: _Shape | None = None  # a static site's one shape


class _Shape:
    """The nodes that apply at a location, merged, with what filling it needs derived once."""

    __slots__ = (
        "array_ok", "children", "enum", "items", "kind", "kinds", "leaves", "merged", "names", "nodes",
        "object_ok", "open", "required",
    )

    def __init__(self, nodes: tuple[Mapping[str, Any], ...]) -> None:
        m = merge(nodes)
        self.nodes = nodes
        self.merged = m
        self.kinds = m.kinds()
        self.kind: str | st.SearchStrategy[str] = (
            self.kinds[0] if len(self.kinds) == 1 else st.sampled_from(self.kinds) if self.kinds else "string"
        )
        self.enum: st.SearchStrategy[Any] | None = None
        if m.enum is not None:
            choices = [v for v in m.enum if not self.kinds or json_type_ok(v, self.kinds)]
            self.enum = st.sampled_from(choices or m.enum)
        self.object_ok = "object" in (self.kinds or ["object"])
        self.array_ok = "array" in (self.kinds or ["array"])
        self.names = tuple(m.properties) + tuple(r for r in m.required if r not in m.properties)
        self.required = frozenset(m.required)
        self.open = not m.properties and not m.required
        self.children: dict[str, _Site] = {}
        self.items: _Site | None = None
        self.leaves: dict[str, Leaf] = {}


class Engine:
    """Derived generation for one operation's request payload."""

    def __init__(self, contract: Contract, operation_id: str, registry: ValueRegistry, *, fuzz: bool = False) -> None:
        self.contract = contract
        self.operation = contract.operation(operation_id)
        self.registry = registry
        self.fuzz = fuzz
        op_id = self.operation.operation_id
        # the contract's standalone roots: the body schema, or the query parameters as one object
        self.root: Mapping[str, Any] | None = contract.request_schema(op_id)
        self.warnings_root: Mapping[str, Any] | None = contract.warnings_schema(op_id)
        # what makes a root standalone (the document's members its `$ref`s point into), so that an
        # `if` found beneath it compiles on its own the same way
        self._shared = {k: v for k, v in (self.root or {}).items() if k in _SHARED_MEMBERS}
        # derived on first use, then only read by every draw; the lock guards what is built in
        # several steps (sites, memo entries); a lone lazy attribute raced by two threads is built
        # equal by both
        self._lock = threading.RLock()
        self._tests: dict[int, tuple[Any, Callable[[Any], bool]]] = {}
        self._visits: dict[int, _Visit] = {}
        self._sites: dict[tuple[int, ...], _Site] = {}
        self._shapes: dict[tuple[int, ...], _Shape] = {}
        self._strategies: dict[Hashable, Any] = {}
        self._int_strategies: dict[tuple[int, int], st.SearchStrategy[int]] = {}
        self._free_keys = st.sampled_from(_FREE_KEY_SETS)
        self._free_value = st.one_of(st.sampled_from(FREE_TEXT_SAMPLES), st.integers(0, 9999))
        self.dimensions: tuple[Dimension, ...] = tuple(self._find_dimensions()) if self.root else ()
        self._cells = self._all_cells()
        self._plans: list[Plan] | None = None

    def memo(self, key: Hashable, build: Callable[[], T]) -> T:
        """What `build` derives from this engine (a strategy, a rule's plans), built once per key."""
        try:
            return self._strategies[key]  # type: ignore[no-any-return]
        except KeyError:
            pass
        with self._lock:
            if key not in self._strategies:
                self._strategies[key] = build()
            return self._strategies[key]  # type: ignore[no-any-return]

    def _ints(self, low: int, high: int) -> st.SearchStrategy[int]:
        found = self._int_strategies.get((low, high))
        if found is None:
            found = self._int_strategies.setdefault((low, high), st.integers(low, high))
        return found

    # -- schema plumbing ----------------------------------------------------------------------
    def deref(self, node: Any) -> Any:
        """`node` with its `$ref` chain followed (the contract resolves it)."""
        return self.contract.deref(node)

    def holds(self, schema: Any, instance: Any) -> bool:
        """Whether `instance` satisfies `schema` (an `if`), refs resolved against the document."""
        entry = self._tests.get(id(schema))
        if entry is None:
            test = compile_test(schema)
            if test is None:
                validator = jsonschema_rs.Draft202012Validator({**schema, **self._shared}, validate_formats=False)
                test = validator.is_valid
            entry = self._tests.setdefault(id(schema), (schema, test))
        return bool(entry[1](instance))

    def _visit_of(self, node: Any) -> _Visit | None:
        if not isinstance(node, Mapping):
            return None
        found = self._visits.get(id(node))
        if found is not None:
            return found
        visit = self._visits[id(node)] = _Visit(node)  # registered first: a `$ref` cycle ends here
        if isinstance(node.get("$ref"), str):
            visit.ref = self._visit_of(self.contract.follow(node))
        visit.all_of = tuple(v for v in map(self._visit_of, node.get("allOf", ())) if v is not None)
        if "if" in node:
            visit.test = node["if"]
            visit.then = self._visit_of(node.get("then"))
            visit.otherwise = self._visit_of(node.get("else"))
        return visit

    def site(self, schemas: Sequence[Any]) -> _Site:
        """The compiled form of the subschemas at one location (built once per engine)."""
        key = tuple(map(id, schemas))
        found = self._sites.get(key)
        if found is not None:
            return found
        with self._lock:
            found = self._sites.get(key)
            if found is None:
                visits = tuple(v for v in map(self._visit_of, schemas) if v is not None)
                found = _Site(tuple(schemas), visits, not _reaches_if(visits))
                found.plain = self._walk(found, MISSING)
                found.fixed = self.shape(found.plain) if found.static else None
                self._sites[key] = found
            return found

    def _walk(self, site: _Site, value: Any) -> tuple[Mapping[str, Any], ...]:
        out: list[Mapping[str, Any]] = []
        seen: set[int] = set()

        def visit(v: _Visit, depth: int) -> None:
            if depth > _MAX_DEPTH or id(v.node) in seen:
                return
            seen.add(id(v.node))
            if v.ref is not None:
                visit(v.ref, depth + 1)
            out.append(v.node)
            for sub in v.all_of:
                visit(sub, depth + 1)
            if v.test is not MISSING and value is not MISSING:
                branch = v.then if self.holds(v.test, value) else v.otherwise
                if branch is not None:
                    visit(branch, depth + 1)

        for v in site.visits:
            visit(v, 0)
        return tuple(out)

    def _nodes(self, site: _Site, value: Any) -> tuple[Mapping[str, Any], ...]:
        return site.plain if site.static or value is MISSING else self._walk(site, value)

    def flatten(self, schemas: Sequence[Any], value: Any) -> list[Mapping[str, Any]]:
        """The plain nodes that apply at a location: `$ref`s and `allOf` expanded, and each
        `if` evaluated against `value` (skipped while the value is still MISSING)."""
        return list(self._nodes(self.site(schemas), value))

    def shape(self, nodes: Sequence[Mapping[str, Any]]) -> _Shape:
        """The merged form of the nodes that apply at a location (built once per engine)."""
        key = tuple(map(id, nodes))
        found = self._shapes.get(key)
        if found is None:
            with self._lock:
                found = self._shapes.setdefault(key, _Shape(tuple(nodes)))
        return found

    def merge(self, flat: Sequence[Mapping[str, Any]]) -> Merged:
        return self.shape(flat).merged

    def _child(self, shape: _Shape, name: str) -> _Site:
        found = shape.children.get(name)
        if found is None:
            found = shape.children[name] = self.site(shape.merged.properties.get(name, []))
        return found

    def _items(self, shape: _Shape) -> _Site:
        if shape.items is None:
            shape.items = self.site(shape.merged.items)
        return shape.items

    def schemas_at(self, path: Path) -> list[Any]:
        """The unconditional subschemas that describe the value at `path`."""
        schemas: list[Any] = [self.root] if self.root is not None else []
        for token in path:
            merged = self.merge(self.flatten(schemas, MISSING))
            schemas = merged.items if token == ITEM else merged.properties.get(token, [])
        return schemas

    # -- valid payloads -----------------------------------------------------------------------
    def fill(self, ctx: Context, value: Any, schemas: Sequence[Any], path: Path) -> Any:
        """Complete `value` (or draw it, when MISSING) until every applicable subschema holds."""
        return self._fill(ctx, value, self.site(schemas), path)

    def fill_root(self, ctx: Context) -> Any:
        if self.root is None:
            raise ValueError(f"{self.operation.operation_id} has no request payload")
        return self.fill(ctx, MISSING, [self.root], ())

    def _fill(self, ctx: Context, value: Any, site: _Site, path: Path) -> Any:
        if value is not MISSING and isinstance(value, (dict, list)):
            settled = ctx.settled.get(id(value))
            if settled is not None and settled[0] is value and settled[1] is site and settled[2] == path:
                return value
        if site.fixed is not None:  # the same nodes apply whatever the value: one round is the fixpoint
            value = self._fill_shape(ctx, value, site.fixed, path)
        else:
            last: _Shape | None = None
            for _ in range(_MAX_ROUNDS):
                shape = self.shape(self._nodes(site, value))
                if shape is last:
                    break
                last, before = shape, value
                value = self._fill_shape(ctx, value, shape, path)
                if _unchanged(before, value):  # the same `if`s would select the same nodes again
                    break
        if isinstance(value, (dict, list)):
            ctx.settled[id(value)] = (value, site, path)
        return value

    def _fill_shape(self, ctx: Context, value: Any, shape: _Shape, path: Path) -> Any:
        pinned = ctx.demand.pinned
        if pinned and path in pinned:
            return pinned[path]
        m = shape.merged
        if m.const:
            return m.const[0]
        if value is not MISSING and not isinstance(value, (dict, list)) and m.accepts_leaf(value):
            return value
        if shape.enum is not None:
            return ctx.draw(shape.enum)
        if isinstance(value, dict) and shape.object_ok:
            return self._fill_object(ctx, value, shape, path)
        if isinstance(value, list) and shape.array_ok:
            return self._fill_array(ctx, value, shape, path)
        kind = shape.kind if isinstance(shape.kind, str) else ctx.draw(shape.kind)
        if kind == "object":
            return self._fill_object(ctx, MISSING, shape, path)
        if kind == "array":
            return self._fill_array(ctx, MISSING, shape, path)
        leaf = shape.leaves.get(kind)
        if leaf is None:
            leaf = shape.leaves[kind] = self._leaf(m, kind)
        strategy, decode, checked = leaf
        for _ in range(1 if checked is None else 3):  # as `.map(decode).filter(...)` would, spans aside
            value = ctx.draw(strategy) if decode is None else decode(ctx.draw(strategy))
            if checked is None or checked.accepts_leaf(value):
                return value
        reject()

    def _fill_object(self, ctx: Context, value: Any, shape: _Shape, path: Path) -> dict[str, Any]:
        fresh = not isinstance(value, dict)
        current: dict[str, Any] = {} if fresh else dict(value)
        demand = ctx.demand
        names = shape.names
        asked = demand.asked.get(path)
        if asked:
            names += tuple(n for n in asked if n not in names)
        wanted = shape.required
        must = demand.must.get(path)
        if must:
            wanted = wanted | must
        if fresh:  # which optional members to draw: one choice per (up to) eight of them
            optional = [n for n in names if n not in wanted]
            if optional:
                wanted = wanted.union(self._draw_subset(ctx, optional))
        for name in names:
            if name in current:
                current[name] = self._fill(ctx, current[name], self._child(shape, name), (*path, name))
            elif name in wanted:
                current[name] = self._fill(ctx, MISSING, self._child(shape, name), (*path, name))
        if fresh and shape.open:
            current.update(self._draw_free(ctx))
        return current

    def _draw_subset(self, ctx: Context, names: Sequence[str]) -> list[str]:
        """Each name with probability about 1/2, as bit masks (zero, what shrinking reaches: none)."""
        out: list[str] = []
        for start in range(0, len(names), _MASK_BITS):
            chunk = names[start : start + _MASK_BITS]
            mask = ctx.draw(self._ints(0, (1 << len(chunk)) - 1))
            out += [name for bit, name in enumerate(chunk) if mask >> bit & 1]
        return out

    def _fill_array(self, ctx: Context, value: Any, shape: _Shape, path: Path) -> list[Any]:
        m = shape.merged
        child = (*path, ITEM)
        low = max(m.min_items, 1 if child in ctx.demand.ensured else 0)
        if isinstance(value, list):
            current = list(value)
        else:
            high = low + 2 if m.max_items is None else min(low + 2, m.max_items)
            current = [MISSING] * (ctx.draw(self._ints(low, high)) if high > low else low)
        current += [MISSING] * max(0, low - len(current))
        items = self._items(shape)
        return [self._fill(ctx, item, items, child) for item in current]

    def free_object(self) -> st.SearchStrategy[dict[str, Any]]:
        """An object the contract leaves open (task attributes, media properties)."""
        return self.memo("free object", lambda: st.composite(lambda draw: self._draw_free(Context(draw)))())

    def _draw_free(self, ctx: Context) -> dict[str, Any]:
        if self.fuzz:
            wide = self.memo(
                "free fuzz", lambda: st.dictionaries(st.text(max_size=8), self._free_value | st.text(), max_size=4)
            )
            return dict(ctx.draw(wide))
        # up to two of the known keys, chosen in one draw: {} first, which is what shrinking reaches
        return {key: ctx.draw(self._free_value) for key in ctx.draw(self._free_keys)}

    def leaf_strategy(self, m: Merged, kind: str) -> st.SearchStrategy[Any]:
        return _strategy_of(self._leaf(m, kind))

    def string_strategy(self, m: Merged) -> st.SearchStrategy[str]:
        return _strategy_of(self._string(m))

    def _leaf(self, m: Merged, kind: str) -> Leaf:
        if kind == "string":
            return self._string(m)
        if kind in ("integer", "number"):
            low = None if m.minimum is None else int(m.minimum)
            high = None if m.maximum is None else int(m.maximum)
            if not self.fuzz:
                low = 0 if low is None else low
                high = low + 100 if high is None else high
            if kind == "number":
                return st.floats(low, high, allow_nan=False, allow_infinity=False), None, None
            return st.integers(low, high), None, None
        if kind == "boolean":
            return st.booleans(), None, None
        return st.none(), None, None

    def _string(self, m: Merged) -> Leaf:
        leaf: st.SearchStrategy[str] | Decoded | None = None
        for node in m.string_nodes:
            leaf = self.registry.leaf(node, fuzz=self.fuzz)
            if leaf is not None:
                break
        if leaf is None and m.patterns:
            leaf = st.from_regex(m.patterns[0], fullmatch=True)
        if leaf is None:
            top = m.max_length if m.max_length is not None else m.min_length + (40 if self.fuzz else 12)
            text = st.text(min_size=m.min_length, max_size=top)
            samples = [s for s in FREE_TEXT_SAMPLES if m.min_length <= len(s) <= top]
            return (st.one_of(st.sampled_from(samples), text) if samples else text), None, None
        # what the registry or the first pattern draws may still miss a length or another pattern
        checked = m if m.min_length or m.max_length is not None or len(m.patterns) > 1 else None
        if isinstance(leaf, Decoded):
            return leaf.raw, leaf.decode, checked
        return leaf, None, checked

    # -- cells --------------------------------------------------------------------------------
    def _find_dimensions(self) -> Iterator[Dimension]:
        assert self.root is not None
        found: dict[Path, Dimension] = {}
        for path, if_schema in self._if_nodes():
            for tested in _tested_members(if_schema, path):
                base = self.merge(self.flatten(self.schemas_at(tested), MISSING))
                if tested not in found and base.enum:
                    found[tested] = Dimension(tested[-1], tested, tuple(base.enum))
        order = {p: i for i, p in enumerate(self._property_paths())}
        yield from sorted(found.values(), key=lambda d: (len(d.path), order.get(d.path, 1 << 30)))

    def _property_paths(self) -> list[Path]:
        paths: list[Path] = []
        stack: list[Path] = [()]
        while stack and len(paths) < 500:
            path = stack.pop(0)
            paths.append(path)
            if len(path) < 6:
                stack += [(*path, name) for name in self.merge(self.flatten(self.schemas_at(path), MISSING)).properties]
        return paths

    def _if_nodes(self) -> list[tuple[Path, Any]]:
        return [(path, node["if"]) for path, node, _, _ in self.walk(self.root) if "if" in node]

    def _all_cells(self) -> list[dict[str, Any]]:
        if not self.dimensions:
            return [{}]
        axes = [[(d.pointer, v) for v in d.values] for d in self.dimensions]
        return [dict(combo) for combo in itertools.product(*axes)]

    def cells(self) -> list[dict[str, Any]]:
        """Every combination of dimension values, as pins (pointer -> value)."""
        return list(self._cells)

    # -- rule-breaking plans ------------------------------------------------------------------
    def walk(
        self, root: Any, *, start_owner: str | None = None
    ) -> Iterator[tuple[Path, Mapping[str, Any], str | None, tuple[tuple[Path, Any, bool], ...]]]:
        """(instance path, node, owning rule, conditions) for every constraint node under root."""
        stack: list[tuple[Any, Path, str | None, tuple[tuple[Path, Any, bool], ...], int]] = [
            (root, (), start_owner, (), 0)
        ]
        while stack:
            node, path, owner, conds, depth = stack.pop()
            if not isinstance(node, Mapping) or depth > _MAX_DEPTH:
                continue
            owner = node["x-rule"] if isinstance(node.get("x-rule"), str) else owner
            yield path, node, owner, conds
            nxt = depth + 1
            if isinstance(node.get("$ref"), str):
                stack.append((self.contract.follow(node), path, owner, conds, nxt))
            for sub in node.get("allOf", ()):
                stack.append((sub, path, owner, conds, nxt))
            for name, sub in (node.get("properties") or {}).items():
                stack.append((sub, (*path, name), owner, conds, nxt))
            if isinstance(node.get("items"), Mapping):
                stack.append((node["items"], (*path, ITEM), owner, conds, nxt))
            if "if" in node:
                for branch, expected in (("then", True), ("else", False)):
                    if isinstance(node.get(branch), Mapping):
                        stack.append((node[branch], path, owner, (*conds, (path, node["if"], expected)), nxt))

    def plans(self) -> list[Plan]:
        """Every single-keyword mutation the document's constraints allow, each with its rule."""
        if self._plans is None:
            out: list[Plan] = []
            for root in (self.root, self.warnings_root):
                if root is None:
                    continue
                for path, node, owner, conds in self.walk(root):
                    out += _plans_for_node(path, node, owner, conds)
            unique: dict[tuple[Any, ...], Plan] = {}
            for plan in out:
                unique.setdefault((plan.rule, plan.kind, plan.path, plan.keyword, plan.member, id(plan.node)), plan)
            self._plans = list(unique.values())
        return list(self._plans)

    def conditions_hold(self, payload: Any, conditions: Sequence[tuple[Path, Any, bool]]) -> bool:
        for path, schema, expected in conditions:
            found, instance = get_at(payload, path)
            if not found or self.holds(schema, instance) is not expected:
                return False
        return True

    def plan_cells(self, plan: Plan) -> list[dict[str, Any]]:
        """The cells whose skeleton (pins + the plan's container) satisfies the plan's conditions."""
        cells = self.cells()
        ensure = [pointer_of(plan.container)] if plan.container else []
        fitting = [c for c in cells if self.conditions_hold(skeleton({**c}, ensure), plan.conditions)]
        return fitting or cells

    def breaker(self, plan: Plan, *, strings_only: bool) -> Breaker:
        """How to draw a value that breaks `plan.keyword` of `plan.node` (and ideally nothing else)."""
        return self.memo(("breaker", plan, id(plan.node), strings_only), lambda: _breaker(self, plan, strings_only))

    def mutate(self, plan: Plan, base: Any, draw: Draw, *, strings_only: bool) -> Any:
        """`base` with `plan` applied, or REJECT when `base` cannot carry it. `base` is not
        changed: the containers on the way to the mutation are copied, the rest is shared."""
        if plan.kind == "set" and not plan.path:
            return self.breaker(plan, strings_only=strings_only)(draw, base)
        payload, container = _copy_path(base, plan.container)
        if container is MISSING:
            return REJECT
        if plan.kind == "drop":
            if not isinstance(container, dict) or plan.member not in container:
                return REJECT
            del container[plan.member]
        elif plan.kind == "add-key":
            if not isinstance(container, dict):
                return REJECT
            names = [n for n in plan.node["not"]["enum"] if isinstance(n, str) and n not in container]
            if not names:
                return REJECT
            key = draw(self.memo(("names", tuple(names)), lambda: st.sampled_from(names)))
            container[key] = copy.deepcopy(container.get(sdk_name(key), "x"))
        else:
            last, breaker = plan.path[-1], self.breaker(plan, strings_only=strings_only)
            if last == ITEM:
                if not isinstance(container, list) or not container:
                    return REJECT
                container[0] = breaker(draw, container[0])
                broken = container[0]
            elif isinstance(container, dict):
                broken = container[last] = breaker(draw, container.get(last, MISSING))
            else:
                return REJECT
            if broken is REJECT:
                return REJECT
        return payload


def _strategy_of(leaf: Leaf) -> st.SearchStrategy[Any]:
    strategy, decode, checked = leaf
    strategy = strategy if decode is None else strategy.map(decode)
    return strategy if checked is None else strategy.filter(checked.accepts_leaf)


def _unchanged(before: Any, after: Any) -> bool:
    """Whether a round kept the value as it was: the same members, holding the same objects."""
    if before is after:
        return True
    if isinstance(before, dict) and isinstance(after, dict):
        return len(before) == len(after) and all(after.get(k, MISSING) is v for k, v in before.items())
    if isinstance(before, list) and isinstance(after, list):
        return len(before) == len(after) and all(a is b for a, b in zip(before, after, strict=True))
    return False


def _reaches_if(visits: Iterable[_Visit]) -> bool:
    stack, seen = list(visits), set()
    while stack:
        v = stack.pop()
        if id(v) in seen:
            continue
        seen.add(id(v))
        if v.test is not MISSING:
            return True
        stack += [s for s in (v.ref, *v.all_of) if s is not None]
    return False


def _copy_path(payload: Any, path: Path) -> tuple[Any, Any]:
    """(a copy of `payload` whose containers along `path` are copies too, the copied container at
    `path`) or (None, MISSING) when `path` is not there."""
    if not isinstance(payload, (dict, list)):
        return None, MISSING
    root = current = copy.copy(payload)
    for token in path:
        if token == ITEM:
            if not isinstance(current, list) or not current:
                return None, MISSING
            key: Any = 0
        elif isinstance(current, dict) and token in current:
            key = token
        else:
            return None, MISSING
        child = current[key]
        if not isinstance(child, (dict, list)):
            return None, MISSING
        current[key] = child = copy.copy(child)
        current = child
    return root, current


def _tested_members(if_schema: Any, path: Path) -> Iterator[Path]:
    if not isinstance(if_schema, Mapping):
        return
    for name, sub in (if_schema.get("properties") or {}).items():
        if isinstance(sub, Mapping):
            if "const" in sub or "enum" in sub:
                yield (*path, name)
            yield from _tested_members(sub, (*path, name))


def _plans_for_node(
    path: Path, node: Mapping[str, Any], owner: str | None, conds: tuple[tuple[Path, Any, bool], ...]
) -> list[Plan]:
    plans: list[Plan] = []
    by_member: Mapping[str, Any] = node.get("x-required-rules") or {}
    for member in node.get("required", ()):
        rule = by_member.get(member, owner)
        if rule:
            plans.append(Plan(str(rule), "drop", path, "required", node, conds, member))
    names = node.get("propertyNames")
    if isinstance(names, Mapping) and isinstance(names.get("not"), Mapping) and names["not"].get("enum"):
        rule = names["x-rule"] if isinstance(names.get("x-rule"), str) else owner
        if rule:
            plans.append(Plan(rule, "add-key", path, "propertyNames", names, conds))
    if owner is None:
        return plans
    for keyword in _BREAKABLE:
        if keyword in node and (keyword not in ("minLength", "minItems") or node[keyword] > 0):
            plans.append(Plan(owner, "set", path, keyword, node, conds))
    return plans


def get_at(payload: Any, path: Path) -> tuple[bool, Any]:
    """(found, value) at an instance path, `*` meaning the first item."""
    current = payload
    for token in path:
        if token == ITEM:
            if not isinstance(current, list) or not current:
                return False, None
            current = current[0]
        elif isinstance(current, dict) and token in current:
            current = current[token]
        else:
            return False, None
    return True, current


def skeleton(pins: Mapping[str, Any], ensure: Sequence[str]) -> Any:
    """The smallest instance holding the pinned values and the ensured containers."""
    root: dict[str, Any] = {}
    for pointer, value in [*[(e, MISSING) for e in ensure], *pins.items()]:
        tokens = pointer_tokens(pointer)
        current: Any = root
        for i, token in enumerate(tokens):
            nxt = tokens[i + 1] if i + 1 < len(tokens) else None
            blank: Any = [] if nxt == ITEM else {}
            if nxt is None and value is not MISSING:
                blank = value
            if token == ITEM:
                if not isinstance(current, list):
                    break
                if not current:
                    current.append(blank)
                current = current[0]
            else:
                if not isinstance(current, dict):
                    break
                if nxt is None and value is not MISSING:
                    current[token] = value
                current = current.setdefault(token, blank)
    return root


def _breaker(engine: Engine, plan: Plan, strings_only: bool) -> Breaker:
    node, keyword = plan.node, plan.keyword

    def constant(value: Any) -> Breaker:
        return lambda draw, current: value

    def one_of(values: list[Any]) -> Breaker:
        if not values:
            return constant(REJECT)
        choices = st.sampled_from(values)
        return lambda draw, current: draw(choices)

    if keyword == "type":
        declared = node["type"] if isinstance(node["type"], list) else [node["type"]]
        wrong = [v for t, v in _TYPE_SAMPLES if not json_type_ok(v, declared)]
        return one_of([v for v in wrong if isinstance(v, str)] if strings_only else wrong)
    if keyword in ("enum", "const"):
        allowed = list(node["enum"]) if keyword == "enum" else [node["const"]]
        pool: list[Any] = []
        for v in allowed:
            if isinstance(v, str):
                pool += [v.upper(), v.capitalize(), v + "_x", ""]
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                pool += [v + 1, str(v)]
        values: list[Any] = []
        for v in pool:
            if not any(_same(v, a) for a in allowed) and not any(_same(v, w) for w in values):
                values.append(v)
        return one_of(values) if values else constant("other")
    if keyword == "pattern":
        pattern = node["pattern"]
        valid = engine.string_strategy(engine.merge(engine.flatten([node], MISSING)))

        def off_pattern(draw: Draw, current: Any) -> Any:
            breaks = _pattern_breaks(draw(valid), pattern)
            return breaks[draw(engine._ints(0, len(breaks) - 1))] if len(breaks) > 1 else breaks[0]

        return off_pattern
    if keyword == "minLength":
        return constant("x" * (int(node["minLength"]) - 1))
    if keyword == "maxLength":
        return constant("x" * (int(node["maxLength"]) + 1))
    if keyword == "minimum":
        return constant(_below(node["minimum"]))
    if keyword == "maximum":
        return constant(_above(node["maximum"]))
    if keyword == "minItems":
        least = int(node["minItems"])

        def too_few(draw: Draw, current: Any) -> Any:
            keep = current[: least - 1] if isinstance(current, list) else []
            return keep if len(keep) < least else REJECT

        return too_few
    if keyword == "maxItems":
        most = int(node["maxItems"])

        def too_many(draw: Draw, current: Any) -> Any:
            item = current[0] if isinstance(current, list) and current else None
            return [copy.deepcopy(item) for _ in range(most + 1)]

        return too_many
    if keyword == "not":
        schemas, path = [node["not"]], plan.path
        return lambda draw, current: engine.fill(Context(draw), MISSING, schemas, path)  # a value `not` forbids
    return constant(REJECT)


def _same(a: Any, b: Any) -> bool:
    """JSON equality (so that True is not 1)."""
    return type(a) is type(b) and bool(a == b)


def _pattern_breaks(value: str, pattern: str) -> list[str]:
    candidates = [value[: len(value) // 2], value + " ", "#" + value[1:], ""]
    broken = [c for c in candidates if re.search(pattern, c) is None]
    return broken or ["\x00"]


def _below(bound: Any) -> Any:
    return bound - 1 if isinstance(bound, int) else bound - 0.5


def _above(bound: Any) -> Any:
    return bound + 1 if isinstance(bound, int) else bound + 0.5
