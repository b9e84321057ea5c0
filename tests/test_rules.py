"""Every rule of contract-rules.md: a payload that keeps it and one that breaks it (and only it)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from helpers import INITIATORS, TYPES, invalid_examples, load, valid_cell

from contract_kit import default_contract, validate

H = "0123456789abcdef0123456789abcdef"
Mutation = Callable[[dict[str, Any]], None]


def _channel(p: dict[str, Any]) -> dict[str, Any]:
    channel: dict[str, Any] = p["Channel"]
    return channel


def _routing(p: dict[str, Any]) -> dict[str, Any]:
    props: dict[str, Any] = p["Routing"]["properties"]
    return props


def _first_participant(p: dict[str, Any]) -> dict[str, Any]:
    participant: dict[str, Any] = p["Channel"]["participants"][0]
    return participant


# (rule id, cell the payload starts from, a change that keeps the rule, a change that breaks it)
CATALOGUE: list[tuple[str, tuple[str, str], Mutation, Mutation]] = [
    ("channel.required", ("sms", "api"), lambda p: None, lambda p: p.update(Channel="[]")),
    ("channel.type", ("sms", "api"), lambda p: None, lambda p: _channel(p).update(type="voice")),
    ("channel.initiated_by", ("sms", "api"), lambda p: None, lambda p: _channel(p).update(initiated_by="bot")),
    (
        "channel.sid",
        ("sms", "api"),
        lambda p: _channel(p).update(sid="UO" + H),
        lambda p: _channel(p).update(sid="KD" + H),
    ),
    (
        "customer.media_channel_sid",
        ("email", "customer"),
        lambda p: None,
        lambda p: _channel(p)["properties"].update(media_channel_sid="CHxyz"),
    ),
    (
        "email.from",
        ("email", "agent"),
        lambda p: _channel(p)["properties"].update(from_name="Support"),
        lambda p: _channel(p)["properties"].pop("from"),
    ),
    ("agent.participants", ("web", "agent"), lambda p: None, lambda p: _channel(p).pop("participants")),
    (
        "participant.sms",
        ("sms", "api"),
        lambda p: _first_participant(p).update(address="+447700900123"),
        lambda p: _first_participant(p).update(proxy_address="+05555550100"),
    ),
    (
        "participant.whatsapp",
        ("whatsapp", "agent"),
        lambda p: None,
        lambda p: _first_participant(p).update(address="whatsapp:15555550100"),
    ),
    ("participant.chat", ("chat", "agent"), lambda p: None, lambda p: _first_participant(p).update(identity="")),
    (
        "participant.email",
        ("email", "api"),
        lambda p: _first_participant(p).pop("name"),
        lambda p: _first_participant(p).update(address="not-an-email"),
    ),
    (
        "routing.required",
        ("sms", "api"),
        lambda p: (p.pop("Routing"), _channel(p).update(sid="UO" + H)),
        lambda p: p.pop("Routing"),
    ),
    ("routing.properties", ("sms", "api"), lambda p: None, lambda p: p["Routing"].update(properties=[])),
    (
        "routing.workspace_sid",
        ("sms", "api"),
        lambda p: None,
        lambda p: _routing(p).update(workspace_sid="WSXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
    ),
    ("routing.agent", ("sms", "agent"), lambda p: None, lambda p: _routing(p).pop("queue_sid")),
    (
        "routing.workflow_sid",
        ("sms", "api"),
        lambda p: _routing(p).pop("workflow_sid"),
        lambda p: _routing(p).update(workflow_sid="WF" + H),
    ),
    (
        "routing.task_channel_sid",
        ("sms", "api"),
        lambda p: _routing(p).update(task_channel_sid="TC" + H),
        lambda p: _routing(p).update(task_channel_sid="TC"),
    ),
    (
        "routing.task_channel_unique_name",
        ("sms", "api"),
        lambda p: None,
        lambda p: _routing(p).update(task_channel_unique_name=["sms"]),
    ),
    (
        "routing.attributes",
        ("sms", "api"),
        lambda p: _routing(p).update(attributes={"customerName": "Alex"}),
        lambda p: _routing(p).update(attributes=["a"]),
    ),
    (
        "routing.priority",
        ("sms", "api"),
        lambda p: _routing(p).update(priority=0),
        lambda p: _routing(p).update(priority=1.5),
    ),
    (
        "routing.timeout",
        ("sms", "api"),
        lambda p: _routing(p).update(timeout=1),
        lambda p: _routing(p).update(timeout=0),
    ),
    (
        "routing.queue_sid",
        ("sms", "api"),
        lambda p: _routing(p).update(queue_sid="WQ" + H),
        lambda p: _routing(p).update(queue_sid="WQ" + H.upper() + "0"),
    ),
    (
        "routing.worker_sid",
        ("sms", "api"),
        lambda p: _routing(p).update(worker_sid="WK" + H),
        lambda p: _routing(p).update(worker_sid=None),
    ),
    (
        "interaction_context_sid",
        ("sms", "api"),
        lambda p: p.update(InteractionContextSid="HQ" + H),
        lambda p: p.update(InteractionContextSid="HQ" + H + "\n"),
    ),
    (
        "webhook_ttid",
        ("sms", "api"),
        lambda p: p.update(WebhookTtid="flex_interactionwebhook_0"),
        lambda p: p.update(WebhookTtid={"ttid": 1}),
    ),
    (
        "channel.properties",
        ("sms", "api"),
        lambda p: _channel(p).update(properties={"anything": 1}),
        lambda p: _channel(p).update(properties="CH" + H),
    ),
    (
        "channel.participants",
        ("sms", "api"),
        lambda p: None,
        lambda p: _channel(p).update(participants=["+15555550100"]),
    ),
]


def _apply(cell: tuple[str, str], change: Mutation) -> dict[str, Any]:
    payload: dict[str, Any] = copy.deepcopy(valid_cell(*cell))
    change(payload)
    return payload


@pytest.mark.parametrize(("rule", "cell", "keep", "brk"), CATALOGUE, ids=[c[0] for c in CATALOGUE])
def test_rule_kept_and_broken(rule: str, cell: tuple[str, str], keep: Mutation, brk: Mutation) -> None:
    kept = validate(_apply(cell, keep), strict=True)
    assert kept.valid, kept.violations
    assert rule not in kept.rule_ids
    _assert_breaks_exactly(_apply(cell, brk), "CreateInteraction", rule)


def _assert_breaks_exactly(payload: Any, operation: str, rule_id: str) -> None:
    """A vendor rule: invalid, with that rule alone. A rule of ours: valid with that warning by
    default (a server may accept it), invalid with that rule alone under `--strict`."""
    rule = default_contract().rules[rule_id]
    report = validate(payload, operation)
    if rule.severity == "warning":
        assert report.valid and rule_id in {v.rule for v in report.warnings}, report.violations
        return
    if rule.basis == "ours":
        assert report.valid, report.violations
        assert rule_id in {v.rule for v in report.stricter}, report.violations
        report = validate(payload, operation, strict=True)
    assert not report.valid
    assert {v.rule for v in report.errors} == {rule_id}, report.violations


def test_identity_with_reserved_characters_is_a_warning_only() -> None:
    for identity in ("alex@example.com", "a/b", "x[1]", "50%", "ok!"):
        payload = _apply(("chat", "api"), lambda p, i=identity: _first_participant(p).update(identity=i))
        report = validate(payload)
        assert report.valid
        assert [(v.rule, v.severity, v.pointer) for v in report.violations] == [
            ("participant.identity_chars", "warning", "/Channel/participants/0/identity")
        ]
    plain = validate(_apply(("chat", "api"), lambda p: _first_participant(p).update(identity="alex-01_x.y~z")))
    assert plain.violations == ()


def test_near_miss_keys_warn_and_unknown_keys_are_legal() -> None:
    payload = _apply(("sms", "api"), lambda p: _channel(p).update(initiatedBy="api", anything_else=1))
    report = validate(payload)
    assert report.valid
    assert [(v.rule, v.pointer) for v in report.warnings] == [("channel.key_spelling", "/Channel/initiatedBy")]


@pytest.mark.parametrize("channel_type", TYPES)
@pytest.mark.parametrize("initiated_by", INITIATORS)
def test_every_cell_has_a_valid_example(channel_type: str, initiated_by: str) -> None:
    report = validate(valid_cell(channel_type, initiated_by))
    assert report.valid and report.violations == ()


def test_the_seed_own_first_examples_are_invalid() -> None:
    """The seed's `Channel: {}` and its customer SMS without media_channel_sid break its own table."""
    empty = validate({"Channel": {}, "WebhookTtid": "flex_interactionwebhook_0000000000000000000"})
    assert {"channel.type", "channel.initiated_by", "routing.required"} <= {v.rule for v in empty.errors}
    customer = validate({"channel": {"type": "sms", "initiated_by": "customer"}})
    assert "customer.media_channel_sid" in customer.rule_ids


