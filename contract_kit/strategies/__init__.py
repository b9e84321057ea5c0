"""Hypothesis strategies derived from the contract: valid payloads and rule-breaking payloads.

Nothing here is written per rule. `payloads()` builds the required skeleton of an operation's
request schema and completes it against every `if`/`then`/`else` that applies (see
`engine.Engine.fill`); `violating()` takes a valid payload from a cell where the rule applies
and breaks one constraint that rule owns in the document, keeping only payloads the validator
rejects with exactly that rule, judged under `--strict` so that our stricter readings count
(see `engine.Engine.plans`). The rules only the wire shows (`contract.WIRE_RULES`) have no
strategy: no schema expresses them.

>>> from contract_kit.strategies import payloads, violating, generate
>>> [p["Channel"]["type"] for p in generate(payloads(channel_type="sms"), count=2, seed=1)]
['sms', 'sms']
>>> from contract_kit import validate
>>> all(validate(p).rule_ids == {"email.from"}
...     for p in generate(violating("email.from"), count=3, seed=1))
True

Shapes: `decoded` (the schema's view: JSON fields as objects), `wire` (form fields with
JSON-encoded strings as the vendor client sends them, `json.dumps` defaults; a JSON text for JSON
bodies) and `sdk` (the vendor SDK's keyword names).

Speed: an engine per (contract, operation, fuzz, registry formats) keeps everything derived from
the document, and the strategies `payloads()` and `violating()` return are built once per engine
and selection, so a draw only builds its payload (`benchmarks/generate.py` prints the rates).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import Any, Literal

from hypothesis import strategies as st

from ..contract import DEFAULT_OPERATION, WIRE_RULES, Contract, Operation, Rule, default_contract
from ..validate import Report, validator_for
from ..wire import encode_form, to_sdk
from .engine import REJECT, Context, Demand, Dimension, Engine, Plan, pointer_of
from .values import ValueFormat, ValueRegistry, default_registry

__all__ = [
    "SHAPES",
    "Dimension",
    "Plan",
    "Shape",
    "UnknownChoiceError",
    "UnrepresentableRuleError",
    "ValueFormat",
    "ValueRegistry",
    "cells",
    "default_registry",
    "dimensions",
    "engine_for",
    "generate",
    "payloads",
    "plans_for",
    "rules_covered",
    "to_shape",
    "violating",
]

Shape = Literal["decoded", "wire", "sdk"]
SHAPES: tuple[Shape, ...] = ("decoded", "wire", "sdk")


class UnknownChoiceError(ValueError):
    """An operation, rule, dimension or value the contract does not declare; lists the valid ones."""

    def __init__(self, what: str, given: Any, choices: list[str]) -> None:
        super().__init__(f"unknown {what} {given!r}; choose from: {', '.join(choices)}")
        self.what, self.given, self.choices = what, given, choices


class UnrepresentableRuleError(ValueError):
    """No payload in the requested shape can break the rule (e.g. a string-typed form field on the
    wire, where every field is a string)."""


_REGISTRY = default_registry()


@functools.lru_cache(maxsize=64)
def _cached_engine(contract: Contract, operation_id: str, fuzz: bool, formats: tuple[ValueFormat, ...]) -> Engine:
    return Engine(contract, operation_id, ValueRegistry(list(formats)), fuzz=fuzz)


def engine_for(
    operation: str = DEFAULT_OPERATION,
    contract: Contract | None = None,
    *,
    fuzz: bool = False,
    registry: ValueRegistry | None = None,
) -> Engine:
    """The derivation engine of one operation, cached per contract, fuzz and registry contents
    (its formats, in order: a format registered later gets an engine of its own). The engine keeps
    what it derives, strategies included, so that no draw rebuilds them."""
    contract = contract or default_contract()
    if operation not in contract.operations:
        raise UnknownChoiceError("operation", operation, payload_operations(contract))
    _warm_hypothesis_text()
    formats = tuple((registry or _REGISTRY).formats)
    try:
        return _cached_engine(contract, operation, fuzz, formats)
    except TypeError:  # a format that cannot be hashed: an engine of its own, not cached
        return Engine(contract, operation, ValueRegistry(list(formats)), fuzz=fuzz)


@functools.cache
def _warm_hypothesis_text() -> None:
    """Build Hypothesis' table of the characters `st.text()` draws from now, when a strategy is made.

    On a machine without a `.hypothesis` folder that table takes about a second to compute (then it
    is cached on disk); computed inside a test's first draw, it fails Hypothesis' `too_slow` health
    check on every fresh checkout and CI runner, with no fault of the user's.
    """
    st.text().validate()


def payload_operations(contract: Contract | None = None) -> list[str]:
    """The operations that take a request payload (a body or query parameters)."""
    contract = contract or default_contract()
    return sorted(o.operation_id for o in contract.operations.values() if o.body_pointer or o.query_parameters)


def dimensions(operation: str = DEFAULT_OPERATION, contract: Contract | None = None) -> tuple[Dimension, ...]:
    """The enum members the document's conditions test: for CreateInteraction, type and initiated_by."""
    return engine_for(operation, contract).dimensions


