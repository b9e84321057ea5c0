"""The validator: shapes it accepts, what its violations say, and that it never raises."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest
from helpers import valid_cell
from hypothesis import given
from hypothesis import strategies as st

from contract_kit import Report, Violation, validate, validator_for
from contract_kit.validate import validate_request
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
        ("routing.properties", "/Routing/properties"),
    }


WS = "WS" + "a" * 32
SMS_PARTY = {"address": "+15555550123", "proxy_address": "+15555550124"}


@pytest.mark.parametrize(
    ("operation", "payload", "rule", "pointer"),
    [
        # the member a rule is about is reported where it should be, not its container's parent
        ("CreateInteraction", {"Routing": {"properties": {"workspace_sid": WS}}}, "channel.required", "/Channel"),
        ("CreateInteraction", {"Channel": {"initiated_by": "api"}, "Routing": {}}, "channel.type", "/Channel/type"),
        ("CreateInteraction", {"Channel": {"type": "sms"}}, "channel.initiated_by", "/Channel/initiated_by"),
        ("CreateInteraction", {"Channel": {"type": "sms", "initiated_by": "api"}}, "routing.required", "/Routing"),
        ("CreateInteraction", {"Channel": {"type": "sms", "initiated_by": "api"}, "Routing": {}},
         "routing.properties", "/Routing/properties"),
        ("CreateInteraction", {"Channel": {"type": "sms", "initiated_by": "api"}, "Routing": {"properties": {}}},
         "routing.workspace_sid", "/Routing/properties/workspace_sid"),
        # a rule about a member whose container is missing names the member (the rule's targets)
        ("CreateInteraction", {"Channel": {"type": "sms", "initiated_by": "customer"}},
         "customer.media_channel_sid", "/Channel/properties/media_channel_sid"),
        ("CreateInteraction", {"Channel": {"type": "email", "initiated_by": "api"}},
         "email.from", "/Channel/properties/from"),
        ("CreateInteraction", {"Channel": {"type": "email", "initiated_by": "api"}},
         "email.from", "/Channel/properties/from_name"),
        ("CreateInteraction", {"Channel": {"type": "sms", "initiated_by": "agent"}},
         "agent.participants", "/Channel/participants"),
        ("CreateInteraction", {"Channel": {"type": "sms", "initiated_by": "agent", "participants": [SMS_PARTY]},
                               "Routing": {"properties": {"workspace_sid": WS}}},
         "routing.agent", "/Routing/properties/queue_sid"),
        ("CreateInteraction", {"Channel": {"type": "sms", "initiated_by": "api", "participants": [{}]}},
         "participant.sms", "/Channel/participants/0/address"),
        ("CreateInteraction", {"Channel": {"type": "web", "initiated_by": "api", "participants": [{}]}},
         "participant.chat", "/Channel/participants/0/identity"),
        ("CreateInteraction", {"Channel": {"type": "email", "initiated_by": "api", "participants": [{}]}},
         "participant.email", "/Channel/participants/0/level"),
        ("UpdateInteractionChannel", {}, "channel_update.status", "/Status"),
        ("UpdateInteractionChannel", {"Status": "inactive"}, "channel_update.inactive_routing", "/Routing/status"),
        ("UpdateInteractionChannel", {"Status": "inactive", "Routing": {}},
         "channel_update.inactive_routing", "/Routing/status"),
        ("CreateInteractionChannelInvite", {}, "invite.routing_required", "/Routing"),
        ("CreateInteractionChannelInvite", {"Routing": {}}, "routing.properties", "/Routing/properties"),
        ("CreateInteractionChannelParticipant", {"MediaProperties": {}}, "participant_create.type", "/Type"),
        ("CreateInteractionChannelParticipant", {"Type": "agent"},
         "participant_create.media_properties", "/MediaProperties"),
        ("UpdateInteractionChannelParticipant", {}, "participant_update.status", "/Status"),
    ],
)
def test_each_missing_member_is_reported_at_its_own_pointer(
    operation: str, payload: dict[str, object], rule: str, pointer: str
) -> None:
    found = {(v.rule, v.pointer) for v in validate(payload, operation).errors}
    assert (rule, pointer) in found, sorted(found)
    parents = {p for r, p in found if r == rule and pointer.startswith(p + "/")}
    assert not parents, f"{rule} also reported at a container of {pointer}: {parents}"


def test_agent_initiated_with_an_existing_conversation_needs_no_participants() -> None:
    """The vendor's own plugin-outbound-cbm sends this, and the service accepts it."""
    payload = {
        "Channel": {"type": "sms", "initiated_by": "agent", "properties": {"media_channel_sid": "CH" + "0" * 32}},
        "Routing": {"properties": {"workspace_sid": WS, "queue_sid": "WQ" + "1" * 32, "worker_sid": "WK" + "2" * 32}},
    }
    assert validate(payload).violations == ()
    del payload["Channel"]["properties"]  # type: ignore[attr-defined]
    assert {v.rule for v in validate(payload).errors} == {"agent.participants"}


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
    by_rule = {v.rule: v for v in report.violations}
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