EXAMPLES = invalid_examples()


@pytest.mark.parametrize(("operation", "rule", "path"), EXAMPLES, ids=[f"{o}:{r}" for o, r, _ in EXAMPLES])
def test_shipped_invalid_example_breaks_exactly_its_rule(operation: str, rule: str, path: Any) -> None:
    _assert_breaks_exactly(load(path), operation, rule)


NEEDS_A_HEADER = {"request.content_type"}
"""Rules no payload file can break: they are about the request's headers (tested in test_validate)."""


def test_every_rule_of_the_document_has_a_failing_example() -> None:
    covered = {rule for _, rule, _ in EXAMPLES} | NEEDS_A_HEADER
    assert covered >= set(default_contract().rules), sorted(set(default_contract().rules) - covered)


def test_every_rule_says_its_basis_and_why() -> None:
    for rule in default_contract().rules.values():
        assert rule.basis in ("vendor", "ours")
        assert len(rule.decision) > 20, rule.id
        if rule.basis == "ours":
            assert rule.severity_for(False) == "warning", rule.id


@pytest.mark.parametrize("operation", sorted({o for o, _, _ in EXAMPLES} - {"CreateInteraction"}))
def test_other_operations_have_a_valid_example(operation: str) -> None:
    from helpers import EXAMPLES as FOLDER

    report = validate(json.loads((FOLDER / operation / "valid.json").read_text()), operation)
    assert report.valid and report.violations == ()