def cells(operation: str = DEFAULT_OPERATION, contract: Contract | None = None, **pins: Any) -> list[dict[str, Any]]:
    """Every cell (dimension name -> value) of an operation, optionally narrowed by `pins`."""
    engine = engine_for(operation, contract)
    by_pointer = {d.pointer: d.name for d in engine.dimensions}
    return [{by_pointer[k]: v for k, v in c.items()} for c in _select_cells(engine, pins)]


def _select_cells(engine: Engine, pins: Mapping[str, Any]) -> list[dict[str, Any]]:
    wanted: dict[str, Any] = {}
    for key, value in pins.items():
        if value is None:
            continue
        dim = next((d for d in engine.dimensions if key in (d.name, d.pointer)), None)
        if dim is None:
            names = [d.name for d in engine.dimensions] or ["(none: this operation has no cells)"]
            raise UnknownChoiceError(f"dimension of {engine.operation.operation_id}", key, names)
        if value not in dim.values:
            raise UnknownChoiceError(dim.name, value, [str(v) for v in dim.values])
        wanted[dim.pointer] = value
    return [c for c in engine.cells() if all(c.get(k) == v for k, v in wanted.items())]


def to_shape(payload: Any, shape: Shape, operation: Operation) -> Any:
    """A decoded payload in the requested shape."""
    if shape == "decoded":
        return payload
    if shape == "sdk":
        return to_sdk(payload) if isinstance(payload, Mapping) else payload
    if shape != "wire":
        raise UnknownChoiceError("shape", shape, list(SHAPES))
    if operation.media_type and "json" in operation.media_type:
        return json.dumps(payload)
    return encode_form(payload, operation.json_fields) if isinstance(payload, Mapping) else payload


def payloads(
    operation: str = DEFAULT_OPERATION,
    *,
    channel_type: str | None = None,
    initiated_by: str | None = None,
    pins: Mapping[str, Any] | None = None,
    shape: Shape = "decoded",
    fuzz: bool = False,
    contract: Contract | None = None,
    registry: ValueRegistry | None = None,
) -> st.SearchStrategy[Any]:
    """Valid request payloads of `operation`, drawn over its cells.

    `pins` fixes dimensions by name or pointer (`{"type": "sms"}`, `{"/Status": "inactive"}`);
    `channel_type`/`initiated_by` are shorthands for CreateInteraction's two dimensions. `fuzz`
    widens contact data from fictional ranges to the whole format.
    """
    engine = engine_for(operation, contract, fuzz=fuzz, registry=registry)
    if engine.root is None:
        raise UnknownChoiceError("operation with a request payload", operation, payload_operations(engine.contract))
    chosen = {**(pins or {}), **({"type": channel_type} if channel_type else {})}
    chosen.update({"initiated_by": initiated_by} if initiated_by else {})
    selected = _select_cells(engine, chosen)  # the engine's own cell objects, alive as long as it is
    return engine.memo(("payloads", shape, *map(id, selected)), lambda: _payload_strategy(engine, selected, shape))


def _payload_strategy(engine: Engine, selected: list[dict[str, Any]], shape: Shape) -> st.SearchStrategy[Any]:
    op = engine.operation
    demands = st.sampled_from([Demand.of(cell) for cell in selected])

    @st.composite
    def build(draw: st.DrawFn) -> Any:
        return to_shape(engine.fill_root(Context(draw, draw(demands))), shape, op)

    return build()


def plans_for(rule_id: str, operation: str, contract: Contract | None = None) -> list[Plan]:
    """The document-derived ways to break `rule_id` in `operation` (any shape)."""
    return [p for p in engine_for(operation, contract).plans() if p.rule == rule_id]


def rules_covered(operation: str = DEFAULT_OPERATION, contract: Contract | None = None) -> frozenset[str]:
    """The rule ids `violating()` has at least one derived mutation for, in `operation`.

    Never the rules only the wire shows (`contract.WIRE_RULES`): no schema expresses them."""
    return frozenset(p.rule for p in engine_for(operation, contract).plans())


def _strings_only(plan: Plan, shape: Shape, op: Operation) -> bool:
    """On the wire a plain (non-JSON) form or query field can only ever be a string."""
    json_body = bool(op.media_type and "json" in op.media_type)
    return shape == "wire" and not json_body and len(plan.path) == 1 and plan.path[0] not in op.json_fields


def _representable(plan: Plan, shape: Shape, op: Operation) -> bool:
    if plan.kind == "set" and plan.path == () and shape != "decoded":
        return shape == "wire" and bool(op.media_type and "json" in op.media_type)
    if plan.keyword == "type" and _strings_only(plan, shape, op):
        declared = plan.node["type"] if isinstance(plan.node["type"], list) else [plan.node["type"]]
        return "string" not in declared
    return True


