"""The document's examples and links: valid against the document itself, so they can never rot.

Renderers, Prism's example responses and Schemathesis' examples phase read them; each request
example must pass the one verdict (`validate`, `validate_request`) without a single violation, each
response example the compiled response schema (`ResponseChecker`), and each link must fill the
parameters of the operation it leads to from the example it starts at.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from helpers import EXAMPLES, load

from contract_kit import validate, validate_request
from contract_kit.contract import Contract, Operation, default_contract
from contract_kit.responses import ResponseChecker
from contract_kit.run.document import engine_document
from contract_kit.strategies import cells
from contract_kit.wire import encode_body


@pytest.fixture(scope="module")
def contract() -> Contract:
    return default_contract()


def _examples(contract: Contract, holder: Any) -> dict[str, Any]:
    """name -> value of the examples of a media type or parameter object (following `$ref`s)."""
    if not isinstance(holder, Mapping):
        return {}
    found = {name: contract.deref(example)["value"] for name, example in (holder.get("examples") or {}).items()}
    if "example" in holder:
        found["example"] = holder["example"]
    return found


def _request_media(contract: Contract, op: Operation) -> Mapping[str, Any]:
    assert op.body_pointer, op.operation_id
    media: Mapping[str, Any] = contract.resolve(op.body_pointer.rsplit("/", 1)[0])
    return media


def _parameter(contract: Contract, schema_pointer: str) -> Mapping[str, Any]:
    parameter: Mapping[str, Any] = contract.resolve(schema_pointer.rsplit("/", 1)[0])
    return parameter


def _response_examples(contract: Contract) -> Iterator[tuple[Operation, int, str, Any]]:
    for op in contract.operations.values():
        for response in op.responses:
            media = (contract.resolve(response.pointer).get("content") or {}).get("application/json")
            for name, value in _examples(contract, media).items():
                yield op, response.status, name, value


def _body_examples(contract: Contract) -> Iterator[tuple[Operation, str, Any]]:
    for op in contract.operations.values():
        if op.body_pointer:
            for name, value in _examples(contract, _request_media(contract, op)).items():
                yield op, name, value


def _query_example(contract: Contract, op: Operation) -> dict[str, Any]:
    return {n: v for n, p in op.query_parameters for v in _examples(contract, _parameter(contract, p)).values()}


def test_every_operation_has_a_request_example(contract: Contract) -> None:
    for op in contract.operations.values():
        if op.body_pointer:
            assert _examples(contract, _request_media(contract, op)), f"{op.operation_id}: no request body example"
        for name, pointer in op.path_parameters:
            assert _examples(contract, _parameter(contract, pointer)), f"{op.operation_id}: no example of {name}"
        if op.query_parameters:
            given = [n for n, p in op.query_parameters if _examples(contract, _parameter(contract, p))]
            assert given, f"{op.operation_id}: no query parameter has an example"


def test_create_interaction_has_the_shipped_payload_of_every_cell(contract: Contract) -> None:
    examples = _examples(contract, _request_media(contract, contract.operation("CreateInteraction")))
    expected = {f"{c['type']}-{c['initiated_by']}" for c in cells("CreateInteraction", contract)}
    assert set(examples) == expected
    for name, value in examples.items():
        assert value == load(EXAMPLES / "valid" / f"{name}.json"), f"{name} differs from examples/payloads/valid"


def test_other_request_examples_are_the_shipped_valid_payloads(contract: Contract) -> None:
    for op, name, value in _body_examples(contract):
        if op.operation_id != "CreateInteraction":
            assert value == load(EXAMPLES / op.operation_id / "valid.json"), (op.operation_id, name)
    for op in contract.operations.values():
        if op.query_parameters:
            query = _query_example(contract, op)
            assert query == load(EXAMPLES / op.operation_id / "valid.json"), op.operation_id


def test_every_request_example_passes_the_verdict_without_a_single_violation(contract: Contract) -> None:
    seen = 0
    for op, name, value in _body_examples(contract):
        decoded = validate(value, op.operation_id, contract=contract, strict=True)
        assert decoded.valid and not decoded.violations, (op.operation_id, name, decoded.violations)
        body = encode_body(value, op.json_fields) if op.is_form else json.dumps(value)
        wire = validate_request(op, body=body, content_type=op.media_type, strict=True, contract=contract)
        assert wire.valid and not wire.violations, (op.operation_id, name, wire.violations)
        seen += 1
    assert seen >= len([op for op in contract.operations.values() if op.body_pointer])


def test_every_parameter_example_fits_its_schema(contract: Contract) -> None:
    for op in contract.operations.values():
        for name, pointer in (*op.path_parameters, *op.query_parameters):
            for value in _examples(contract, _parameter(contract, pointer)).values():
                errors = [e.message for e in contract.validator(pointer, formats=True).iter_errors(value)]
                assert not errors, (op.operation_id, name, errors)
        if op.query_parameters:
            query = _query_example(contract, op)
            report = validate_request(op, query=query, strict=True, contract=contract)
            assert report.valid and not report.violations, (op.operation_id, report.violations)


def test_every_response_example_conforms_and_every_success_has_one(contract: Contract) -> None:
    checker = ResponseChecker(contract)
    with_examples: set[tuple[str, int]] = set()
    for op, status, name, value in _response_examples(contract):
        problems = checker.problems(op.method, op.path, status, "application/json", json.dumps(value), operation=op)
        assert not problems, (op.operation_id, status, name, problems)
        with_examples.add((op.operation_id, status))
    for op in contract.operations.values():
        for status in op.success_statuses:
            assert (op.operation_id, status) in with_examples, f"{op.operation_id} {status}: no response example"


def test_every_link_fills_its_target_from_the_example_it_starts_at(contract: Contract) -> None:
    for op, status, _, value in _response_examples(contract):
        for link in (op.response(status) or pytest.fail("undeclared")).links:
            target = contract.operation(link.operation_id)
            filled = link.values(value)
            assert set(filled) == {n for n, _ in link.parameters}, (op.operation_id, link.name, filled)
            assert {n for n, _ in target.path_parameters} <= set(filled), (op.operation_id, link.name)
            for parameter, sid in filled.items():
                prefix = target.sid_prefix(parameter)
                assert prefix is None or sid.startswith(prefix), (op.operation_id, link.name, parameter, sid)


def test_links_lead_to_and_from_the_transfers(contract: Contract) -> None:
    transfers = {op.operation_id for op in contract.operations.values() if op.resource_prefix == "UX"}
    assert transfers == {"CreateInteractionTransfer", "FetchInteractionTransfer", "UpdateInteractionTransfer"}
    targets = {link.operation_id for op in contract.operations.values() for link in op.links}
    assert transfers <= targets
    create = contract.operation("CreateInteractionTransfer")
    assert {link.operation_id for link in create.links} == {"FetchInteractionTransfer", "UpdateInteractionTransfer"}


def test_the_run_replaces_the_document_request_examples_never_adds_to_them(contract: Contract) -> None:
    """`contract-kit run` derives its own valid payloads per cell: the engine view carries those
    alone (each cell once), and a view capped at no example carries no request example at all."""
    capped = engine_document(contract, examples=0)
    full = engine_document(contract, seed=3)
    for op in contract.operations.values():
        if not op.body_pointer:
            continue
        media_pointer = op.body_pointer.rsplit("/", 1)[0]
        assert not _examples(contract, _at(capped, media_pointer)), op.operation_id
        carried = _examples(contract, _at(full, media_pointer))
        ours = _examples(contract, _request_media(contract, op))
        assert set(carried) == set(ours) or (op.operation_id != "CreateInteraction" and set(carried) <= {"valid"})
        assert all("summary" in example for example in _at(full, media_pointer).get("examples", {}).values())
    create = _at(full, contract.operation("CreateInteraction").body_pointer.rsplit("/", 1)[0])  # type: ignore[union-attr]
    assert all("$ref" not in example for example in create["examples"].values())


def _at(document: Mapping[str, Any], pointer: str) -> Any:
    node: Any = document
    for token in pointer.lstrip("/").split("/"):
        node = node[token.replace("~1", "/").replace("~0", "~")]
    return node
