"""The engine's shortcuts agree with what they stand for.

Conditions are evaluated by compiled Python predicates instead of jsonschema-rs, and everything
derived from the document is kept on an engine per contract: these tests pin that the predicates
give jsonschema-rs's verdicts, and that the same seed draws the same payloads whether the engine
is warm or cold, in this process or another.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from typing import Any

import jsonschema_rs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contract_kit import Contract, default_contract
from contract_kit.hypothesis_profiles import register_profiles
from contract_kit.strategies import (
    SHAPES,
    ValueFormat,
    default_registry,
    engine_for,
    generate,
    payload_operations,
    payloads,
    violating,
)
from contract_kit.strategies.engine import compile_test, get_at, json_equal
from contract_kit.strategies.values import Decoded

register_profiles()
FEW = settings(settings.get_profile("ci"), max_examples=6)
CONTRACT = default_contract()


def _conditions() -> list[tuple[str, tuple[str, ...], Any]]:
    """(operation, instance path, `if` schema) for every condition of every request schema."""
    found = []
    for operation in payload_operations():
        engine = engine_for(operation)
        for root in (engine.root, engine.warnings_root):
            if root is not None:
                found += [(operation, path, node["if"]) for path, node, _, _ in engine.walk(root) if "if" in node]
    return found


CONDITIONS = _conditions()
SHARED = {k: CONTRACT.document[k] for k in ("paths", "components")}
REFERENCE = {id(schema): jsonschema_rs.Draft202012Validator({**schema, **SHARED}) for _, _, schema in CONDITIONS}


def _words(node: Any) -> set[str]:
    """The member names and string constants the conditions mention: what makes junk hit them."""
    if isinstance(node, dict):
        return set(node) | {w for v in node.values() for w in _words(v)}
    if isinstance(node, list):
        return {w for v in node for w in _words(v)}
    return {node} if isinstance(node, str) else set()


WORDS = sorted(set().union(*(_words(schema) for _, _, schema in CONDITIONS)))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2, 2) | st.sampled_from([0.0, 1.0, 1.5]) | st.sampled_from(WORDS),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.sampled_from(WORDS) | st.text(max_size=2), children, max_size=4),
    max_leaves=12,
)


def test_every_condition_of_the_document_compiles() -> None:
    assert CONDITIONS
    assert [schema for _, _, schema in CONDITIONS if compile_test(schema) is None] == []


@settings(FEW, max_examples=300)
@given(st.sampled_from(CONDITIONS), st.data())
def test_compiled_conditions_give_jsonschema_rs_verdicts(condition: Any, data: st.DataObject) -> None:
    operation, path, schema = condition
    instance = data.draw(st.one_of(payloads(operation), json_values))
    test = compile_test(schema)
    assert test is not None
    found, at = get_at(instance, path)
    for value in [instance, at] if found else [instance]:
        assert test(value) is REFERENCE[id(schema)].is_valid(value), (schema, value)


@settings(FEW, max_examples=300)
@given(json_values, json_values)
def test_json_equality_is_const_equality(a: Any, b: Any) -> None:
    assert json_equal(a, b) is jsonschema_rs.Draft202012Validator({"const": a}).is_valid(b)
    assert json_equal(a, a)


def test_json_equality_edges() -> None:
    assert json_equal(1, 1.0) and json_equal([1, {"a": 2.0}], [1.0, {"a": 2}])
    assert not json_equal(True, 1) and not json_equal(False, 0) and not json_equal(None, False)
    assert not json_equal("1", 1) and not json_equal([], {}) and not json_equal({"a": 1}, {"a": 1, "b": 1})


def test_strategies_are_built_once_per_engine() -> None:
    assert payloads() is payloads()
    assert payloads(channel_type="sms", shape="wire") is payloads(pins={"type": "sms"}, shape="wire")
    assert payloads(channel_type="sms") is not payloads(channel_type="web")
    assert violating("email.from") is violating("email.from")


@pytest.mark.parametrize("seed", [0, 7, 2**31 + 5])
def test_a_cold_engine_draws_what_a_warm_one_draws(seed: int) -> None:
    fresh = Contract.load()  # the same document, loaded again: an engine and caches of its own
    for shape in SHAPES:
        warm = generate(payloads(shape=shape), count=5, seed=seed)
        assert generate(payloads(shape=shape, contract=fresh), count=5, seed=seed) == warm
    for rule_id in ("email.from", "routing.agent", "channel.key_spelling", "participant.sms"):
        warm = generate(violating(rule_id), count=3, seed=seed)
        assert generate(violating(rule_id, contract=fresh), count=3, seed=seed) == warm


def test_processes_with_other_string_hashes_draw_the_same_payloads() -> None:
    # two fresh processes running the same code (Hypothesis also draws constants found in the local
    # modules a process has imported, so this process, with pytest's, is not the reference)
    code = (
        "import json\n"
        "from contract_kit.strategies import generate, payloads, violating\n"
        "print(json.dumps(generate(payloads(), count=10, seed=3) + generate(violating('email.from'), count=3, seed=3)))"
    )
    outputs = [
        subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONHASHSEED": str(hash_seed)},
                       capture_output=True, text=True, check=True).stdout
        for hash_seed in (1, 12345)
    ]
    assert json.loads(outputs[0]) == json.loads(outputs[1])
    assert len(json.loads(outputs[0])) == 13


def test_a_format_registered_later_is_used() -> None:
    registry = default_registry()
    before = generate(payloads(channel_type="sms", registry=registry), count=10, seed=1)
    # engines are cached by the registry's formats, so registering one more is seen at once
    registry.register(ValueFormat(
        "numbered-workspaces",
        lambda match, fuzz: Decoded(st.integers(0, 9), lambda n: f"WS{n:032x}"),
        format_re=re.compile("twilio-sid-WS"),
    ))
    after = generate(payloads(channel_type="sms", registry=registry), count=10, seed=1)
    workspaces = [p["Routing"]["properties"]["workspace_sid"] for p in after if "Routing" in p]
    assert workspaces and all(re.fullmatch("WS0{31}[0-9]", w) for w in workspaces)
    assert not all(re.fullmatch("WS0{31}[0-9]", p["Routing"]["properties"]["workspace_sid"])
                   for p in before if "Routing" in p)
