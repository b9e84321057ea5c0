"""One request verdict: `validate` (library and CLI), the mock, `run`'s checks and the cassette
checker judge the same request the same way.

Hypothesis draws requests as they travel: valid payloads (every cell, every operation), each rule
broken alone (the shipped examples), a field sent twice, an unknown field, bytes that are not
UTF-8, and junk; each request goes to all four readers, which must agree on the verdict and on
the rule ids (all of them where a reader reports warnings; the error rules for the mock, whose
400 lists what it rejected: the lenient mock against the default verdict, the default mock, which
enforces our stricter readings too, against `strict=True`).
"""

from __future__ import annotations

import base64
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote_from_bytes, urlencode

import httpx
import pytest
from helpers import EXAMPLES, invalid_examples, load
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from vcr.request import Request as VcrRequest

from contract_kit import default_contract, validate
from contract_kit.batch import validate_files
from contract_kit.cassettes.check import CassetteChecker
from contract_kit.contract import Operation
from contract_kit.mock import MockServer
from contract_kit.mock.auth import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN
from contract_kit.run.checks import CheckEnv, verdict
from contract_kit.run.report import Exchange
from contract_kit.validate import Report
from contract_kit.wire import encode_body

CONTRACT = default_contract()
OPERATIONS = sorted(op.operation_id for op in CONTRACT.operations.values() if op.has_request)
AUTH = "Basic " + base64.b64encode(f"{DEFAULT_ACCOUNT_SID}:{DEFAULT_AUTH_TOKEN}".encode()).decode()
BASE = "http://127.0.0.1"


@dataclass(frozen=True)
class Request:
    operation: str
    raw: bytes
    """The body, or the query string for an operation that has no body."""

    @property
    def op(self) -> Operation:
        return CONTRACT.operation(self.operation)

    @property
    def path(self) -> str:
        path = self.op.path
        for name, prefix in self.op.path_sid_prefixes:
            path = path.replace("{" + name + "}", prefix + "0" * 32)
        return path

    @property
    def url(self) -> str:
        query = self.raw.decode("latin-1") if not self.op.body_pointer else ""
        return BASE + self.path + (f"?{query}" if query else "")

    @property
    def headers(self) -> dict[str, str]:
        headers = {"Authorization": AUTH}
        if self.op.body_pointer and self.op.media_type:
            headers["Content-Type"] = self.op.media_type
        return headers


def _wire(operation: str, payload: Any) -> bytes:
    """A shipped payload as it travels: a form or query string, or a JSON body."""
    if isinstance(payload, bytes):
        return payload
    op = CONTRACT.operation(operation)
    if op.is_json_body:
        return json.dumps(payload).encode()
    if isinstance(payload, str):
        return payload.encode()
    if not isinstance(payload, dict):  # junk shipped on purpose: its JSON text is what travels
        return json.dumps(payload).encode()
    if op.body_pointer:
        return encode_body(payload, op.json_fields).encode()
    return urlencode({k: str(v) for k, v in payload.items()}).encode()


def _shipped() -> dict[str, list[bytes]]:
    """Every shipped payload, valid or invalid, by operation, in wire form."""
    found: dict[str, list[bytes]] = {op: [] for op in OPERATIONS}
    for path in sorted((EXAMPLES / "valid").glob("*.json")):
        found["CreateInteraction"].append(_wire("CreateInteraction", load(path)))
    for operation, _, path in invalid_examples():
        payload = load(path)
        for item in payload if isinstance(payload, list) and operation == "CreateInteraction" else [payload]:
            found[operation].append(_wire(operation, item))
    for operation in OPERATIONS:
        valid = EXAMPLES / operation / "valid.json"
        if valid.is_file():
            found[operation].append(_wire(operation, load(valid)))
    return {op: payloads for op, payloads in found.items() if payloads}


SHIPPED = _shipped()


@st.composite
def requests(draw: st.DrawFn) -> Request:
    operation = draw(st.sampled_from(sorted(SHIPPED)))
    op = CONTRACT.operation(operation)
    raw = draw(st.sampled_from(SHIPPED[operation]))
    named = not op.is_json_body and bool(op.field_names)
    mutations = ["none", "junk", "non_utf8"]
    if named:
        mutations += ["duplicate", "unknown", "duplicate_unknown"]
    mutation = draw(st.sampled_from(mutations))
    joiner = b"&" if raw else b""
    if mutation == "junk":
        raw = draw(st.binary(max_size=40))
    elif mutation == "non_utf8":
        at = draw(st.integers(0, len(raw)))
        raw = raw[:at] + draw(st.sampled_from([b"\xff", b"\xfe\xff", b"%FF", b"\xc3("])) + raw[at:]
    elif mutation == "duplicate":
        name = draw(st.sampled_from(sorted(op.field_names)))
        raw += joiner + urlencode({name: draw(st.sampled_from(["a", "", "1", "{}"]))}).encode()
    elif mutation == "unknown":
        raw += joiner + b"Foo=1"
    elif mutation == "duplicate_unknown":
        raw += joiner + b"Foo=1&Foo=2"
    if not op.body_pointer:  # a query string travels percent-encoded: what a URL cannot hold is escaped
        raw = quote_from_bytes(raw, safe="=&%+;/?:@,$-_.!~*'()").encode("ascii")
    return Request(operation, raw)


