"""Junk never makes the mock answer 5xx: malformed input is 400 (or 401/404/405/413), vendor-shaped."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from urllib.parse import quote_from_bytes

import httpx
import pytest
from mock_support import ResponseChecker, ResponseRecorder, valid_payload

from contract_kit.contract import default_contract
from contract_kit.mock import MAX_BODY, MockServer, create_app
from contract_kit.wire import encode_body

KD = "KD" + "a" * 32
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    """One mock for the module; every response it gives is checked against the document."""
    recorder = ResponseRecorder(create_app())
    with MockServer(recorder) as running:  # type: ignore[arg-type]
        yield running
    checker = ResponseChecker()
    problems = [p for seen in recorder.seen for p in checker.problems(seen)]
    assert not problems, problems[:10]


@pytest.fixture()
def http(server: MockServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, auth=server.auth, timeout=10) as client:
        yield client


@pytest.fixture()
def channel(http: httpx.Client) -> tuple[str, str]:
    body = encode_body(valid_payload("sms", "api"), ["Channel", "Routing"])
    created = http.post("/v1/Interactions", content=body, headers=FORM).json()
    return created["sid"], created["channel"]["sid"]


def _vendor(response: httpx.Response, status: int, code: int | None = None) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, object] = response.json()
    assert set(body) >= {"code", "message", "more_info", "status"} and body["status"] == status
    assert not {"type", "title"} <= set(body)
    if code is not None:
        assert body["code"] == code
    return body


@pytest.mark.parametrize(
    "body",
    [
        b"Channel=%FF%FE&Routing=x",  # percent-encoded bytes that are not UTF-8
        b"\xff\xfe\x00garbage",  # raw non-UTF-8
        b"Channel=%7B%22type%22",  # truncated JSON
        b"Channel=%5B1%2C2%5D&Routing=%7B%7D",  # JSON that is not an object
        b"Channel=null",
        b"Channel=%22sms%22",
        b"%%%%&&&===",
        b"=",
        b"",
        b"Channel=" + b"%5B" * 5000,  # deeply nested
    ],
)
def test_malformed_create_bodies_are_400(http: httpx.Client, body: bytes) -> None:
    message = _vendor(http.post("/v1/Interactions", content=body, headers=FORM), 400, 20001)["message"]
    assert isinstance(message, str) and message.startswith("Invalid parameter: [")


def test_duplicated_and_unknown_fields_are_our_rules_by_default(http: httpx.Client, channel: tuple[str, str]) -> None:
    """Our readings (the lenient mock accepts them: test_mock_strict.py): the default mock answers
    400/20001 naming the rule, never a 5xx."""
    valid = encode_body(valid_payload("sms", "api"), ["Channel", "Routing"])
    doubled = valid + "&" + valid.split("&")[0]
    message = _vendor(http.post("/v1/Interactions", content=doubled, headers=FORM), 400, 20001)["message"]
    assert isinstance(message, str) and message.startswith("Invalid parameter: [request.duplicate_field] at /Channel")
    interaction, _ = channel
    unknown_twice = "Foo=1&Foo=2"  # a field the contract does not know, sent twice
    response = http.post(f"/v1/Interactions/{interaction}", content=unknown_twice, headers=FORM)
    rules = {v["rule"] for v in response.json()["details"]["violations"]}
    assert response.status_code == 400 and rules == {"request.duplicate_field", "request.unknown_field"}


def test_oversized_bodies_are_413(http: httpx.Client, channel: tuple[str, str]) -> None:
    big = b"WebhookTtid=" + b"a" * MAX_BODY
    _vendor(http.post(f"/v1/Interactions/{channel[0]}", content=big, headers=FORM), 413)

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit holds while streaming
        for _ in range(20):
            yield b"a" * 65536

    _vendor(http.post("/v1/Interactions", content=chunks(), headers=FORM), 413)
    ok = http.post(f"/v1/Interactions/{channel[0]}", content=b"WebhookTtid=" + b"a" * 1000, headers=FORM)
    assert ok.status_code == 200


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b"null", b'"text"', b"\xff\xfe", b"{" * 3000])
def test_transfer_bodies_that_are_not_objects_are_400(
    http: httpx.Client, channel: tuple[str, str], body: bytes
) -> None:
    path = f"/v1/Interactions/{channel[0]}/Channels/{channel[1]}/Transfers"
    _vendor(http.post(path, content=body, headers={"Content-Type": "application/json"}), 400, 20001)


def test_transfer_without_body_is_accepted_as_the_document_allows(http: httpx.Client, channel: tuple[str, str]) -> None:
    created = http.post(f"/v1/Interactions/{channel[0]}/Channels/{channel[1]}/Transfers")
    assert created.status_code == 201 and created.json()["sid"].startswith("UX")


@pytest.mark.parametrize(
    "query", ["PageSize=0", "PageSize=1001", "PageSize=abc", "Page=-1", "PageSize=2&PageSize=1001", "Page=%FF"]
)
def test_bad_list_queries_are_400(http: httpx.Client, channel: tuple[str, str], query: str) -> None:
    _vendor(http.get(f"/v1/Interactions/{channel[0]}/Channels?{query}"), 400, 20001)


def test_huge_page_is_an_empty_page(http: httpx.Client, channel: tuple[str, str]) -> None:
    body = http.get(f"/v1/Interactions/{channel[0]}/Channels?Page={10**30}").json()
    assert body["channels"] == [] and body["meta"]["next_page_url"] is None


@pytest.mark.parametrize(
    "authorization",
    ["", "Basic", "Basic !!!", "Bearer abc", "Basic " + "QUM6" * 1000, "Basic //79", "Basic dXNlcg=="],
)
def test_junk_credentials_are_401(server: MockServer, authorization: str) -> None:
    response = httpx.get(f"{server.url}/v1/Interactions/{KD}", headers={"Authorization": authorization})
    _vendor(response, 401, 20003)
    assert response.headers["www-authenticate"].startswith("Basic")


def test_malformed_path_sids_unknown_paths_and_methods(http: httpx.Client) -> None:
    _vendor(http.get("/v1/Interactions/KDnot-a-sid"), 404, 20404)
    _vendor(http.get(f"/v1/Interactions/{KD}/Channels/UO{'z' * 32}"), 404, 20404)
    _vendor(http.get("/v1/Nothing/Here"), 404, 20404)
    response = http.delete(f"/v1/Interactions/{KD}")
    _vendor(response, 405)
    assert set(response.headers["allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


def test_junk_host_header_still_gives_absolute_urls(server: MockServer) -> None:
    body = encode_body(valid_payload("sms", "api"), ["Channel", "Routing"])
    headers = {**FORM, "Host": "evil host/<>"}
    response = httpx.post(f"{server.url}/v1/Interactions", content=body, headers=headers, auth=server.auth)
    assert response.status_code == 200 and response.json()["url"].startswith("http://127.0.0.1:")


def test_random_bytes_to_every_operation_never_5xx(http: httpx.Client, channel: tuple[str, str]) -> None:
    rng = random.Random(20240604)
    sids = {"Sid": None, "InteractionSid": channel[0], "ChannelSid": channel[1]}
    statuses: set[int] = set()
    for op in default_contract().operations.values():
        path = op.path
        for name, value in sids.items():
            path = path.replace("{" + name + "}", value or ("UO" + "0" * 32 if "Channels/{Sid}" in op.path else KD))
        for _ in range(25):
            size = rng.choice([1, 7, 64, 900])
            junk = bytes(rng.randrange(256) for _ in range(size))
            if rng.random() < 0.5:
                junk = junk.replace(b"&", b"=").replace(b"%", b"&")
            content_type = rng.choice(["application/x-www-form-urlencoded", "application/json", "text/plain"])
            if op.method == "GET":
                response = http.get(path + "?" + quote_from_bytes(junk, safe="=&%+"))
            else:
                response = http.post(path, content=junk, headers={"Content-Type": content_type})
            statuses.add(response.status_code)
            assert response.status_code < 500, (op.operation_id, junk, response.text)
            json.loads(response.text)
    assert 400 in statuses


def test_every_operation_of_the_document_has_a_behaviour() -> None:
    from contract_kit.mock.resources import HANDLERS

    assert set(HANDLERS) == set(default_contract().operations)