def _breaks_only(report: Report, rule: Rule) -> bool:
    """Whether a strict verdict (`report`) shows `rule` broken and nothing else that is an error:
    our stricter readings count too, so a payload breaking a vendor rule breaks no reading of ours."""
    if rule.severity == "warning":
        return report.valid and rule.id in {v.rule for v in report.warnings}
    return {v.rule for v in report.errors} == {rule.id}


def violating(
    rule_id: str,
    operation: str | None = None,
    *,
    shape: Shape = "decoded",
    fuzz: bool = False,
    contract: Contract | None = None,
    registry: ValueRegistry | None = None,
) -> st.SearchStrategy[Any]:
    """Payloads that break `rule_id` and no other rule that is an error, even under `--strict`
    (warnings allowed).

    Judged under `strict`: a rule of ours (basis `ours`) is only a warning by default, so a
    payload breaking `routing.queue_sid` is valid by default, with that warning, and rejected
    with exactly that rule under `--strict`; a payload breaking a vendor rule breaks none of
    ours. For a warning rule: valid payloads (under `--strict` too) that carry that warning.
    `operation` defaults to the first operation that uses the rule. Raises UnknownChoiceError
    for a rule or operation the document lacks, UnrepresentableRuleError when no payload of
    `shape` can break the rule, which includes the rules only the wire shows
    (`contract.WIRE_RULES`: a field sent twice, an unknown field, bytes that are not UTF-8, a
    wrong Content-Type), which no schema expresses and no payload strategy derives.
    """
    contract = contract or default_contract()
    if rule_id not in contract.rules:
        raise UnknownChoiceError("rule", rule_id, sorted(contract.rules))
    if rule_id in WIRE_RULES.values():
        raise UnrepresentableRuleError(
            f"rule {rule_id!r} is what only the wire shows (no schema expresses it): "
            "no payload strategy derives a way to break it"
        )
    rule = contract.rules[rule_id]
    if operation is None:
        if not rule.operations:
            raise UnrepresentableRuleError(f"no operation's request schema uses rule {rule_id!r}")
        operation = rule.operations[0]
    if operation not in rule.operations:
        raise UnknownChoiceError(f"operation for rule {rule_id}", operation, list(rule.operations))
    engine = engine_for(operation, contract, fuzz=fuzz, registry=registry)
    op = engine.operation
    plans = [p for p in engine.plans() if p.rule == rule_id and _representable(p, shape, op)]
    if not plans:
        raise UnrepresentableRuleError(f"rule {rule_id!r} cannot be broken in the {shape} shape of {operation}")
    return engine.memo(("violating", rule_id, shape), lambda: _violating_strategy(engine, rule, plans, shape))


def _violating_strategy(engine: Engine, rule: Rule, plans: list[Plan], shape: Shape) -> st.SearchStrategy[Any]:
    op = engine.operation
    validator = validator_for(op.operation_id, engine.contract)
    strings_only = [_strings_only(p, shape, op) for p in plans]
    demands = [
        st.sampled_from([Demand.of(c, [pointer_of(p.container)] if p.container else []) for c in engine.plan_cells(p)])
        for p in plans
    ]
    which = st.integers(0, len(plans) - 1)

    @st.composite
    def build(draw: st.DrawFn) -> Any:
        index = draw(which)
        plan = plans[index]
        base = engine.fill_root(Context(draw, draw(demands[index])))
        if not engine.conditions_hold(base, plan.conditions):
            return REJECT
        mutated = engine.mutate(plan, base, draw, strings_only=strings_only[index])
        if mutated is REJECT:
            return REJECT
        payload = to_shape(mutated, shape, op)
        return payload if _breaks_only(validator.validate(payload, strict=True), rule) else REJECT

    return build().filter(lambda payload: payload is not REJECT)


def generate(strategy: st.SearchStrategy[Any], count: int = 5, seed: int = 0) -> list[Any]:
    """`count` examples of `strategy`, the same for the same seed (and library versions).

    Runs a generate-only Hypothesis search under `hypothesis.seed`, with no database, so the
    draw sequence depends on the seed alone; `strategy.example()` cannot promise that. (Hypothesis
    sometimes draws a constant it found in the program's own modules, so a program that has
    imported other modules of its own may draw other examples for a seed.) Do not call it from
    inside a running Hypothesis test.
    """
    out: list[Any] = []
    for attempt in range(50):  # a filtered strategy may fall short of `count` in one search
        if len(out) >= count:
            break
        needed = count - len(out)
        batch = _collect(strategy, needed, seed * 1000 + attempt)
        out += batch
    return out[:count]


def _collect(strategy: st.SearchStrategy[Any], needed: int, run_seed: int) -> list[Any]:
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as fixed_seed

    # one example per test case: Hypothesis's first case is the simplest, and its mutations copy
    # spans within a case, so several examples per case would repeat themselves; `@given` of the
    # strategy itself, since `st.data()` would only add bookkeeping per draw
    batch: list[Any] = []

    @fixed_seed(run_seed)
    @settings(
        max_examples=needed,
        phases=[Phase.generate],
        database=None,
        deadline=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    @given(strategy)
    def run(example: Any) -> None:
        batch.append(example)

    run()
    return batch[:needed]
