"""`contract-kit drift`: modified copies of the vendor's reference document against our contract."""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from contract_kit.cli import main
from contract_kit.contract import UnknownOperationError
from contract_kit.drift import DriftInputError, DriftReport, Finding, check_drift, compare

# The vendor's document, vendored beside our contract (tests/test_contract_document.py checks it is
# the one in ../shared when that is present).
REFERENCE = Path(__file__).resolve().parents[1] / "openapi" / "vendor" / "twilio_flex_v1_interactions.yaml"

CREATE = "/v1/Interactions"
# nine levels of nine aliases: a few hundred bytes that would expand to 9**9 values
ALIAS_BOMB = "openapi: 3.0.1\na0: &a0 [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 10)
) + "paths: {/v1/Interactions: {post: {operationId: X, x-bomb: *a9}}}\n"
FETCH = "/v1/Interactions/{Sid}"
CHANNELS = "/v1/Interactions/{InteractionSid}/Channels"
TRANSFER = "/v1/Interactions/{InteractionSid}/Channels/{ChannelSid}/Transfers/{Sid}"
FORM = "application/x-www-form-urlencoded"


@functools.cache
def _reference() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(REFERENCE.read_text(encoding="utf-8"))
    return data


def reference() -> dict[str, Any]:
    """A fresh deep copy of the vendor's document, to modify."""
    return copy.deepcopy(_reference())


def form_schema(doc: dict[str, Any], path: str) -> dict[str, Any]:
    schema: dict[str, Any] = doc["paths"][path]["post"]["requestBody"]["content"][FORM]["schema"]
    return schema


def write(tmp_path: Path, doc: dict[str, Any], name: str = "vendor.yaml") -> Path:
    target = tmp_path / name
    target.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return target


def drift(tmp_path: Path, modify: Callable[[dict[str, Any]], None]) -> DriftReport:
    doc = reference()
    modify(doc)
    return check_drift(write(tmp_path, doc))


def only(report: DriftReport, kind: str) -> list[Finding]:
    assert report.findings, "expected drift, found none"
    assert {f.kind for f in report.findings} == {kind}, [f.to_dict() for f in report.findings]
    return list(report.findings)


# -- no drift -------------------------------------------------------------------------------------
def test_the_unmodified_reference_reports_no_drift(tmp_path: Path) -> None:
    report = check_drift(REFERENCE)
    assert report.findings == ()
    assert report.exit_code == 0
    assert len(report.operations) == 14


def test_the_unmodified_reference_exits_0_from_the_command() -> None:
    result = CliRunner().invoke(main, ["drift", str(REFERENCE)])
    assert result.exit_code == 0, result.output
    assert "no drift" in result.output


def test_a_json_copy_and_the_whole_flex_document_are_read_alike(tmp_path: Path) -> None:
    doc = reference()
    doc["paths"]["/v1/Configuration"] = {"get": {"operationId": "FetchConfiguration", "responses": {"200": {}}}}
    doc["paths"]["/v1/InteractionContexts"] = {"get": {"operationId": "ListContexts", "responses": {"200": {}}}}
    target = tmp_path / "twilio_flex_v1.json"
    target.write_text(json.dumps(doc), encoding="utf-8")
    assert check_drift(target).findings == ()


def test_a_3_1_rewrite_of_the_vendor_document_is_no_drift() -> None:
    """`nullable: true` (3.0) and `type: [x, 'null']` (3.1) say the same thing."""

    def to_3_1(node: Any) -> Any:
        if isinstance(node, dict):
            out = {k: to_3_1(v) for k, v in node.items() if k != "nullable"}
            if node.get("nullable") is True and isinstance(node.get("type"), str):
                out["type"] = [node["type"], "null"]
            return out
        return [to_3_1(v) for v in node] if isinstance(node, list) else node

    doc = to_3_1(reference())
    doc["openapi"] = "3.1.0"
    assert compare(doc).findings == ()


