"""`contract-kit generate`, driven as people and scripts drive it."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from contract_kit import validate
from contract_kit.cli import main


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["generate", *args])
    return result.exit_code, result.output


def test_prints_a_json_array_of_valid_payloads() -> None:
    code, out = run("--type", "email", "--initiated-by", "agent", "--count", "4", "--seed", "3")
    assert code == 0, out
    payloads = json.loads(out)
    assert len(payloads) == 4
    for payload in payloads:
        assert validate(payload).valid
        assert payload["Channel"]["type"] == "email" and payload["Channel"]["initiated_by"] == "agent"


def test_same_seed_same_output() -> None:
    assert run("--seed", "9", "-n", "6") == run("--seed", "9", "-n", "6")
    assert run("--seed", "9", "-n", "6")[1] != run("--seed", "10", "-n", "6")[1]


@pytest.mark.parametrize(
    ("rule_id", "operation"),
    [("email.from", None), ("channel_update.inactive_routing", None), ("list.page", "ListInteractionChannelInvite")],
)
def test_violate_breaks_exactly_that_rule(rule_id: str, operation: str | None) -> None:
    args = ["--violate", rule_id, "-n", "3"] + (["--operation", operation] if operation else [])
    code, out = run(*args)
    assert code == 0, out
    op = operation or ("UpdateInteractionChannel" if rule_id.startswith("channel_update") else "CreateInteraction")
    for payload in json.loads(out):
        assert {v.rule for v in validate(payload, op).errors} == {rule_id}


def test_wire_and_sdk_shapes() -> None:
    code, out = run("--shape", "wire", "-n", "2", "--type", "chat")
    assert code == 0
    for payload in json.loads(out):
        assert isinstance(payload["Channel"], str) and json.loads(payload["Channel"])["type"] == "chat"
        assert validate(payload).valid
    code, out = run("--shape", "sdk", "-n", "2", "--initiated-by", "api")
    assert code == 0
    for payload in json.loads(out):
        assert payload["channel"]["initiated_by"] == "api" and validate(payload).valid


@pytest.mark.parametrize(
    ("args", "listed"),
    [
        (["--violate", "no.such.rule"], "email.from"),
        (["--type", "fax"], "whatsapp"),
        (["--initiated-by", "robot"], "customer, agent, api"),
        (["--operation", "NoSuchOperation"], "CreateInteraction"),
        (["--operation", "FetchInteraction"], "UpdateInteraction"),
        (["--operation", "UpdateInteractionChannel", "--type", "sms"], "Status"),
        (["--violate", "webhook_ttid", "--shape", "wire"], "cannot be broken"),
    ],
)
def test_unknown_choices_are_usage_errors_listing_the_valid_ones(args: list[str], listed: str) -> None:
    code, out = run(*args)
    assert code == 2
    assert listed in out