def test_duplicated_form_field_takes_the_last_value_and_is_our_advice() -> None:
    body = encode_body(valid_cell("sms", "api"), ["Channel", "Routing"]) + "&Routing=%7B%7D"
    report = validate(body)
    assert [(v.rule, v.pointer) for v in report.errors] == [("routing.properties", "/Routing/properties")]
    duplicate = [v for v in report.violations if v.rule == "request.duplicate_field"]
    assert [(v.pointer, v.severity, v.basis) for v in duplicate] == [("/Routing", "warning", "ours")]
    assert "more than once" in duplicate[0].message
    twice = encode_body(valid_cell("sms", "api"), ["Channel", "Routing"]) + "&WebhookTtid=a&WebhookTtid=b"
    assert validate(twice).valid
    strict = validate(twice, strict=True)
    assert [(v.rule, v.pointer, v.severity) for v in strict.errors] == [
        ("request.duplicate_field", "/WebhookTtid", "error")
    ]


def test_unknown_form_field_is_our_advice() -> None:
    body = encode_body(valid_cell("sms", "api"), ["Channel", "Routing"]) + "&Foo=1&Foo=2"
    report = validate(body)
    assert report.valid
    assert {(v.rule, v.pointer) for v in report.warnings} == {
        ("request.unknown_field", "/Foo"),
        ("request.duplicate_field", "/Foo"),
    }
    assert not validate(body, strict=True).valid


def test_non_utf8_body_is_reported_not_raised() -> None:
    report = validate(b"Channel=\xff\xfe")
    assert not report.valid
    assert "channel.required" in {v.rule for v in report.errors}
    encoding = [v for v in report.violations if v.rule == "request.encoding"]
    assert encoding and "not UTF-8" in encoding[0].message and encoding[0].severity == "warning"
    # an operation whose fields are all optional: undecodable bytes are not an error of the vendor's
    assert validate(b"WebhookTtid=\xff", "UpdateInteraction").valid
    assert not validate(b"WebhookTtid=\xff", "UpdateInteraction", strict=True).valid


def test_queue_sid_outside_agent_cells_is_our_reading() -> None:
    payload = {
        "Channel": {"type": "sms", "initiated_by": "api", "participants": [SMS_PARTY]},
        "Routing": {"properties": {"workspace_sid": WS, "queue_sid": "nope"}},
    }
    report = validate(payload)
    assert report.valid
    assert [(v.rule, v.severity, v.basis) for v in report.violations] == [("routing.queue_sid", "warning", "ours")]
    assert [v.rule for v in validate(payload, strict=True).errors] == ["routing.queue_sid"]
    # in an agent-initiated cell the vendor states the format: one entry, the vendor's rule
    payload["Channel"]["initiated_by"] = "agent"  # type: ignore[index]
    payload["Routing"]["properties"]["worker_sid"] = "WK" + "1" * 32  # type: ignore[index]
    report = validate(payload)
    assert [(v.rule, v.pointer, v.severity) for v in report.violations] == [
        ("routing.agent", "/Routing/properties/queue_sid", "error")
    ]


def test_content_type_other_than_the_operations_is_our_advice() -> None:
    body = encode_body(valid_cell("sms", "api"), ["Channel", "Routing"])
    form = "application/x-www-form-urlencoded"
    assert validate_request("CreateInteraction", body=body, content_type=form).violations == ()
    report = validate_request("CreateInteraction", body=body, content_type="text/plain")
    assert report.valid and [v.rule for v in report.warnings] == ["request.content_type"]


def test_validate_request_reads_bodies_and_queries_as_they_travel() -> None:
    assert validate_request("ListInteractionChannel", query="PageSize=2000").errors[0].rule == "list.page_size"
    assert validate_request("ListInteractionChannel", query="PageSize=20").valid
    assert validate_request("FetchInteraction").violations == ()
    assert validate_request("UpdateInteraction", body=b"").valid  # every field optional
    assert validate_request("UpdateInteractionTransfer", body=b"").valid  # optional JSON body: {}
    assert validate_request("CreateInteractionTransfer", body=b"[]").errors[0].rule == "transfer_create.body"
    assert not validate_request("CreateInteraction", body=b"").valid


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
        assert set(violation) == {"rule", "pointer", "message", "severity", "basis"}
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


@given(st.text() | st.integers() | st.none() | st.booleans() | st.lists(st.text(), max_size=3))
def test_messages_quote_values_as_json(value: object) -> None:
    """`_show` skips json.dumps for plain strings (a cost on every message); it must not change a byte."""
    from contract_kit.validate import _show

    text = json.dumps(value, ensure_ascii=False)
    assert _show(value, limit=10_000) == text
    assert _show(value) == (text if len(text) <= 60 else text[:59] + "…")
