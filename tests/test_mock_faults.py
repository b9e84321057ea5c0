"""Every fault in the catalogue is observable over HTTP: a small contract scenario, run in process
(ASGI transport), finds nothing wrong with the healthy mock and something wrong with each fault."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest
from click.testing import CliRunner
from mock_support import ROUTING, ResponseChecker, ResponseRecorder, valid_payload

from contract_kit.commands.mock import mock_command
from contract_kit.mock import (
    CATALOGUE,
    OTHER_ACCOUNT_SID,
    OTHER_AUTH_TOKEN,
    Faults,
    UnknownFaultError,
    create_app,
    in_process_client,
)
from contract_kit.wire import encode_form

_JSON_FIELDS = ["Channel", "Routing"]


async def _scenario(faults: list[str], *, lenient: bool = False) -> list[str]:
    """What a contract suite would report against a mock with `faults` switched on."""
    recorder = ResponseRecorder(create_app(faults=faults, lenient=lenient))
    found: list[str] = []

    def expect(ok: bool, what: str) -> None:
        if not ok:
            found.append(what)

    async with in_process_client(recorder) as http:  # type: ignore[arg-type]
        created: list[httpx.Response] = []
        for kind, initiated_by in (("sms", "customer"), ("email", "api"), ("chat", "agent")):
            response = await http.post(
                "/v1/Interactions", data=encode_form(valid_payload(kind, initiated_by), _JSON_FIELDS)
            )
            expect(response.status_code in (200, 201), f"valid {kind}/{initiated_by} create -> {response.status_code}")
            created.append(response)
        invalid = valid_payload("sms", "customer")
        del invalid["Channel"]["properties"]["media_channel_sid"]
        response = await http.post("/v1/Interactions", data=encode_form(invalid, _JSON_FIELDS))
        expect(response.status_code == 400, f"invalid create -> {response.status_code}")
        response = await http.post(
            "/v1/Interactions", content=b"Channel=\xff", headers={"Content-Type": "application/x-www-form-urlencoded"}
        )
        expect(response.status_code == 400, f"junk body -> {response.status_code}")
        try:
            body = created[0].json()
            sid, channel_sid = body["sid"], body["channel"]["sid"]
        except (ValueError, KeyError):
            return [*found, "create answered no usable body", *_problems(recorder)]
        response = await http.get(f"/v1/Interactions/{sid}")
        expect(response.status_code == 200, f"fetch after create -> {response.status_code}")
        response = await http.post(f"/v1/Interactions/{sid}", data={"WebhookTtid": "ttid-2"})
        response = await http.get(f"/v1/Interactions/{sid}")
        expect(response.status_code == 200 and response.json().get("webhook_ttid") == "ttid-2", "update not kept")
        channel = await http.get(f"/v1/Interactions/{sid}/Channels/{channel_sid}")
        deadline = time.monotonic() + 5  # the lenient mock settles channels asynchronously
        while channel.status_code == 200 and channel.json().get("status") == "setup" and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
            channel = await http.get(f"/v1/Interactions/{sid}/Channels/{channel_sid}")
        expect(channel.status_code == 200 and channel.json().get("status") == "active", "channel did not settle")
        invites = f"/v1/Interactions/{sid}/Channels/{channel_sid}/Invites"
        for _ in range(3):
            await http.post(
                invites,
                data={"Routing": json.dumps(ROUTING)},
            )
        url, pages = f"{invites}?PageSize=1", 0
        while url and pages < 5:
            response = await http.get(url)
            pages += 1
            if response.status_code != 200:
                break
            listed = response.json()
            expect(len(listed.get("invites", [])) <= 1, "page larger than PageSize")
            url = listed.get("meta", {}).get("next_page_url")
            expect(url is None or url.startswith("http://"), "next_page_url is not absolute")
        response = await http.get(f"/v1/Interactions/{sid}/Channels?PageSize=1000")
        expect(response.status_code == 200, f"PageSize=1000 -> {response.status_code}")
        response = await http.get("/v1/Interactions/KD" + "f" * 32)
        expect(response.status_code == 404, f"unknown interaction -> {response.status_code}")
        response = await http.get(f"/v1/Interactions/{sid}", auth=("AC" + "0" * 32, "wrong"))
        expect(response.status_code == 401, f"wrong credentials -> {response.status_code}")
        response = await http.get(f"/v1/Interactions/{sid}", auth=(OTHER_ACCOUNT_SID, OTHER_AUTH_TOKEN))
        expect(response.status_code == 404, f"other account's fetch -> {response.status_code}")
    return found + _problems(recorder)


def _problems(recorder: ResponseRecorder) -> list[str]:
    checker = ResponseChecker()
    return [p for seen in recorder.seen for p in checker.problems(seen)]


def test_the_catalogue_has_at_least_12_described_faults() -> None:
    assert len(CATALOGUE) >= 12
    for fault in CATALOGUE.values():
        assert fault.description and fault.detection


@pytest.mark.parametrize("lenient", [False, True], ids=["strict", "lenient"])
def test_the_healthy_mock_passes_the_scenario(lenient: bool) -> None:
    assert asyncio.run(_scenario([], lenient=lenient)) == []


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_each_fault_is_caught(name: str) -> None:
    problems = asyncio.run(_scenario([name]))
    assert problems, f"fault {name} went unnoticed"


def test_fault_arguments_and_unknown_faults() -> None:
    faults = Faults(["accept-rule:channel.type", "reject-cell"])
    assert faults.argument("accept-rule") == "channel.type" and faults.argument("reject-cell") == "email/api"
    with pytest.raises(UnknownFaultError, match="known faults"):
        Faults(["no-such-fault"])


def test_accept_rule_takes_the_rule_it_is_given() -> None:
    async def create(faults: list[str]) -> int:
        payload = valid_payload("sms", "api")
        payload["Channel"]["type"] = "fax"
        async with in_process_client(create_app(faults=faults)) as http:
            return (await http.post("/v1/Interactions", data=encode_form(payload, _JSON_FIELDS))).status_code

    assert asyncio.run(create(["accept-rule:channel.type"])) == 200
    assert asyncio.run(create(["accept-rule"])) == 400


def test_cli_lists_faults_and_refuses_unknown_ones() -> None:
    listed = CliRunner().invoke(mock_command, ["--list-faults"])
    assert listed.exit_code == 0
    for name in CATALOGUE:
        assert name in listed.output
    refused = CliRunner().invoke(mock_command, ["--fault", "nope"])
    assert refused.exit_code != 0 and "unknown fault" in refused.output
    refused = CliRunner().invoke(mock_command, ["--account", "ACnope:tok"])
    assert refused.exit_code != 0 and "ACCOUNT_SID:TOKEN" in refused.output


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"WebhookTtid=a&WebhookTtid=b", 500),  # a field sent twice: malformed
        (b"WebhookTtid=%FF", 500),  # not UTF-8
        (b"WebhookTtid=a&Foo=1", 200),  # well-formed; a field the operation does not name is no junk
        (b"WebhookTtid=a", 200),
    ],
)
def test_crash_on_junk_crashes_on_malformed_bodies_only(body: bytes, status: int) -> None:
    async def scenario() -> int:
        async with in_process_client(faults=["crash-on-junk"], lenient=True) as http:
            form = encode_form(valid_payload("sms", "api"), _JSON_FIELDS)
            sid = (await http.post("/v1/Interactions", data=form)).json()["sid"]
            headers = {"Content-Type": "application/x-www-form-urlencoded"}
            return (await http.post(f"/v1/Interactions/{sid}", content=body, headers=headers)).status_code

    assert asyncio.run(scenario()) == status


def test_in_process_client_passes_lenient() -> None:
    async def update(lenient: bool) -> int:
        async with in_process_client(lenient=lenient) as http:
            form = encode_form(valid_payload("sms", "api"), _JSON_FIELDS)
            sid = (await http.post("/v1/Interactions", data=form)).json()["sid"]
            return (await http.post(f"/v1/Interactions/{sid}", data={"WebhookTtid": "a", "Foo": "1"})).status_code

    assert (asyncio.run(update(True)), asyncio.run(update(False))) == (200, 400)
