"""The mock driven by the vendor's Python client (`twilio` 9.x), as users drive Flex."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from mock_support import CELLS, ROUTING, WS, ResponseChecker, ResponseRecorder, valid_payload
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.rest import Client

from contract_kit.mock import (
    DEFAULT_API_KEY_SECRET,
    DEFAULT_API_KEY_SID,
    OTHER_ACCOUNT_SID,
    OTHER_AUTH_TOKEN,
    MockServer,
    create_app,
)
from contract_kit.validate import validate


@pytest.fixture(scope="module")
def recorder() -> ResponseRecorder:
    """Every response this module sees, checked against the document at the end."""
    return ResponseRecorder(create_app())


@pytest.fixture(scope="module")
def server(recorder: ResponseRecorder) -> Iterator[MockServer]:
    """One mock on a free loopback port for the module."""
    with MockServer(recorder) as running:  # type: ignore[arg-type]
        yield running
    checker = ResponseChecker()
    problems = [p for seen in recorder.seen for p in checker.problems(seen)]
    assert recorder.seen and not problems, problems[:10]


def _client(server: MockServer, username: str, secret: str, account: str | None = None) -> Client:
    client = Client(username, secret, account_sid=account, environment={})  # no TWILIO_REGION/EDGE
    client.flex_api.base_url = server.url
    return client


@pytest.fixture()
def client(server: MockServer, monkeypatch: pytest.MonkeyPatch) -> Client:
    """The vendor client as the default account, pointed at the mock."""
    monkeypatch.delenv("TWILIO_REGION", raising=False)
    monkeypatch.delenv("TWILIO_EDGE", raising=False)
    return _client(server, *server.auth)


def _create(client: Client, kind: str = "sms", initiated_by: str = "customer", **extra: Any) -> Any:
    payload = valid_payload(kind, initiated_by)
    return client.flex_api.v1.interaction.create(channel=payload["Channel"], routing=payload["Routing"], **extra)


class _Body:
    """What the vendor client wants as a Transfers body: an object with `to_dict()`."""

    def __init__(self, **fields: Any) -> None:
        self.fields = fields

    def to_dict(self) -> dict[str, Any]:
        return self.fields


@pytest.mark.parametrize(("kind", "initiated_by"), CELLS)
def test_every_cell_creates_then_fetches_and_settles(client: Client, kind: str, initiated_by: str) -> None:
    assert validate(valid_payload(kind, initiated_by)).valid  # the fixture itself is valid
    created = _create(client, kind, initiated_by)
    assert created.sid.startswith("KD") and created.channel["type"] == kind
    assert created.url.startswith("http://127.0.0.1:") and created.links["channels"] == created.url + "/Channels"
    fetched = client.flex_api.v1.interaction(created.sid).fetch()
    assert fetched.sid == created.sid and fetched.channel == created.channel
    channel = client.flex_api.v1.interaction(created.sid).channels(created.channel["sid"]).fetch()
    assert (channel.type, channel.status, channel.error_code) == (kind, "active", None)


def test_create_answers_200_and_channel_starts_in_setup(server: MockServer) -> None:
    import httpx

    from contract_kit.wire import encode_form

    form = encode_form(valid_payload("chat", "api"), ["Channel", "Routing"])
    with httpx.Client(base_url=server.url, auth=server.auth) as http:
        created = http.post("/v1/Interactions", data=form)
        assert created.status_code == 200
        sid, channel_sid = created.json()["sid"], created.json()["channel"]["sid"]
        listed = http.get(f"/v1/Interactions/{sid}/Channels").json()
    # the first read settles it: the documented, deterministic trigger
    assert listed["channels"][0]["sid"] == channel_sid and listed["channels"][0]["status"] == "active"


def test_settle_delay_keeps_setup_until_it_has_passed() -> None:
    import httpx

    from contract_kit.wire import encode_form

    with MockServer(settle_delay=60) as server, httpx.Client(base_url=server.url, auth=server.auth) as http:
        body = http.post("/v1/Interactions", data=encode_form(valid_payload("sms", "api"), ["Channel", "Routing"]))
        sid, channel = body.json()["sid"], body.json()["channel"]["sid"]
        assert http.get(f"/v1/Interactions/{sid}/Channels/{channel}").json()["status"] == "setup"


def test_failing_workspace_sid_gives_a_failed_channel(client: Client) -> None:
    payload = valid_payload("sms", "api")
    payload["Routing"]["properties"]["workspace_sid"] = "WS" + "0" * 32
    created = client.flex_api.v1.interaction.create(channel=payload["Channel"], routing=payload["Routing"])
    channel = client.flex_api.v1.interaction(created.sid).channels(created.channel["sid"]).fetch()
    assert channel.status == "failed" and channel.error_code == 20404 and "Workspace" in channel.error_message


def test_webhook_ttid_update_is_visible_on_fetch(client: Client) -> None:
    created = _create(client, webhook_ttid="flex_interactionwebhook_00000001")
    assert created.webhook_ttid == "flex_interactionwebhook_00000001"
    updated = client.flex_api.v1.interaction(created.sid).update(webhook_ttid="flex_interactionwebhook_00000002")
    assert updated.webhook_ttid == "flex_interactionwebhook_00000002"
    assert client.flex_api.v1.interaction(created.sid).fetch().webhook_ttid == "flex_interactionwebhook_00000002"


def test_list_channels_with_pagination(client: Client, recorder: ResponseRecorder) -> None:
    created = _create(client)
    page = client.flex_api.v1.interaction(created.sid).channels.page(page_size=1)
    assert [c.sid for c in page] == [created.channel["sid"]] and page.next_page_url is None
    listed = client.flex_api.v1.interaction(created.sid).channels.list(page_size=1)
    assert [c.sid for c in listed] == [created.channel["sid"]]


def test_invites_are_stored_and_listed_across_pages(client: Client, recorder: ResponseRecorder) -> None:
    created = _create(client, "chat", "api")
    invites = client.flex_api.v1.interaction(created.sid).channels(created.channel["sid"]).invites
    made = [invites.create(routing=ROUTING).sid for _ in range(5)]
    assert all(sid.startswith("KG") for sid in made)
    before = len(recorder.seen)
    listed = invites.list(page_size=2)
    assert [i.sid for i in listed] == made
    # the recorder appends once a body is sent, which may be just after the client has it
    deadline = time.monotonic() + 5
    while True:
        pages = [s for s in recorder.seen[before:] if s.method == "GET" and s.path.endswith("/Invites")]
        if len(pages) >= 3 or time.monotonic() > deadline:
            break
        time.sleep(0.01)
    assert len(pages) == 3  # the client followed meta.next_page_url, as given, twice


def test_close_a_channel_and_make_one_inactive(client: Client) -> None:
    first, second = _create(client), _create(client)
    closed = client.flex_api.v1.interaction(first.sid).channels(first.channel["sid"]).update(status="closed")
    assert closed.status == "closed"
    inactive = (
        client.flex_api.v1.interaction(second.sid)
        .channels(second.channel["sid"])
        .update(status="inactive", routing={"status": "closed"})
    )
    assert inactive.status == "inactive"
    assert client.flex_api.v1.interaction(first.sid).channels(first.channel["sid"]).fetch().status == "closed"
    with pytest.raises(TwilioRestException) as info:
        client.flex_api.v1.interaction(second.sid).channels(second.channel["sid"]).update(status="inactive")
    assert (info.value.status, info.value.code) == (400, 20001)
    assert "channel_update.inactive_routing" in info.value.msg


def test_add_update_and_list_participants(client: Client) -> None:
    created = _create(client, "sms", "agent")
    participants = client.flex_api.v1.interaction(created.sid).channels(created.channel["sid"]).participants
    agent = participants.create(type="agent", media_properties={"identity": "agent-1"}, routing_properties={"a": 1})
    assert agent.sid.startswith("UT") and agent.type == "agent" and agent.routing_properties == {"a": 1}
    updated = participants(agent.sid).update(status="wrapup")
    assert updated.sid == agent.sid
    assert [p.sid for p in participants.list()] == [agent.sid]
    with pytest.raises(TwilioRestException) as info:
        participants.create(type="robot", media_properties={})
    assert (info.value.status, info.value.code) == (400, 20001)


def test_transfers_create_fetch_update(client: Client) -> None:
    created = _create(client)
    transfers = client.flex_api.v1.interaction(created.sid).channels(created.channel["sid"]).transfers
    made = transfers.create(body=_Body(type="cold", to="WK" + "3" * 32))
    assert made.sid.startswith("UX") and made.type == "cold" and made.status == "active"
    assert transfers(made.sid).fetch().sid == made.sid
    assert transfers(made.sid).update(body=_Body(status="completed")).status == "completed"
    assert transfers(made.sid).fetch().status == "completed"


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        (lambda p: p["Channel"]["properties"].pop("media_channel_sid"), "customer.media_channel_sid"),
        (lambda p: p["Channel"].update(type="fax"), "channel.type"),
        (lambda p: p.pop("Routing"), "routing.required"),
        (lambda p: p["Routing"]["properties"].update(workspace_sid="WSnope"), "routing.workspace_sid"),
    ],
)
def test_invalid_payloads_surface_as_twilio_rest_exception(client: Client, change: Any, rule: str) -> None:
    payload = valid_payload("sms", "customer")
    change(payload)
    with pytest.raises(TwilioRestException) as info:
        client.flex_api.v1.interaction.create(channel=payload["Channel"], routing=payload.get("Routing", None) or None)
    assert not isinstance(info.value, TwilioServiceException)
    assert (info.value.status, info.value.code) == (400, 20001)
    assert f"[{rule}]" in info.value.msg and " at /" in info.value.msg


def test_wrong_credentials_are_401_20003(server: MockServer) -> None:
    with pytest.raises(TwilioRestException) as info:
        _client(server, server.auth[0], "not-the-token").flex_api.v1.interaction("KD" + "a" * 32).fetch()
    assert (info.value.status, info.value.code) == (401, 20003)


def test_unknown_interaction_is_404_20404(client: Client) -> None:
    with pytest.raises(TwilioRestException) as info:
        client.flex_api.v1.interaction("KD" + "a" * 32).fetch()
    assert (info.value.status, info.value.code) == (404, 20404)


def test_accounts_are_isolated_and_api_keys_act_as_their_account(client: Client, server: MockServer) -> None:
    created = _create(client)
    other = _client(server, OTHER_ACCOUNT_SID, OTHER_AUTH_TOKEN)
    with pytest.raises(TwilioRestException) as info:
        other.flex_api.v1.interaction(created.sid).fetch()
    assert (info.value.status, info.value.code) == (404, 20404)
    with pytest.raises(TwilioRestException):
        other.flex_api.v1.interaction(created.sid).channels(created.channel["sid"]).update(status="closed")
    keyed = _client(server, DEFAULT_API_KEY_SID, DEFAULT_API_KEY_SECRET, account=server.auth[0])
    assert keyed.flex_api.v1.interaction(created.sid).fetch().sid == created.sid


def test_channel_sid_given_on_create_is_used(client: Client) -> None:
    payload = valid_payload("web", "api")
    payload["Channel"]["sid"] = "UO" + "9" * 32
    created = client.flex_api.v1.interaction.create(
        channel=payload["Channel"], routing={"properties": {"workspace_sid": WS}}
    )
    assert created.channel["sid"] == "UO" + "9" * 32
