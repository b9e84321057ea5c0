"""contract_kit.strategies: every cell valid, every rule broken alone, all derived from the document."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

from contract_kit import Contract, default_contract, validate
from contract_kit.contract import WIRE_RULES as WIRE_RULE_IDS
from contract_kit.hypothesis_profiles import load_profile, register_profiles
from contract_kit.strategies import (
    UnknownChoiceError,
    UnrepresentableRuleError,
    cells,
    generate,
    payload_operations,
    payloads,
    rules_covered,
    violating,
)

register_profiles()
FEW = settings(settings.get_profile("ci"), max_examples=6)

CONTRACT = default_contract()
TYPES = ["sms", "whatsapp", "web", "chat", "email", "messenger", "gbm"]
INITIATORS = ["customer", "agent", "api"]
WIRE_RULES = frozenset(WIRE_RULE_IDS.values())
SCHEMA_RULES = {rule_id: rule for rule_id, rule in CONTRACT.rules.items() if rule_id not in WIRE_RULES}
RULE_OPS = sorted((r.id, op) for r in SCHEMA_RULES.values() for op in r.operations)
FICTIONAL_PHONE = re.compile(r"^(whatsapp:)?\+1[2-9][0-9]{2}55501[0-9]{2}$")


def test_the_cells_of_create_interaction_are_type_by_initiated_by() -> None:
    got = cells()
    assert len(got) == 21
    assert {(c["type"], c["initiated_by"]) for c in got} == {(t, i) for t in TYPES for i in INITIATORS}
    assert cells("UpdateInteractionChannel") == [{"Status": "closed"}, {"Status": "inactive"}]


@pytest.mark.parametrize("initiated_by", INITIATORS)
@pytest.mark.parametrize("channel_type", TYPES)
def test_every_cell_draws_valid_payloads(channel_type: str, initiated_by: str) -> None:
    @FEW
    @given(payloads(channel_type=channel_type, initiated_by=initiated_by))
    def check(payload: dict[str, Any]) -> None:
        report = validate(payload, strict=True)  # valid, and breaking no reading of ours either
        assert report.valid and not report.stricter, report.to_dict()
        assert (payload["Channel"]["type"], payload["Channel"]["initiated_by"]) == (channel_type, initiated_by)

    check()


@pytest.mark.parametrize("operation", payload_operations())
@pytest.mark.parametrize("shape", ["decoded", "wire", "sdk"])
def test_every_operation_draws_valid_payloads_in_every_shape(operation: str, shape: Any) -> None:
    @FEW
    @given(payloads(operation, shape=shape))
    def check(payload: Any) -> None:
        report = validate(payload, operation, strict=True)
        assert report.valid, report.to_dict()

    check()


@pytest.mark.parametrize(("rule_id", "operation"), RULE_OPS)
def test_every_rule_is_broken_alone(rule_id: str, operation: str) -> None:
    rule = CONTRACT.rules[rule_id]

    @FEW
    @given(violating(rule_id, operation))
    def check(payload: Any) -> None:
        report = validate(payload, operation)
        strict = validate(payload, operation, strict=True)
        if rule.severity == "warning":
            assert strict.valid and rule_id in {v.rule for v in strict.warnings}, strict.to_dict()
        elif rule.stricter:  # a reading of ours: a warning by default, the one error under --strict
            assert report.valid and rule_id in {v.rule for v in report.warnings}, report.to_dict()
            assert {v.rule for v in strict.errors} == {rule_id}, strict.to_dict()
        else:  # the vendor's: the one error by default, and still the one under --strict
            assert {v.rule for v in report.errors} == {rule_id}, report.to_dict()
            assert {v.rule for v in strict.errors} == {rule_id}, strict.to_dict()

    check()


def test_every_declared_rule_has_a_strategy_but_the_wire_rules() -> None:
    covered = set().union(*(rules_covered(op) for op in payload_operations()))
    assert covered == set(SCHEMA_RULES)
    for rule in SCHEMA_RULES.values():  # and each for every operation that uses it
        assert all(rule.id in rules_covered(op) for op in rule.operations), rule.id


def test_the_rules_no_strategy_covers_are_exactly_the_wire_rules() -> None:
    covered = set().union(*(rules_covered(op) for op in payload_operations()))
    uncovered = set(CONTRACT.rules) - covered  # the document declares every one of them
    assert uncovered == WIRE_RULES
    for rule_id in sorted(WIRE_RULES):  # and asking for one says why there is none
        with pytest.raises(UnrepresentableRuleError, match="only the wire shows"):
            violating(rule_id)


@FEW
@given(violating("routing.queue_sid"))
def test_a_rule_of_ours_is_a_warning_by_default_and_the_one_error_under_strict(payload: Any) -> None:
    assert CONTRACT.rules["routing.queue_sid"].basis == "ours"
    report = validate(payload)
    assert report.valid
    assert "routing.queue_sid" in {v.rule for v in report.warnings}
    assert {v.rule for v in report.stricter} == {"routing.queue_sid"}
    strict = validate(payload, strict=True)
    assert not strict.valid
    assert {v.rule for v in strict.errors} == {"routing.queue_sid"}


@pytest.mark.parametrize(
    ("rule_id", "operation"),
    [("email.from", "CreateInteraction"), ("channel_update.inactive_routing", "UpdateInteractionChannel"),
     ("participant.whatsapp", "CreateInteraction"), ("list.page_size", "ListInteractionChannel"),
     ("routing.workspace_sid", "CreateInteractionChannelInvite")],
)
@pytest.mark.parametrize("shape", ["wire", "sdk"])
def test_violations_survive_the_wire_and_sdk_shapes(rule_id: str, operation: str, shape: Any) -> None:
    @FEW
    @given(violating(rule_id, operation, shape=shape))
    def check(payload: Any) -> None:
        assert {v.rule for v in validate(payload, operation).errors} == {rule_id}
        if shape == "wire":
            assert all(isinstance(v, str) for v in payload.values())

    check()


def test_unrepresentable_rules_say_so() -> None:
    # every form field is a string on the wire: a string-typed field cannot be mistyped there
    with pytest.raises(UnrepresentableRuleError):
        violating("webhook_ttid", shape="wire")
    with pytest.raises(UnknownChoiceError, match=r"channel\.type"):
        violating("no.such.rule")


@FEW
@given(payloads(channel_type="chat", shape="wire"))
def test_wire_shape_is_what_the_vendor_client_sends(payload: dict[str, str]) -> None:
    for name in ("Channel", "Routing"):
        if name in payload:
            assert payload[name] == json.dumps(json.loads(payload[name]))  # json.dumps defaults
            assert payload[name].isascii()  # non-ASCII escaped


@FEW
@given(payloads(initiated_by="agent"))
def test_contact_data_is_fictional_by_default(payload: dict[str, Any]) -> None:
    # an agent-initiated create naming an existing conversation may list no participants
    for participant in payload["Channel"].get("participants", []):
        for key in ("address", "proxy_address"):
            value = participant.get(key)
            if payload["Channel"]["type"] in ("sms", "whatsapp"):
                assert FICTIONAL_PHONE.match(value), value
            if payload["Channel"]["type"] == "email" and key == "address":
                assert value.endswith(("@example.com", "@example.org")), value


def test_fuzz_widens_to_the_whole_format() -> None:
    found = find(
        payloads(channel_type="sms", initiated_by="agent", fuzz=True),
        # an agent-initiated create naming an existing conversation may list no participants
        lambda p: any(not FICTIONAL_PHONE.match(x["address"]) for x in p["Channel"].get("participants", [])),
        settings=settings(database=None, max_examples=500),
    )
    assert validate(found).valid


def test_same_seed_same_payloads() -> None:
    first = generate(payloads(), count=8, seed=42)
    assert first == generate(payloads(), count=8, seed=42)
    assert first != generate(payloads(), count=8, seed=43)
    again = generate(violating("routing.agent"), count=4, seed=7)
    assert generate(violating("routing.agent"), count=4, seed=7) == again


def test_shrinks_to_a_small_readable_payload() -> None:
    # an agent-initiated create may name an existing conversation instead of listing participants:
    # two shapes of payload, and the shrinker cannot cross from one to the other, so ask for one
    smallest = find(
        payloads(channel_type="sms", initiated_by="agent"),
        lambda p: "Routing" in p and "participants" in p["Channel"],
        settings=settings(database=None),
    )
    assert smallest == {
        "Channel": {
            "type": "sms",
            "initiated_by": "agent",
            "participants": [{"address": "+12005550100", "proxy_address": "+12005550100"}],
        },
        "Routing": {
            "properties": {
                "workspace_sid": "WS" + "0" * 32,
                "queue_sid": "WQ" + "0" * 32,
                "worker_sid": "WK" + "0" * 32,
            }
        },
    }


def test_unknown_pins_list_the_valid_ones() -> None:
    with pytest.raises(UnknownChoiceError, match="sms, whatsapp"):
        payloads(channel_type="fax")
    with pytest.raises(UnknownChoiceError, match="Status"):
        payloads("UpdateInteractionChannel", channel_type="sms")


def _with_new_rule() -> Contract:
    """A copy of the document with one more conditional rule: web channels need a context SID."""
    document = copy.deepcopy(dict(CONTRACT.document))
    document["components"]["x-rules"]["web.context_sid"] = {
        "message": "type=web requires InteractionContextSid",
        "condition": "Channel.type = web",
        "source": "test",
    }
    document["components"]["schemas"]["CreateInteractionRequest"]["allOf"].append(
        {
            "x-rule": "web.context_sid",
            "if": {
                "required": ["Channel"],
                "properties": {"Channel": {"required": ["type"], "properties": {"type": {"const": "web"}}}},
            },
            "then": {"required": ["InteractionContextSid"]},
        }
    )
    return Contract(document, "<copy with web.context_sid>")


def test_a_new_conditional_rule_needs_no_code() -> None:
    contract = _with_new_rule()
    assert "web.context_sid" in rules_covered(contract=contract)
    valid = generate(payloads(channel_type="web", contract=contract), count=10, seed=1)
    assert all(validate(p, contract=contract).valid and "InteractionContextSid" in p for p in valid)
    broken = generate(violating("web.context_sid", contract=contract), count=10, seed=1)
    assert len(broken) == 10
    assert all({v.rule for v in validate(p, contract=contract).errors} == {"web.context_sid"} for p in broken)
    # and the packaged contract does not have it: those payloads break a rule only the copy has
    assert not all(validate(p, contract=contract).valid for p in valid + broken)


def test_profiles_are_shipped_and_selectable(monkeypatch: pytest.MonkeyPatch) -> None:
    register_profiles()
    assert settings.get_profile("ci").derandomize is True
    assert settings.get_profile("dev").derandomize is False
    previous = settings.default
    try:
        monkeypatch.setenv("CONTRACT_KIT_HYPOTHESIS_PROFILE", "ci")
        assert load_profile() == "ci"
        assert settings.default.derandomize is True
        with pytest.raises(ValueError, match="dev, ci"):
            load_profile("nightly")
    finally:
        settings.register_profile("_restore", previous)
        settings.load_profile("_restore")


@FEW
@given(st.sampled_from(RULE_OPS))
def test_rule_ops_are_all_payload_operations(rule_op: tuple[str, str]) -> None:
    assert rule_op[1] in payload_operations()
