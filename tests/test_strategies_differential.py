"""Our validator (jsonschema-rs + rule attribution) against pure-Python jsonschema, same document.

On generated payloads (valid and rule-breaking, every operation) and on arbitrary JSON junk, the
verdict valid/invalid must agree. Any disagreement is a bug in one of them.
"""

from __future__ import annotations

import re
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contract_kit import default_contract, validator_for
from contract_kit.contract import WIRE_RULES
from contract_kit.hypothesis_profiles import register_profiles
from contract_kit.strategies import payload_operations, payloads, violating

register_profiles()
FEW = settings(settings.get_profile("ci"), max_examples=15)
CONTRACT = default_contract()

# ECMA-262 (which JSON Schema's `pattern` follows, and jsonschema-rs implements) and Python's `re`
# differ where our patterns can feel it: Python's `$` also matches before a trailing "\n" (so
# re.search('^\+[1-9][0-9]{1,14}$', '+15555550123\n') succeeds), and Python's `\s` also matches
# the separators \x1c-\x1f, which are not Unicode White_Space. The reference below therefore
# translates a pattern before searching: a bare `$` becomes `\Z`, `\s` becomes the explicit
# White_Space class. Nothing else is changed, so the reference stays independent of our engine.
_WHITE_SPACE = "\\t\\n\\x0b\\x0c\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"


def ecma_pattern(pattern: str) -> str:
    out, i, in_class = [], 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if nxt == "s":
                out.append(_WHITE_SPACE if in_class else f"[{_WHITE_SPACE}]")
            elif nxt == "S":
                out.append(f"[^{_WHITE_SPACE}]")
            else:
                out.append(pattern[i : i + 2])
            i += 2
            continue
        if ch == "[":
            in_class = True
        elif ch == "]":
            in_class = False
        out.append("\\Z" if ch == "$" and not in_class else ch)
        i += 1
    return "".join(out)


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Any:
    if isinstance(instance, str) and re.search(ecma_pattern(pattern), instance) is None:
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


ReferenceValidator = jsonschema.validators.extend(jsonschema.Draft202012Validator, {"pattern": _pattern})


def reference_for(operation: str) -> Any:
    return ReferenceValidator(CONTRACT.request_schema(operation))  # the same standalone root


REFERENCES = {op: reference_for(op) for op in payload_operations()}


def agree(payload: Any, operation: str) -> None:
    """The schema's verdict: ours under --strict (where our readings are errors, as the schema
    states them), leaving out what only the wire shows (no schema can, so the reference cannot)."""
    ours = validator_for(operation)
    decoded = ours.decoder.decode(payload).instance  # the same wire decoding for both
    theirs = REFERENCES[operation].is_valid(decoded)
    report = ours.validate(payload, strict=True)
    schema_errors = [v for v in report.errors if v.rule not in WIRE_RULES.values()]
    assert (not schema_errors) == theirs, (operation, payload, report.to_dict())


def test_the_reference_pattern_follows_ecma() -> None:
    e164 = r"^\+[1-9][0-9]{1,14}$"
    assert re.search(e164, "+15555550123\n")  # Python's own semantics ...
    assert not re.search(ecma_pattern(e164), "+15555550123\n")  # ... and the reference's
    assert re.search(ecma_pattern(r"^[^@\s]+@[^@\s]+\.[^@\s]+$"), "a\x1fb@example.com")
    assert not validator_for().validate(
        {"Channel": {"type": "sms", "initiated_by": "api", "participants": [
            {"address": "+15555550123\n", "proxy_address": "+15555550124"}]},
         "Routing": {"properties": {"workspace_sid": "WS" + "a" * 32}}}
    ).valid


@pytest.mark.parametrize("operation", payload_operations())
def test_agree_on_valid_payloads(operation: str) -> None:
    FEW(given(payloads(operation, shape="wire"))(lambda p: agree(p, operation)))()


# the wire rules have no payload strategy (see test_strategies): no schema expresses them
RULE_OPS = sorted(
    (r.id, op) for r in CONTRACT.rules.values() if r.id not in WIRE_RULES.values() for op in r.operations
)


@pytest.mark.parametrize(("rule_id", "operation"), RULE_OPS)
def test_agree_on_violating_payloads(rule_id: str, operation: str) -> None:
    FEW(given(violating(rule_id, operation))(lambda p: agree(p, operation)))()


json_junk = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
KEYS = st.sampled_from(["Channel", "Routing", "Status", "Type", "MediaProperties", "PageSize", "Page", "WebhookTtid"])
junk_payloads = json_junk | st.dictionaries(KEYS, json_junk, max_size=4)


@settings(FEW, max_examples=150)
@given(st.sampled_from(payload_operations()), junk_payloads)
def test_agree_on_junk(operation: str, payload: Any) -> None:
    agree(payload, operation)


@settings(FEW, max_examples=150)
@given(st.sampled_from(payload_operations()).flatmap(lambda op: st.tuples(st.just(op), payloads(op))), st.data())
def test_agree_on_payloads_with_junk_grafted_in(case: tuple[str, Any], data: st.DataObject) -> None:
    operation, payload = case
    if isinstance(payload, dict) and payload:
        key = data.draw(st.sampled_from(sorted(payload)))
        inner = payload[key]
        if isinstance(inner, dict) and inner:
            inner[data.draw(st.sampled_from(sorted(inner)))] = data.draw(json_junk)
        else:
            payload[key] = data.draw(json_junk)
    agree(payload, operation)
