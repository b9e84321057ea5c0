"""The mock's two verdicts: strict by default (every rule, ours too: 400/20001), and lenient on
request, where the vendor is silent (what only our stricter readings forbid is accepted, as a real
server may: a field sent twice -> the last value wins, an unknown field -> ignored, ...)."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from mock_support import ResponseChecker, ResponseRecorder, valid_payload
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from contract_kit.commands.mock import mock_command
from contract_kit.contract import default_contract
from contract_kit.mock import MockServer, create_app

FORM = "application/x-www-form-urlencoded"
CH = "CH" + "c" * 32
KD = "KD" + "a" * 32
NOT_EMAIL = ("sms", "whatsapp", "web", "chat", "messenger", "gbm")


def _serve(lenient: bool) -> Iterator[MockServer]:
    """One mock for the module; every response it gives is checked against the document."""
    recorder = ResponseRecorder(create_app(lenient=lenient) if lenient else create_app())
    with MockServer(recorder) as running:  # type: ignore[arg-type]
        assert running.app.state.mock.lenient is lenient
        yield running
    checker = ResponseChecker()
    problems = [p for seen in recorder.seen for p in checker.problems(seen)]
    assert recorder.seen and not problems, problems[:10]


@pytest.fixture(scope="module")
def lenient() -> Iterator[MockServer]:
    yield from _serve(True)


@pytest.fixture(scope="module")
def strict() -> Iterator[MockServer]:
    yield from _serve(False)


@pytest.fixture(autouse=True)
def _no_region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TWILIO_REGION", raising=False)
    monkeypatch.delenv("TWILIO_EDGE", raising=False)


def _client(server: MockServer) -> Client:
    client = Client(*server.auth, environment={})
    client.flex_api.base_url = server.url
    return client


def _create(client: Client, payload: dict[str, Any]) -> Any:
    return client.flex_api.v1.interaction.create(channel=payload["Channel"], routing=payload["Routing"])


def _post(server: MockServer, path: str, body: bytes, content_type: str = FORM) -> httpx.Response:
    return httpx.post(server.url + path, content=body, headers={"Content-Type": content_type}, auth=server.auth)


def _rejected(response: httpx.Response, rule: str, pointer: str) -> None:
    """A 400/20001 vendor error naming `rule` at `pointer` first, with the violation in details."""
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == 20001 and body["status"] == 400
    assert body["message"].startswith(f"Invalid parameter: [{rule}] at {pointer or '/'}: ")
    first = body["details"]["violations"][0]
    assert (first["rule"], first["pointer"], first["severity"], first["basis"]) == (rule, pointer, "error", "ours")


# -- a duplicated field ---------------------------------------------------------------------------
def test_lenient_mock_takes_the_last_value_of_a_duplicated_field(lenient: MockServer) -> None:
    client = _client(lenient)
    created = _create(client, valid_payload("sms", "api"))
    response = _post(lenient, f"/v1/Interactions/{created.sid}", b"WebhookTtid=a&WebhookTtid=b")
    assert response.status_code == 200, response.text
    assert response.json()["webhook_ttid"] == "b"
    assert client.flex_api.v1.interaction(created.sid).fetch().webhook_ttid == "b"


def test_strict_mock_rejects_a_duplicated_field(strict: MockServer) -> None:
    client = _client(strict)
    created = _create(client, valid_payload("sms", "api"))
    response = _post(strict, f"/v1/Interactions/{created.sid}", b"WebhookTtid=a&WebhookTtid=b")
    _rejected(response, "request.duplicate_field", "/WebhookTtid")
    assert client.flex_api.v1.interaction(created.sid).fetch().webhook_ttid is None  # nothing was applied
    accepted = _post(strict, f"/v1/Interactions/{created.sid}", b"WebhookTtid=b")
    assert accepted.status_code == 200 and accepted.json()["webhook_ttid"] == "b"


def test_a_duplicated_list_parameter_last_value_wins_unless_strict(lenient: MockServer, strict: MockServer) -> None:
    for server in (lenient, strict):
        sid = _create(_client(server), valid_payload("sms", "api")).sid
        response = httpx.get(f"{server.url}/v1/Interactions/{sid}/Channels?PageSize=1&PageSize=2", auth=server.auth)
        if server is lenient:
            assert response.status_code == 200 and response.json()["meta"]["page_size"] == 2
        else:
            _rejected(response, "request.duplicate_field", "/PageSize")


# -- the other wire-level readings of ours ---------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "content_type", "rule", "pointer", "kept"),
    [
        (b"WebhookTtid=x&Foo=1", FORM, "request.unknown_field", "/Foo", "x"),
        (b"WebhookTtid=%FF", FORM, "request.encoding", "", "\ufffd"),
        (b"WebhookTtid=x", "text/plain", "request.content_type", "", "x"),
    ],
    ids=["unknown-field", "not-utf8", "content-type"],
)
def test_wire_readings_of_ours_are_accepted_unless_strict(
    lenient: MockServer, strict: MockServer, body: bytes, content_type: str, rule: str, pointer: str, kept: str
) -> None:
    sid = _create(_client(lenient), valid_payload("sms", "api")).sid
    response = _post(lenient, f"/v1/Interactions/{sid}", body, content_type)
    assert response.status_code == 200, response.text
    assert response.json()["webhook_ttid"] == kept and "Foo" not in response.text
    sid = _create(_client(strict), valid_payload("sms", "api")).sid
    _rejected(_post(strict, f"/v1/Interactions/{sid}", body, content_type), rule, pointer)


# -- CreateInteraction cells ----------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["lenient", "strict"])
@pytest.mark.parametrize("kind", NOT_EMAIL)
def test_agent_create_naming_a_conversation_needs_no_participants(
    request: pytest.FixtureRequest, mode: str, kind: str
) -> None:
    server: MockServer = request.getfixturevalue(mode)
    client = _client(server)
    payload = valid_payload(kind, "agent")
    payload["Channel"].pop("participants", None)
    payload["Channel"]["properties"] = {"media_channel_sid": CH}
    created = _create(client, payload)
    assert created.channel["properties"] == {"media_channel_sid": CH} and "participants" not in created.channel
    channel = client.flex_api.v1.interaction(created.sid).channels(created.channel["sid"]).fetch()
    # the lenient mock settles channels asynchronously (0.5 s): a fresh one may still be in setup
    assert channel.type == kind and channel.status in (("setup", "active") if mode == "lenient" else ("active",))
    # without the conversation, the vendor's rule holds: participants are required
    del payload["Channel"]["properties"]
    with pytest.raises(TwilioRestException) as info:
        _create(client, payload)
    assert (info.value.status, info.value.code) == (400, 20001)
    assert "[agent.participants] at /Channel/participants" in info.value.msg


def test_queue_sid_off_its_pattern_outside_agent_cells_is_accepted_unless_strict(
    lenient: MockServer, strict: MockServer
) -> None:
    payload = valid_payload("sms", "api")
    payload["Routing"]["properties"]["queue_sid"] = "nope"
    created = _create(_client(lenient), payload)
    assert created.routing["properties"]["queue_sid"] == "nope"
    with pytest.raises(TwilioRestException) as info:
        _create(_client(strict), payload)
    assert (info.value.status, info.value.code) == (400, 20001)
    assert "Invalid parameter: [routing.queue_sid] at /Routing/properties/queue_sid: " in info.value.msg


def test_queue_sid_off_its_pattern_in_an_agent_cell_is_the_vendors_rule(lenient: MockServer) -> None:
    payload = valid_payload("sms", "agent")
    payload["Routing"]["properties"]["queue_sid"] = "nope"
    with pytest.raises(TwilioRestException) as info:
        _create(_client(lenient), payload)
    assert (info.value.status, info.value.code) == (400, 20001)
    assert "[routing.agent] at /Routing/properties/queue_sid" in info.value.msg


# -- junk -----------------------------------------------------------------------------------------
def test_random_bytes_to_every_operation_of_the_strict_mock_never_5xx(strict: MockServer) -> None:
    rng = random.Random(20240605)
    created = _create(_client(strict), valid_payload("sms", "api"))
    sids = {"{InteractionSid}": created.sid, "{ChannelSid}": created.channel["sid"]}
    statuses: set[int] = set()
    with httpx.Client(base_url=strict.url, auth=strict.auth, timeout=10) as http:
        for op in default_contract().operations.values():
            path = op.path
            for name, value in sids.items():
                path = path.replace(name, value)
            path = path.replace("{Sid}", created.channel["sid"] if "Channels/{Sid}" in op.path else KD)
            for _ in range(20):
                junk = bytes(rng.randrange(256) for _ in range(rng.choice([1, 7, 64, 900])))
                content_type = rng.choice([FORM, "application/json", "text/plain"])
                if op.method == "GET":
                    response = http.get(path, params={"PageSize": junk.decode("latin-1")})
                else:
                    response = http.post(path, content=junk, headers={"Content-Type": content_type})
                statuses.add(response.status_code)
                assert response.status_code < 500, (op.operation_id, junk, response.text)
                json.loads(response.text)
    assert 400 in statuses


# -- the command ----------------------------------------------------------------------------------
def test_mock_command_documents_and_passes_lenient(monkeypatch: pytest.MonkeyPatch) -> None:
    helped = CliRunner().invoke(mock_command, ["--help"])
    assert helped.exit_code == 0 and "--lenient" in helped.output and "last value wins" in helped.output
    served: list[Any] = []
    monkeypatch.setattr("contract_kit.mock.serve", lambda app, host, port: served.append(app))
    for argv, expected in (([], False), (["--lenient"], True)):
        result = CliRunner().invoke(mock_command, argv)
        assert result.exit_code == 0, result.output
        assert served.pop().state.mock.lenient is expected
        assert ("lenient:" in result.output) is expected
        assert ("strict:" in result.output) is not expected
