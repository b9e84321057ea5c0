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
"""

from __future__ import annotations

import copy
import itertools
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import jsonschema_rs
from hypothesis import strategies as st

from ..contract import Contract, pointer_join, pointer_tokens
from .values import FREE_TEXT_SAMPLES, ValueRegistry

Path = tuple[str, ...]
"""An instance location as tokens; `*` stands for "any (the first) array item"."""

ITEM = "*"
_MAX_ROUNDS = 6
_MAX_DEPTH = 48
_SHARED_MEMBERS = ("paths", "components")
_TYPE_ORDER = ("object", "array", "string", "integer", "number", "boolean", "null")
_FREE_KEYS = ("language", "customer_name", "ticket_id", "topic")
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


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
"""A member that is not there yet."""


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


@dataclass
class Context:
    """What one draw of a payload is pinned to and must contain."""

    draw: Callable[[st.SearchStrategy[Any]], Any]
    pins: Mapping[str, Any] = field(default_factory=dict)
    ensure: frozenset[str] = frozenset()

    def ensured(self, path: Path) -> bool:
        pointer = pointer_of(path)
        return pointer in self.pins or any(e == pointer or e.startswith(pointer + "/") for e in self.ensure)


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
        self._if_validators: dict[int, Any] = {}
        self.dimensions: tuple[Dimension, ...] = tuple(self._find_dimensions()) if self.root else ()

    # -- schema plumbing ----------------------------------------------------------------------
    def deref(self, node: Any) -> Any:
        """`node` with its `$ref` chain followed (the contract resolves it)."""
        return self.contract.deref(node)

    def holds(self, schema: Any, instance: Any) -> bool:
        """Whether `instance` satisfies `schema` (an `if`), refs resolved against the document."""
        if isinstance(schema, bool):
            return schema
        validator = self._if_validators.get(id(schema))
        if validator is None:
            validator = jsonschema_rs.Draft202012Validator({**schema, **self._shared}, validate_formats=False)
            self._if_validators[id(schema)] = validator
        return bool(validator.is_valid(instance))

    def flatten(self, schemas: Sequence[Any], value: Any) -> list[Mapping[str, Any]]:
        """The plain nodes that apply at a location: `$ref`s and `allOf` expanded, and each
        `if` evaluated against `value` (skipped while the value is still MISSING)."""
        out: list[Mapping[str, Any]] = []
        seen: set[int] = set()

        def visit(node: Any, depth: int) -> None:
            if not isinstance(node, Mapping) or depth > _MAX_DEPTH or id(node) in seen:
                return
            seen.add(id(node))
            if isinstance(node.get("$ref"), str):
                visit(self.contract.follow(node), depth + 1)
            out.append(node)
            for sub in node.get("allOf", ()):
                visit(sub, depth + 1)
            if "if" in node and value is not MISSING:
                branch = node.get("then") if self.holds(node["if"], value) else node.get("else")
                visit(branch, depth + 1)

        for schema in schemas:
            visit(schema, 0)
        return out

    def merge(self, flat: Sequence[Mapping[str, Any]]) -> Merged:
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
        last: tuple[int, ...] | None = None
        for _ in range(_MAX_ROUNDS):
            flat = self.flatten(schemas, value)
            ids = tuple(id(n) for n in flat)
            if ids == last:
                break
            last = ids
            value = self._fill_flat(ctx, value, self.merge(flat), path)
        return value

    def fill_root(self, ctx: Context) -> Any:
        if self.root is None:
            raise ValueError(f"{self.operation.operation_id} has no request payload")
        return self.fill(ctx, MISSING, [self.root], ())

    def _fill_flat(self, ctx: Context, value: Any, m: Merged, path: Path) -> Any:
        pointer = pointer_of(path)
        if pointer in ctx.pins:
            return ctx.pins[pointer]
        if m.const:
            return m.const[0]
        kinds = m.kinds()
        if value is not MISSING and not isinstance(value, (dict, list)) and m.accepts_leaf(value):
            return value
        if m.enum is not None:
            choices = [v for v in m.enum if not kinds or json_type_ok(v, kinds)]
            return ctx.draw(st.sampled_from(choices or m.enum))
        if isinstance(value, dict) and "object" in (kinds or ["object"]):
            return self._fill_object(ctx, value, m, path)
        if isinstance(value, list) and "array" in (kinds or ["array"]):
            return self._fill_array(ctx, value, m, path)
        kind = kinds[0] if len(kinds) == 1 else ctx.draw(st.sampled_from(kinds)) if kinds else "string"
        if kind == "object":
            return self._fill_object(ctx, MISSING, m, path)
        if kind == "array":
            return self._fill_array(ctx, MISSING, m, path)
        return ctx.draw(self.leaf_strategy(m, kind))

    def _fill_object(self, ctx: Context, value: Any, m: Merged, path: Path) -> dict[str, Any]:
        fresh = not isinstance(value, dict)
        current: dict[str, Any] = {} if fresh else dict(value)
        names = list(m.properties) + [r for r in m.required if r not in m.properties]
        asked = {pointer_tokens(p)[-1] for p in [*ctx.pins, *ctx.ensure] if _is_child(p, path)}
        names += sorted(asked.difference(names))
        for name in names:
            child = (*path, name)
            schemas = m.properties.get(name, [])
            if name in current:
                current[name] = self.fill(ctx, current[name], schemas, child)
            elif name in m.required or ctx.ensured(child) or (fresh and ctx.draw(st.booleans())):
                current[name] = self.fill(ctx, MISSING, schemas, child)
        if fresh and not m.properties and not m.required:
            current.update(ctx.draw(self.free_object()))
        return current

    def _fill_array(self, ctx: Context, value: Any, m: Merged, path: Path) -> list[Any]:
        child = (*path, ITEM)
        low = max(m.min_items, 1 if ctx.ensured(child) else 0)
        if isinstance(value, list):
            current = list(value)
        else:
            high = low + 2 if m.max_items is None else min(low + 2, m.max_items)
            current = [MISSING] * ctx.draw(st.integers(low, max(low, high)))
        current += [MISSING] * max(0, low - len(current))
        return [self.fill(ctx, item, m.items, child) for item in current]

    def free_object(self) -> st.SearchStrategy[dict[str, Any]]:
        """An object the contract leaves open (task attributes, media properties)."""
        values = st.one_of(st.sampled_from(FREE_TEXT_SAMPLES), st.integers(0, 9999))
        if self.fuzz:
            return st.dictionaries(st.text(max_size=8), st.one_of(values, st.text()), max_size=4)
        return st.dictionaries(st.sampled_from(_FREE_KEYS), values, max_size=2)

    def leaf_strategy(self, m: Merged, kind: str) -> st.SearchStrategy[Any]:
        if kind == "string":
            return self.string_strategy(m)
        if kind in ("integer", "number"):
            low = None if m.minimum is None else int(m.minimum)
            high = None if m.maximum is None else int(m.maximum)
            if not self.fuzz:
                low = 0 if low is None else low
                high = low + 100 if high is None else high
            if kind == "number":
                return st.floats(low, high, allow_nan=False, allow_infinity=False)
            return st.integers(low, high)
        if kind == "boolean":
            return st.booleans()
        return st.none()

    def string_strategy(self, m: Merged) -> st.SearchStrategy[str]:
        strategy: st.SearchStrategy[str] | None = None
        for node in m.string_nodes:
            strategy = self.registry.strings(node, fuzz=self.fuzz)
            if strategy is not None:
                break
        if strategy is None and m.patterns:
            strategy = st.from_regex(m.patterns[0], fullmatch=True)
        if strategy is None:
            top = m.max_length if m.max_length is not None else m.min_length + (40 if self.fuzz else 12)
            text = st.text(min_size=m.min_length, max_size=top)
            samples = [s for s in FREE_TEXT_SAMPLES if m.min_length <= len(s) <= top]
            return st.one_of(st.sampled_from(samples), text) if samples else text
        if m.min_length or m.max_length is not None or len(m.patterns) > 1:
            strategy = strategy.filter(m.accepts_leaf)
        return strategy

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

    def cells(self) -> list[dict[str, Any]]:
        """Every combination of dimension values, as pins (pointer -> value)."""
        if not self.dimensions:
            return [{}]
        axes = [[(d.pointer, v) for v in d.values] for d in self.dimensions]
        return [dict(combo) for combo in itertools.product(*axes)]

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
        out: list[Plan] = []
        for root in (self.root, self.warnings_root):
            if root is None:
                continue
            for path, node, owner, conds in self.walk(root):
                out += _plans_for_node(path, node, owner, conds)
        unique: dict[tuple[Any, ...], Plan] = {}
        for plan in out:
            unique.setdefault((plan.rule, plan.kind, plan.path, plan.keyword, plan.member, id(plan.node)), plan)
        return list(unique.values())

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


def _is_child(pointer: str, path: Path) -> bool:
    parent = pointer_of(path)
    return pointer.startswith(parent + "/") and "/" not in pointer[len(parent) + 1 :]


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


def break_value(engine: Engine, plan: Plan, current: Any, *, strings_only: bool) -> st.SearchStrategy[Any]:
    """A strategy of values that break `plan.keyword` of `plan.node` (and ideally nothing else)."""
    node, keyword = plan.node, plan.keyword
    if keyword == "type":
        declared = node["type"] if isinstance(node["type"], list) else [node["type"]]
        wrong = [v for t, v in _TYPE_SAMPLES if not json_type_ok(v, declared)]
        if strings_only:
            wrong = [v for v in wrong if isinstance(v, str)]
        return st.sampled_from(wrong) if wrong else st.nothing()
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
        return st.sampled_from(values) if values else st.just("other")
    if keyword == "pattern":
        pattern = node["pattern"]
        valid = engine.string_strategy(engine.merge(engine.flatten([node], MISSING)))
        return valid.flatmap(lambda v: st.sampled_from(_pattern_breaks(v, pattern)))
    if keyword == "minLength":
        return st.just("x" * (int(node["minLength"]) - 1))
    if keyword == "maxLength":
        return st.just("x" * (int(node["maxLength"]) + 1))
    if keyword == "minimum":
        return st.just(_below(node["minimum"]))
    if keyword == "maximum":
        return st.just(_above(node["maximum"]))
    if keyword == "minItems":
        keep = current[: int(node["minItems"]) - 1] if isinstance(current, list) else []
        return st.just(keep) if len(keep) < int(node["minItems"]) else st.nothing()
    if keyword == "maxItems":
        item = current[0] if isinstance(current, list) and current else None
        return st.just([copy.deepcopy(item) for _ in range(int(node["maxItems"]) + 1)])
    if keyword == "not":
        return _matching(engine, node["not"], plan.path)
    return st.nothing()


@st.composite
def _matching(draw: st.DrawFn, engine: Engine, schema: Any, path: Path) -> Any:
    """A value that satisfies `schema` (so that a `not` around it fails)."""
    return engine.fill(Context(draw), MISSING, [schema], path)


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
