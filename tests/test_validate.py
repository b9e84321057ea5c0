"""The validator: shapes it accepts, what its violations say, and that it never raises."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from helpers import valid_cell
from hypothesis import given
from hypothesis import strategies as st

from contract_kit import Report, Violation, validate, validator_for
from contract_kit.wire import encode_body, encode_form, to_sdk

CUSTOMER_SMS = {"Channel": {"type": "sms", "initiated_by": "customer"}, "Routing": {"properties": {}}}


def _shapes(payload: dict[str, Any]) -> list[Any]:
    form = encode_form(payload, ["Channel", "Routing"])
    return [
        payload,
        form,
        encode_body(payload, ["Channel", "Routing"]),
        encode_body(payload, ["Channel", "Routing"]).encode(),
        to_sdk(payload),
    ]


def test_every_shape_gives_the_same_verdict() -> None:
    for payload in (valid_cell("email", "api"), valid_cell("whatsapp", "customer"), CUSTOMER_SMS):
        reports = [validate(shape) for shape in _shapes(payload)]
        assert len({r.violations for r in reports}) == 1, reports


def test_vendor_client_encoding_is_understood() -> None:
    """The vendor client sends dicts through json.dumps (ASCII escapes) and strings untouched."""
    payload = valid_cell("chat", "api")
    payload["Channel"]["participants"][0]["identity"] = "José-Ωmega"
    wire = {"Channel": json.dumps(payload["Channel"]), "Routing": json.dumps(payload["Routing"])}
    assert "\\u" in wire["Channel"]
    assert validate(wire).valid
    assert validate(urlencode(wire)).valid


def test_missing_member_is_reported_at_its_own_pointer_never_its_parent() -> None:
    report = validate(
        {"Channel": {"type": "email", "initiated_by": "api", "participants": [{}]}, "Routing": {"properties": {}}}
    )
    pointers = {(v.rule, v.pointer) for v in report.errors}
    assert pointers == {
        ("email.from", "/Channel/properties/from"),
        ("email.from", "/Channel/properties/from_name"),
        ("participant.email", "/Channel/participants/0/level"),
        ("participant.email", "/Channel/participants/0/address"),
        ("routing.workspace_sid", "/Routing/properties/workspace_sid"),
    }


def test_missing_container_reports_the_member_the_rule_needs() -> None:
    report = validate({"Channel": {"type": "sms", "initiated_by": "customer"}, "Routing": {}})
    assert {(v.rule, v.pointer) for v in report.errors} == {
        ("customer.media_channel_sid", "/Channel/properties/media_channel_sid"),
        ("routing.properties", "/Routing/properties/workspace_sid"),
    }


def test_messages_are_for_people() -> None:
    report = validate(CUSTOMER_SMS)
    message = next(v.message for v in report.errors if v.rule == "customer.media_channel_sid")
    assert message.startswith("initiated_by=customer requires Channel.properties.media_channel_sid")
    assert "CH + 32 hex" in message
    for violation in validate({"Channel": {"type": "fax", "initiated_by": 3, "sid": "x"}}).violations:
        assert "is a required property" not in violation.message
        assert "is not one of" not in violation.message
        assert "got" in violation.message or "required" in violation.message


def test_wrong_value_is_shown_in_the_message() -> None:
    report = validate(
        {"Channel": {"type": "fax", "initiated_by": "api"}, "Routing": {"properties": {"priority": "high"}}}
    )
    by_rule = {v.rule: v for v in report.errors}
    assert by_rule["channel.type"].message.endswith('got "fax"')
    assert by_rule["routing.priority"].message.endswith('got a string "high"')


def test_field_that_is_not_json_says_so() -> None:
    report = validate({"Channel": "{'type': 'sms'}", "Routing": '{"properties": {"workspace_sid": "WS"}'})
    by_rule = {v.rule: v for v in report.errors}
    assert by_rule["channel.required"].pointer == "/Channel"
    assert "not valid JSON" in by_rule["channel.required"].message
    assert "not valid JSON" in by_rule["routing.properties"].message


def test_json_that_is_not_an_object_is_an_error_on_that_field() -> None:
    report = validate({"Channel": "[1, 2]", "Routing": "null"})
    assert {(v.rule, v.pointer) for v in report.errors} == {
        ("channel.required", "/Channel"),
        ("routing.properties", "/Routing"),
    }


def test_duplicated_form_field_is_an_error() -> None:
    body = encode_body(valid_cell("sms", "api"), ["Channel", "Routing"]) + "&Routing=%7B%7D"
    report = validate(body)
    assert [(v.rule, v.pointer) for v in report.errors] == [("routing.properties", "/Routing")]
    assert "more than once" in report.errors[0].message


def test_non_utf8_body_is_an_error_not_an_exception() -> None:
    report = validate(b"Channel=\xff\xfe")
    assert not report.valid
    assert report.errors[0].rule == "request.form"
    assert "not UTF-8" in report.errors[0].message


def test_sdk_keywords_are_mapped_from_the_document() -> None:
    decoder = validator_for().decoder
    assert decoder.aliases == {
        "channel": "Channel",
        "routing": "Routing",
        "interaction_context_sid": "InteractionContextSid",
        "webhook_ttid": "WebhookTtid",
    }
    report = validate({**to_sdk(valid_cell("sms", "api")), "interaction_context_sid": "HQ1"})
    assert [(v.rule, v.pointer) for v in report.errors] == [("interaction_context_sid", "/InteractionContextSid")]


def test_other_operations_by_operation_id() -> None:
    report = validate({"Status": "inactive", "Routing": '{"status": "open"}'}, "UpdateInteractionChannel")
    assert {v.rule for v in report.errors} == {"channel_update.routing_status"}
    report = validate("PageSize=2000&Page=1", "ListInteractionChannel")
    assert [(v.rule, v.pointer) for v in report.errors] == [("list.page_size", "/PageSize")]
    assert validate({}, "FetchInteraction").valid


def test_report_serialises_to_the_documented_shape() -> None:
    data = validate(CUSTOMER_SMS).to_dict()
    assert data["valid"] is False
    for violation in data["violations"]:
        assert set(violation) == {"rule", "pointer", "message", "severity"}
    assert Report("CreateInteraction", (Violation("r", "/x", "m", "warning"),)).valid


# ---- robustness: junk yields violations, never an exception ------------------------------------

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text()
json_like = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=30,
)
keys = st.sampled_from(
    [
        "Channel",
        "Routing",
        "channel",
        "routing",
        "InteractionContextSid",
        "WebhookTtid",
        "type",
        "initiated_by",
        "properties",
        "participants",
        "Status",
    ]
) | st.text(max_size=8)
payload_like = st.recursive(
    json_scalars | st.binary(max_size=20) | st.integers(min_value=2**64),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(keys | st.integers(), children, max_size=5)
        | st.builds(json.dumps, st.dictionaries(keys, json_like, max_size=4))
        | st.frozensets(st.integers(), max_size=3)
    ),
    max_leaves=25,
)
OPERATIONS = st.sampled_from(
    [
        "CreateInteraction",
        "UpdateInteractionChannel",
        "CreateInteractionChannelParticipant",
        "ListInteractionChannel",
        "CreateInteractionTransfer",
        "FetchInteraction",
    ]
)


def _check(report: Report) -> None:
    assert isinstance(report, Report)
    for violation in report.violations:
        assert violation.rule and violation.message and violation.severity in ("error", "warning")
        assert violation.pointer == "" or violation.pointer.startswith("/")


@given(payload=payload_like, operation=OPERATIONS)
def test_never_raises_on_junk(payload: Any, operation: str) -> None:
    _check(validate(payload, operation))


@given(channel=json_like, routing=json_like, as_strings=st.booleans())
def test_never_raises_on_junk_fields(channel: Any, routing: Any, as_strings: bool) -> None:
    payload = {"Channel": json.dumps(channel) if as_strings else channel, "Routing": routing}
    report = validate(payload)
    _check(report)
    assert not report.valid or isinstance(channel, dict)


@given(text=st.text() | st.binary())
def test_never_raises_on_odd_bodies(text: str | bytes) -> None:
    _check(validate(text))


def test_never_raises_on_deep_nesting_and_huge_arrays() -> None:
    deep: Any = []
    for _ in range(50_000):
        deep = [deep]
    nested_json = "[" * 100_000 + "]" * 100_000
    participants = [{"address": "+15555550100", "proxy_address": "+15555550199"}] * 20_000
    cases: list[Any] = [
        {"Channel": deep},
        {"Channel": nested_json, "Routing": nested_json},
        {
            "Channel": {"type": "sms", "initiated_by": "agent", "participants": participants},
            "Routing": {"properties": {"workspace_sid": "WS" + "a" * 32}},
        },
        {"Channel": {"type": "sms", "initiated_by": "api", "participants": [{"address": 1}] * 5_000}},
        {"Channel": "x" * 5_000_000},
        {"Channel": {"type": "sms", "initiated_by": "api", "\x00": "\ud800"}},
        {"Channel": float("inf"), "Routing": 10**400},
    ]
    for payload in cases:
        _check(validate(payload))
    big = validate(cases[3])
    assert len(big.errors) == 2 * 5_000 + 1  # address and proxy_address of each participant, and Routing