# -- the changes the issue names ------------------------------------------------------------------
def test_a_new_channel_type_makes_the_contract_stricter(tmp_path: Path) -> None:
    report = drift(
        tmp_path,
        lambda d: d["components"]["schemas"]["interaction_channel_enum_type"]["enum"].append("instagram"),
    )
    findings = only(report, "enum-value-added")
    assert {f.operation_id for f in findings} == {
        "FetchInteractionChannel",
        "UpdateInteractionChannel",
        "ListInteractionChannel",
    }
    for finding in findings:
        assert finding.direction == "stricter"
        assert "'instagram'" in finding.message
        assert finding.vendor_pointer == "/components/schemas/interaction_channel_enum_type/enum"
        assert finding.contract_pointer == "/components/schemas/interaction_channel_enum_type/enum"
    assert report.exit_code == 1


def test_a_dropped_enum_value_makes_the_contract_looser(tmp_path: Path) -> None:
    report = drift(
        tmp_path,
        lambda d: d["components"]["schemas"]["interaction_channel_participant_enum_type"]["enum"].remove("unknown"),
    )
    findings = only(report, "enum-value-removed")
    assert {f.direction for f in findings} == {"looser"}
    assert any("Type in the request body" in f.message for f in findings)


def test_a_removed_query_parameter_makes_the_contract_looser(tmp_path: Path) -> None:
    def remove_page_size(doc: dict[str, Any]) -> None:
        params = doc["paths"][CHANNELS]["get"]["parameters"]
        params[:] = [p for p in params if p["name"] != "PageSize"]

    (finding,) = only(drift(tmp_path, remove_page_size), "parameter-removed")
    assert finding.operation_id == "ListInteractionChannel"
    assert finding.direction == "looser"
    assert finding.vendor_pointer is None
    assert finding.contract_pointer == "/components/parameters/PageSize"
    assert "PageSize" in finding.message


def test_a_removed_form_field_makes_the_contract_looser(tmp_path: Path) -> None:
    (finding,) = only(
        drift(tmp_path, lambda d: form_schema(d, CREATE)["properties"].pop("WebhookTtid")),
        "parameter-removed",
    )
    assert finding.operation_id == "CreateInteraction"
    assert finding.direction == "looser"
    assert finding.contract_pointer == "/components/schemas/CreateInteractionRequest/properties/WebhookTtid"


def test_200_to_201_on_a_create_is_honoured_because_the_contract_accepts_both(tmp_path: Path) -> None:
    """The contract documents 200 and 201 for the creates (the vendor went 201 -> 200 in 2025)."""

    def to_201(doc: dict[str, Any]) -> None:
        responses = doc["paths"][CREATE]["post"]["responses"]
        responses["201"] = responses.pop("200")

    assert drift(tmp_path, to_201).findings == ()


def test_200_to_201_where_the_contract_has_only_200_is_reported_both_ways(tmp_path: Path) -> None:
    def to_201(doc: dict[str, Any]) -> None:
        responses = doc["paths"][FETCH]["get"]["responses"]
        responses["201"] = responses.pop("200")

    report = drift(tmp_path, to_201)
    by_kind = {f.kind: f for f in report.findings}
    assert set(by_kind) == {"status-added", "status-removed"}
    assert by_kind["status-added"].direction == "stricter"
    assert by_kind["status-added"].vendor_pointer == "/paths/~1v1~1Interactions~1{Sid}/get/responses/201"
    assert by_kind["status-added"].contract_pointer is None
    assert by_kind["status-removed"].direction == "looser"
    assert by_kind["status-removed"].contract_pointer == "/paths/~1v1~1Interactions~1{Sid}/get/responses/200"


def test_a_tightened_sid_pattern_makes_the_contract_looser_with_a_witness(tmp_path: Path) -> None:
    def lowercase_hex(doc: dict[str, Any]) -> None:
        doc["paths"][FETCH]["get"]["parameters"][0]["schema"]["pattern"] = "^KD[0-9a-f]{32}$"

    (finding,) = only(drift(tmp_path, lowercase_hex), "pattern-changed")
    assert finding.operation_id == "FetchInteraction"
    assert finding.direction == "looser"
    assert finding.vendor_pointer == "/paths/~1v1~1Interactions~1{Sid}/get/parameters/0/schema/pattern"
    assert finding.contract_pointer == "/components/schemas/InteractionSid/pattern"
    assert "the contract accepts 'KD" in finding.message


