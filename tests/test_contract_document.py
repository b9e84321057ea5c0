"""The contract document: valid OpenAPI 3.1, self-consistent, and no looser than the vendor's."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
import yaml
from helpers import REFERENCE
from openapi_spec_validator import validate as validate_openapi

from contract_kit import Contract, default_contract

# Keywords that constrain an instance: each must sit under some `x-rule` so that a violation
# always names a rule of the document.
CONSTRAINTS = {
    "type", "enum", "const", "pattern", "minLength", "maxLength", "minimum", "maximum",
    "minItems", "maxItems", "required", "not", "additionalProperties",
}  # fmt: skip


@pytest.fixture(scope="module")
def contract() -> Contract:
    return default_contract()


@pytest.fixture(scope="module")
def reference() -> Mapping[str, Any]:
    return yaml.safe_load(REFERENCE.read_text(encoding="utf-8"))


def test_document_is_valid_openapi_3_1(contract: Contract) -> None:
    assert str(contract.document["openapi"]).startswith("3.1")
    validate_openapi(dict(contract.document))


def test_every_rule_is_defined_used_and_complete(contract: Contract) -> None:
    for rule in contract.rules.values():
        assert rule.operations, f"rule {rule.id} is in the catalogue but no schema uses it"
        assert rule.message and rule.condition and rule.source, rule.id
        assert rule.severity in ("error", "warning")
        for target in rule.targets:
            assert target.startswith("/"), (rule.id, target)


def _owned_walk(contract: Contract, node: Any, owner: str | None, seen: set[int]) -> Iterator[tuple[str, str | None]]:
    if isinstance(node, list):
        for item in node:
            yield from _owned_walk(contract, item, owner, seen)
        return
    if not isinstance(node, Mapping) or (id(node) in seen and owner is not None):
        return
    seen.add(id(node))
    owner = node.get("x-rule", owner)
    for key, value in node.items():
        if key == "$ref":
            yield from _owned_walk(contract, contract.resolve(value), owner, set(seen))
        elif key in ("if", "x-required-rules", "description", "examples"):
            continue  # `if` only selects; it never reports
        elif key == "properties":
            for child in value.values():
                yield from _owned_walk(contract, child, owner, seen)
        elif key in CONSTRAINTS:
            yield key, owner
            if isinstance(value, (Mapping, list)):
                yield from _owned_walk(contract, value, owner, seen)
        elif isinstance(value, (Mapping, list)):
            yield from _owned_walk(contract, value, owner, seen)


def test_every_request_constraint_is_owned_by_a_rule(contract: Contract) -> None:
    for op in contract.operations.values():
        roots = [p for p in (op.body_pointer, op.warnings_pointer) if p]
        roots += [ptr for _, ptr in op.query_parameters]
        for root in roots:
            for keyword, owner in _owned_walk(contract, contract.resolve(root), None, set()):
                assert owner is not None, f"{op.operation_id}: a `{keyword}` under {root} has no x-rule"


def test_warnings_never_sit_in_request_schemas(contract: Contract) -> None:
    for op in contract.operations.values():
        if op.body_pointer:
            for _, node in contract.walk(op.body_pointer):
                rule_id = node.get("x-rule")
                if isinstance(rule_id, str):
                    assert contract.rules[rule_id].severity == "error", (op.operation_id, rule_id)


# ---- agreement with the vendor's document ------------------------------------------------------


def _deref(doc: Mapping[str, Any], node: Any) -> Any:
    while isinstance(node, Mapping) and "$ref" in node:
        target: Any = doc
        for token in node["$ref"][2:].split("/"):
            target = target[token.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def _operations(doc: Mapping[str, Any]) -> dict[str, tuple[str, str, Mapping[str, Any]]]:
    found = {}
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if isinstance(op, Mapping) and "operationId" in op:
                found[op["operationId"]] = (path, method, op)
    return found


def _parameters(doc: Mapping[str, Any], path: str, op: Mapping[str, Any]) -> dict[tuple[str, str], Any]:
    params = list(doc["paths"][path].get("parameters", [])) + list(op.get("parameters", []))
    resolved = (_deref(doc, p) for p in params)
    return {(p["name"], p["in"]): p for p in resolved}


def _facts(
    doc: Mapping[str, Any], node: Any, where: str, seen: frozenset[int] = frozenset()
) -> Iterator[tuple[str, str, Any]]:
    """(where, keyword, value) for every enum, pattern and length bound beneath a schema."""
    node = _deref(doc, node)
    if not isinstance(node, Mapping) or id(node) in seen:
        return
    seen = seen | {id(node)}
    for keyword in ("enum", "pattern", "minLength", "maxLength", "minimum", "maximum"):
        if keyword in node:
            yield where, keyword, node[keyword]
    for name, child in node.get("properties", {}).items():
        yield from _facts(doc, child, f"{where}.{name}", seen)
    for keyword in ("items",):
        if keyword in node:
            yield from _facts(doc, node[keyword], f"{where}[]", seen)
    for combinator in ("allOf", "oneOf", "anyOf"):
        for branch in node.get(combinator, []):
            yield from _facts(doc, branch, where, seen)


def _merged_facts(doc: Mapping[str, Any], node: Any, where: str) -> dict[tuple[str, str], list[Any]]:
    merged: dict[tuple[str, str], list[Any]] = {}
    for place, keyword, value in _facts(doc, node, where):
        merged.setdefault((place, keyword), []).append(value)
    return merged


def _no_looser(keyword: str, vendor: Any, ours: list[Any]) -> bool:
    if keyword == "enum":
        return any(set(o) <= set(vendor) for o in ours)  # the vendor's values ⊇ ours, ours ⊆ vendor
    if keyword == "pattern":
        return vendor in ours
    if keyword in ("minLength", "minimum"):
        return any(o >= vendor for o in ours)
    return any(o <= vendor for o in ours)


def test_every_reference_operation_path_and_parameter_is_ours(reference: Mapping[str, Any], contract: Contract) -> None:
    ours = _operations(contract.document)
    theirs = _operations(reference)
    assert len(theirs) == 14
    assert set(theirs) == set(ours)
    for op_id, (path, method, op) in theirs.items():
        our_path, our_method, our_op = ours[op_id]
        assert (our_path, our_method) == (path, method), op_id
        vendor_params = _parameters(reference, path, op)
        our_params = _parameters(contract.document, our_path, our_op)
        assert set(vendor_params) <= set(our_params), op_id
        for key, param in vendor_params.items():
            mine = our_params[key]
            assert mine.get("required", False) >= param.get("required", False), (op_id, key)
            vendor_facts = _merged_facts(reference, param["schema"], key[0])
            our_facts = _merged_facts(contract.document, mine["schema"], key[0])
            for (place, keyword), values in vendor_facts.items():
                assert (place, keyword) in our_facts, (op_id, place, keyword)
                for value in values:
                    assert _no_looser(keyword, value, our_facts[(place, keyword)]), (op_id, place, keyword)


def test_request_bodies_are_no_looser(reference: Mapping[str, Any], contract: Contract) -> None:
    ours = _operations(contract.document)
    for op_id, (_, _, op) in _operations(reference).items():
        if "requestBody" not in op:
            continue
        ((media, content),) = op["requestBody"]["content"].items()
        our_content = ours[op_id][2]["requestBody"]["content"]
        assert media in our_content, op_id
        vendor_schema = _deref(reference, content["schema"])
        our_schema = _deref(contract.document, our_content[media]["schema"])
        assert set(vendor_schema.get("required", [])) <= set(our_schema.get("required", [])), op_id
        assert set(vendor_schema.get("properties", {})) <= set(our_schema.get("properties", {})), op_id
        vendor_facts = _merged_facts(reference, vendor_schema, "body")
        our_facts = _merged_facts(contract.document, our_schema, "body")
        for (place, keyword), values in vendor_facts.items():
            assert (place, keyword) in our_facts, (op_id, place, keyword)
            for value in values:
                assert _no_looser(keyword, value, our_facts[(place, keyword)]), (op_id, place, keyword)


def test_responses_keep_vendor_statuses_and_shapes(reference: Mapping[str, Any], contract: Contract) -> None:
    ours = _operations(contract.document)
    for op_id, (_, _, op) in _operations(reference).items():
        our_responses = ours[op_id][2]["responses"]
        for status, response in op["responses"].items():
            assert status in our_responses, (op_id, status)
            vendor_schema = response["content"]["application/json"]["schema"]
            our_schema = _deref(contract.document, our_responses[status])["content"]["application/json"]["schema"]
            vendor_facts = _merged_facts(reference, vendor_schema, "response")
            our_facts = _merged_facts(contract.document, our_schema, "response")
            for (place, keyword), values in vendor_facts.items():
                assert (place, keyword) in our_facts, (op_id, status, place, keyword)
                for value in values:
                    assert _no_looser(keyword, value, our_facts[(place, keyword)]), (op_id, place, keyword)
            vendor_props = set(_deref(reference, vendor_schema).get("properties", {}))
            assert vendor_props <= set(_deref(contract.document, our_schema).get("properties", {})), op_id


def test_every_vendor_sid_pattern_is_ours(reference: Mapping[str, Any], contract: Contract) -> None:
    text = REFERENCE.read_text(encoding="utf-8")
    ours = yaml.safe_dump(dict(contract.document))
    for prefix in set(re.findall(r"\^([A-Z]{2})\[0-9a-fA-F\]\{32\}\$", text)):
        assert f"^{prefix}[0-9a-fA-F]{{32}}$" in ours, prefix


def _schemas_used_by_paths(doc: Mapping[str, Any]) -> set[str]:
    """The component schemas an operation reaches through `$ref`s (those that can constrain anything)."""
    used: set[str] = set()
    stack: list[Any] = [doc["paths"]]
    while stack:
        node = stack.pop()
        if isinstance(node, Mapping):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
                name = ref.rsplit("/", 1)[1]
                if name not in used:
                    used.add(name)
                    stack.append(doc["components"]["schemas"][name])
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return used


def test_every_vendor_enum_value_is_ours(reference: Mapping[str, Any], contract: Contract) -> None:
    """Every enum an Interactions operation of the vendor uses is ours, value for value. The vendor
    also publishes enums no operation uses (an Apps sub-resource, invite actions): they constrain
    nothing, and the contract leaves them out."""
    our_schemas = contract.document["components"]["schemas"]
    used = _schemas_used_by_paths(reference)
    enums = [name for name, schema in reference["components"]["schemas"].items() if "enum" in schema]
    assert {"interaction_channel_enum_type", "interaction_transfer_enum_transfer_type"} <= used & set(enums)
    for name in enums:
        if name in used:
            assert our_schemas[name]["enum"] == reference["components"]["schemas"][name]["enum"], name


def test_creates_accept_200_and_201_and_errors_are_documented(contract: Contract) -> None:
    for op_id in ("CreateInteraction", "CreateInteractionChannelInvite", "CreateInteractionChannelParticipant"):
        assert {200, 201} <= set(contract.operation(op_id).success_statuses), op_id
    assert contract.operation("CreateInteractionTransfer").success_statuses == (201,)
    for op_id, (_, _, op) in _operations(contract.document).items():
        assert {"401"} <= set(op["responses"]), op_id
        if "requestBody" in op or op.get("parameters"):
            assert "400" in op["responses"], op_id


def test_form_json_fields_are_declared_by_encoding(contract: Contract) -> None:
    assert contract.operation("CreateInteraction").json_fields == {"Channel", "Routing"}
    assert contract.operation("UpdateInteractionChannel").json_fields == {"Routing"}
    assert contract.operation("CreateInteractionChannelInvite").json_fields == {"Routing"}
    assert contract.operation("CreateInteractionChannelParticipant").json_fields == {
        "MediaProperties",
        "RoutingProperties",
    }
    assert contract.operation("CreateInteractionTransfer").media_type == "application/json"