# -- the four readers -----------------------------------------------------------------------------
def by_library(request: Request) -> Report:
    return validate(request.raw, request.operation)


def by_cli(request: Request) -> Report | None:
    """What `contract-kit validate --wire` reads from a file (form and query strings only: a JSON
    file is read as JSON data, not as a body; a file's line breaks at either end are an editor's,
    not the body's, so a body with them is not a file's)."""
    if request.op.is_json_body or request.raw != request.raw.strip(b"\r\n"):
        return None
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "request.form"
        path.write_bytes(request.raw)
        outcome = validate_files([str(path)], request.operation, wire=True)
    assert not outcome.file_errors, outcome.file_errors
    assert len(outcome.results) == 1
    return outcome.results[0].report


def by_run(request: Request) -> Report | None:
    exchange = Exchange(
        operation=request.operation,
        method=request.op.method,
        url=request.url,
        request_headers=request.headers,
        request_body=request.raw if request.op.body_pointer else b"",
        status=200,
        response_headers={"Content-Type": "application/json"},
        response_body=b"{}",
    )
    return verdict(CheckEnv(CONTRACT), exchange)


def by_cassette(request: Request) -> Report:
    recorded = VcrRequest(
        request.op.method,
        request.url,
        request.raw if request.op.body_pointer else None,
        request.headers,
    )
    response = {"status": {"code": 200, "message": "OK"}, "headers": {"Content-Type": ["application/json"]},
                "body": {"string": b"{}"}}
    judged = CassetteChecker(CONTRACT).check_one(0, recorded, response)
    return Report(request.operation, judged.violations)


def by_mock(client: httpx.Client, request: Request) -> tuple[bool, frozenset[str]]:
    """(accepted, rule ids of the 400) from the mock: its validation runs before it looks the
    resources up, so a 404 for the made-up SIDs still means the request was accepted."""
    response = client.request(
        request.op.method,
        request.url.removeprefix(BASE),
        content=request.raw if request.op.body_pointer else None,
        headers=request.headers,
    )
    assert response.status_code < 500, response.text
    if response.status_code != 400:
        return True, frozenset()
    body = response.json()
    return False, frozenset(v["rule"] for v in body["details"]["violations"])


def _entries(report: Report) -> set[tuple[str, str, str]]:
    return {(v.rule, v.pointer, v.severity) for v in report.violations}


@dataclass(frozen=True)
class Mocks:
    strict: httpx.Client
    """The default mock: every rule of the contract, ours too (`validate(..., strict=True)`)."""
    lenient: httpx.Client
    """`MockServer(lenient=True)`: only what the vendor states (`validate(...)`, the default)."""


@pytest.fixture(scope="module")
def mocks() -> Any:
    with (
        MockServer() as strict,
        MockServer(lenient=True) as lenient,
        httpx.Client(base_url=strict.url, timeout=10) as strict_client,
        httpx.Client(base_url=lenient.url, timeout=10) as lenient_client,
    ):
        yield Mocks(strict_client, lenient_client)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(request=requests())
def test_one_verdict_for_every_reader(mocks: Mocks, request: Request) -> None:
    library = by_library(request)
    readers = {"cli": by_cli(request), "run": by_run(request), "cassettes": by_cassette(request)}
    for name, report in readers.items():
        if report is None:
            continue
        assert report.valid == library.valid, (name, report, library)
        assert _entries(report) == _entries(library), (name, report, library)
    accepted, rejected_rules = by_mock(mocks.lenient, request)
    assert accepted == library.valid, (request, library, rejected_rules)
    assert rejected_rules == {v.rule for v in library.errors}, (request, library)
    strict = validate(request.raw, request.operation, strict=True)
    accepted, rejected_rules = by_mock(mocks.strict, request)
    assert accepted == strict.valid, (request, strict, rejected_rules)
    assert rejected_rules == {v.rule for v in strict.errors}, (request, strict)


@pytest.mark.parametrize("operation", OPERATIONS)
def test_every_operation_with_a_request_is_drawn(operation: str) -> None:
    """The differential test reaches every operation the contract judges a request of."""
    assert SHIPPED.get(operation), f"no shipped payload for {operation}: add examples/payloads/{operation}/"


def test_the_reported_disagreement_is_gone(mocks: Mocks) -> None:
    """A valid create with `&Foo=1&Foo=2` appended: once four answers, now one (valid, two warnings)."""
    raw = SHIPPED["CreateInteraction"][0] + b"&Foo=1&Foo=2"
    request = Request("CreateInteraction", raw)
    library = by_library(request)
    assert library.valid
    assert {v.rule for v in library.warnings} == {"request.unknown_field", "request.duplicate_field"}
    assert by_mock(mocks.lenient, request) == (True, frozenset())
    assert by_mock(mocks.strict, request) == (False, frozenset({"request.unknown_field", "request.duplicate_field"}))
    run_report, cli_report = by_run(request), by_cli(request)
    assert run_report is not None and cli_report is not None
    assert _entries(run_report) == _entries(cli_report) == _entries(by_cassette(request)) == _entries(library)