def test_a_changed_sid_prefix_is_different(tmp_path: Path) -> None:
    def new_prefix(doc: dict[str, Any]) -> None:
        form_schema(doc, CREATE)["properties"]["InteractionContextSid"]["pattern"] = "^HX[0-9a-fA-F]{32}$"

    (finding,) = only(drift(tmp_path, new_prefix), "pattern-changed")
    assert finding.direction == "different"
    assert "accepts 'HQ" in finding.message and "rejects 'HX" in finding.message


def test_a_changed_sid_length_is_a_bound_change(tmp_path: Path) -> None:
    def longer(doc: dict[str, Any]) -> None:
        doc["paths"][FETCH]["get"]["parameters"][0]["schema"]["maxLength"] = 40

    (finding,) = only(drift(tmp_path, longer), "bound-changed")
    assert finding.direction == "stricter"
    assert finding.contract_pointer == "/components/schemas/InteractionSid/maxLength"


def test_a_new_required_form_field_makes_the_contract_looser(tmp_path: Path) -> None:
    def add_priority(doc: dict[str, Any]) -> None:
        schema = form_schema(doc, CREATE)
        schema["properties"]["Priority"] = {"type": "integer"}
        schema["required"].append("Priority")

    (finding,) = only(drift(tmp_path, add_priority), "parameter-added")
    assert finding.operation_id == "CreateInteraction"
    assert finding.direction == "looser"
    assert finding.contract_pointer is None
    assert "required" in finding.message and "Priority" in finding.message


def test_a_new_required_query_parameter_makes_the_contract_looser(tmp_path: Path) -> None:
    def add_region(doc: dict[str, Any]) -> None:
        doc["paths"][FETCH]["get"]["parameters"].append(
            {"name": "Region", "in": "query", "required": True, "schema": {"type": "string"}}
        )

    (finding,) = only(drift(tmp_path, add_region), "parameter-added")
    assert (finding.direction, finding.operation_id) == ("looser", "FetchInteraction")


def test_a_newly_required_existing_field_and_a_dropped_requirement(tmp_path: Path) -> None:
    def flip(doc: dict[str, Any]) -> None:
        form_schema(doc, CREATE)["required"] = ["WebhookTtid"]

    report = drift(tmp_path, flip)
    by_kind = {f.kind: f for f in report.findings}
    assert set(by_kind) == {"required-added", "required-removed"}
    assert by_kind["required-added"].direction == "looser"
    assert "WebhookTtid" in by_kind["required-added"].message
    assert by_kind["required-removed"].direction == "stricter"
    assert by_kind["required-removed"].contract_pointer == "/components/schemas/CreateInteractionRequest/required"


def test_a_removed_operation_makes_the_contract_looser(tmp_path: Path) -> None:
    (finding,) = only(drift(tmp_path, lambda d: d["paths"][TRANSFER].pop("post")), "operation-removed")
    assert finding.operation_id == "UpdateInteractionTransfer"
    assert finding.direction == "looser"
    assert finding.vendor_pointer is None
    assert finding.contract_pointer == (
        "/paths/~1v1~1Interactions~1{InteractionSid}~1Channels~1{ChannelSid}~1Transfers~1{Sid}/post"
    )


def test_a_new_operation_under_interactions_makes_the_contract_stricter(tmp_path: Path) -> None:
    def add_apps(doc: dict[str, Any]) -> None:
        doc["paths"]["/v1/Interactions/{InteractionSid}/Channels/{ChannelSid}/Apps"] = {
            "get": {"operationId": "ListInteractionChannelApp", "responses": {"200": {"description": "OK"}}}
        }

    (finding,) = only(drift(tmp_path, add_apps), "operation-added")
    assert (finding.operation_id, finding.direction, finding.contract_pointer) == (
        "ListInteractionChannelApp",
        "stricter",
        None,
    )


def test_response_properties_added_and_removed(tmp_path: Path) -> None:
    def change(doc: dict[str, Any]) -> None:
        properties = doc["components"]["schemas"]["flex.v1.interaction"]["properties"]
        properties["created_by"] = {"type": "string", "nullable": True}
        del properties["webhook_ttid"]

    report = drift(tmp_path, change)
    directions = {(f.kind, f.direction) for f in report.findings}
    # a new member we do not declare: our schemas stay open, so merely different; a member we
    # require and the vendor dropped: we would reject the vendor's responses.
    assert directions == {("response-property-added", "different"), ("response-property-removed", "stricter")}


# -- the command ----------------------------------------------------------------------------------
def test_json_format_shape(tmp_path: Path) -> None:
    doc = reference()
    doc["components"]["schemas"]["interaction_channel_enum_type"]["enum"].append("instagram")
    result = CliRunner().invoke(main, ["drift", str(write(tmp_path, doc)), "--format", "json"])
    assert result.exit_code == 1, result.output
    data = json.loads(result.output)
    assert set(data) == {"vendor", "contract", "operations", "drift", "exit_code", "summary", "findings"}
    assert data["drift"] is True and data["exit_code"] == 1
    assert data["summary"] == {"looser": 0, "stricter": 3, "different": 0}
    assert len(data["operations"]) == 14
    for finding in data["findings"]:
        assert set(finding) == {
            "kind",
            "direction",
            "operation_id",
            "vendor_pointer",
            "contract_pointer",
            "message",
        }
        assert finding["direction"] in ("looser", "stricter", "different")
        assert "\n" not in finding["message"]


def test_operation_id_filters_the_report(tmp_path: Path) -> None:
    doc = reference()
    doc["components"]["schemas"]["interaction_channel_enum_type"]["enum"].append("instagram")
    target = str(write(tmp_path, doc))
    runner = CliRunner()

    one = runner.invoke(main, ["drift", target, "--format", "json", "--operation-id", "ListInteractionChannel"])
    assert one.exit_code == 1, one.output
    data = json.loads(one.output)
    assert data["operations"] == ["ListInteractionChannel"]
    assert [f["operation_id"] for f in data["findings"]] == ["ListInteractionChannel"]

    untouched = runner.invoke(
        main, ["drift", target, "--operation-id", "CreateInteraction", "--operation-id", "FetchInteraction"]
    )
    assert untouched.exit_code == 0, untouched.output

    unknown = runner.invoke(main, ["drift", target, "--operation-id", "NoSuchOperation"])
    assert unknown.exit_code == 2
    assert "NoSuchOperation" in unknown.output


def test_operation_id_filter_in_the_library() -> None:
    report = compare(reference(), operation_ids=["CreateInteraction"])
    assert report.operations == ("CreateInteraction",)
    with pytest.raises(UnknownOperationError):
        compare(reference(), operation_ids=["NoSuchOperation"])


def test_text_format_names_direction_kind_and_pointers(tmp_path: Path) -> None:
    doc = reference()
    doc["paths"][TRANSFER].pop("post")
    result = CliRunner().invoke(main, ["drift", str(write(tmp_path, doc))])
    assert result.exit_code == 1
    assert "[looser] operation-removed (UpdateInteractionTransfer)" in result.output
    assert "vendor:   (absent)" in result.output
    assert "needs a look" in result.output


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("openapi: [unclosed\n", "not valid JSON or YAML"),
        ('{"openapi": ', "not valid JSON"),
        ("- just\n- a list\n", "not an OpenAPI document"),
        ("swagger: '2.0'\npaths: {}\n", "Swagger 2.0"),
        ("openapi: 3.0.1\ninfo: {title: x}\n", "no 'paths'"),
        ("openapi: 3.0.1\npaths: {/v1/Configuration: {get: {operationId: X}}}\n", "no operation under"),
        (ALIAS_BOMB, "alias"),
    ],
)
def test_unreadable_or_foreign_input_exits_2_without_a_traceback(tmp_path: Path, content: str, expected: str) -> None:
    target = tmp_path / "vendor.yaml"
    target.write_text(content, encoding="utf-8")
    result = CliRunner().invoke(main, ["drift", str(target)])
    assert result.exit_code == 2, result.output
    assert expected in result.output
    assert "Traceback" not in result.output
    with pytest.raises(DriftInputError):
        check_drift(target)


def test_a_missing_file_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["drift", str(tmp_path / "absent.yaml")])
    assert result.exit_code == 2
    assert "cannot read" in result.output
