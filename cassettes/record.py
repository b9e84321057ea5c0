"""Re-record the shipped regression cassettes, byte for byte the same on every run.

    python cassettes/record.py                 # every cassette, into this folder
    python cassettes/record.py sms-agent       # some of them
    python cassettes/record.py --out /tmp/c    # elsewhere

Each cassette is a scenario driven with the vendor's `twilio` client against the embedded mock
(`contract_kit.mock.MockServer`): one per channel type x initiated_by cell that the contract allows
(create, fetch, update WebhookTtid, list channels, add and update a participant, create and list
invites, close the channel), and `invalid-requests` (requests the contract rejects: 400 / 20001
naming the rule, and a 404). What makes a re-recording identical:

* the mock's SIDs come from a seed (`Store(seed=...)`, one seed per cassette name);
* the mock's loopback URL (a free port) is recorded as the vendor's, `https://flex-api.twilio.com`,
  in URLs and bodies, so the cassettes replay with the client's default base URL;
* only the request headers `Accept` and `Content-Type` are kept (the client's User-Agent names
  the platform), and the response headers `Date` and `Server` are dropped.

Credentials never reach a cassette (`contract_kit.cassettes.flex_vcr` scrubs them); each scenario
checks what it gets back, so recording and replaying both verify it. `tests/test_cassettes.py`
replays every cassette with no server running.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parent / "examples" / "payloads"
STABLE_BASE_URL = "https://flex-api.twilio.com"
TYPES = ("sms", "whatsapp", "web", "chat", "email", "messenger", "gbm")
INITIATED_BY = ("customer", "agent", "api")
CELLS = [(kind, initiated_by) for kind in TYPES for initiated_by in INITIATED_BY]
INVALID = "invalid-requests"
NAMES = [f"{kind}-{initiated_by}" for kind, initiated_by in CELLS] + [INVALID]
_KEEP_REQUEST_HEADERS = ("accept", "content-type")
_DROP_RESPONSE_HEADERS = ("date", "server")

WEBHOOK_TTID = "flex_interactionwebhook_00000000000000000001"
AGENT = {"type": "agent", "media_properties": {"identity": "agent-0001"}}


def _example(path: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EXAMPLES / path).read_text(encoding="utf-8"))
    return loaded


# -- scenarios ------------------------------------------------------------------------------------
def run_cell(client: Any, kind: str, initiated_by: str) -> dict[str, str]:
    """The life of one interaction of a cell; checks every answer, returns the SIDs it saw."""
    payload = _example(f"valid/{kind}-{initiated_by}.json")
    interactions = client.flex_api.v1.interaction
    created = interactions.create(channel=payload["Channel"], routing=payload["Routing"])
    _expect(created.sid.startswith("KD") and created.channel["type"] == kind, "create", created.sid)
    interaction = interactions(created.sid)
    fetched = interaction.fetch()
    _expect(fetched.sid == created.sid and fetched.channel == created.channel, "fetch", fetched.sid)
    updated = interaction.update(webhook_ttid=WEBHOOK_TTID)
    _expect(updated.webhook_ttid == WEBHOOK_TTID, "update WebhookTtid", updated.webhook_ttid)
    channel_sid = created.channel["sid"]
    listed = interaction.channels.list()
    _expect([c.sid for c in listed] == [channel_sid], "list channels", [c.sid for c in listed])
    _expect(listed[0].status == "active" and listed[0].type == kind, "channel settles", listed[0].status)
    channel = interaction.channels(channel_sid)
    routing_properties = {"worker_sid": payload["Routing"]["properties"].get("worker_sid", "WK" + "3" * 32)}
    participant = channel.participants.create(**AGENT, routing_properties=routing_properties)
    _expect(participant.sid.startswith("UT") and participant.type == "agent", "add participant", participant.sid)
    wrapped = channel.participants(participant.sid).update(status="wrapup")
    _expect(wrapped.sid == participant.sid, "update participant", wrapped.sid)
    invite = channel.invites.create(routing=_example("CreateInteractionChannelInvite/valid.json")["Routing"])
    _expect(invite.sid.startswith("KG"), "create invite", invite.sid)
    invites = [i.sid for i in channel.invites.list()]
    _expect(invites == [invite.sid], "list invites", invites)
    closed = channel.update(status="closed")
    _expect(closed.status == "closed", "close channel", closed.status)
    refetched = interaction.fetch()  # so that a replay shows whether the update took (`cassettes replay`)
    _expect(refetched.webhook_ttid == WEBHOOK_TTID, "update visible on fetch", refetched.webhook_ttid)
    return {"interaction": created.sid, "channel": channel_sid, "participant": participant.sid, "invite": invite.sid}


def run_invalid(client: Any) -> list[tuple[str, int, int]]:
    """Requests the contract rejects (and an unknown SID): each must fail as Flex fails."""
    rest_error: Any = importlib.import_module("twilio.base.exceptions").TwilioRestException  # no stubs

    interactions = client.flex_api.v1.interaction
    customer_sms = _example("valid/sms-customer.json")
    del customer_sms["Channel"]["properties"]["media_channel_sid"]
    agent_email = _example("valid/email-agent.json")
    del agent_email["Channel"]["properties"]["from"]
    valid = _example("valid/chat-api.json")
    created = interactions.create(channel=valid["Channel"], routing=valid["Routing"])
    channel = interactions(created.sid).channels(created.channel["sid"])
    attempts: list[tuple[str, int, Callable[[], Any]]] = [
        ("customer.media_channel_sid", 400, lambda: interactions.create(**_sdk(customer_sms))),
        ("email.from", 400, lambda: interactions.create(**_sdk(agent_email))),
        ("routing.required", 400, lambda: interactions.create(channel=valid["Channel"])),
        ("channel_update.inactive_routing", 400, lambda: channel.update(status="inactive")),
        ("participant_create.type", 400, lambda: channel.participants.create(type="bot", media_properties={})),
        ("not found", 404, lambda: interactions("KD" + "0" * 32).fetch()),
    ]
    seen = []
    for what, status, attempt in attempts:
        try:
            attempt()
        except rest_error as exc:
            _expect(exc.status == status, f"{what}: status", exc.status)
            _expect(what in str(exc.msg) or status == 404, f"{what}: the message names the rule", exc.msg)
            seen.append((what, exc.status, exc.code))
        else:
            raise AssertionError(f"{what}: the request was accepted")
    return seen


def run(client: Any, name: str) -> Any:
    """The scenario of the cassette `name`."""
    if name == INVALID:
        return run_invalid(client)
    kind, _, initiated_by = name.partition("-")
    return run_cell(client, kind, initiated_by)


def _sdk(payload: dict[str, Any]) -> dict[str, Any]:
    return {"channel": payload["Channel"], "routing": payload["Routing"]}


def _expect(ok: bool, what: str, got: Any) -> None:
    if not ok:
        raise AssertionError(f"{what}: unexpected answer {got!r}")


# -- recording ------------------------------------------------------------------------------------
def seed_for(name: str) -> int:
    return zlib.crc32(name.encode("utf-8"))


def stable_hooks(live_base_url: str) -> tuple[Callable[[Any], Any], Callable[[dict[str, Any]], Any]]:
    """vcrpy hooks recording `live_base_url` as `STABLE_BASE_URL`, without volatile headers."""
    live = live_base_url.encode()
    stable = STABLE_BASE_URL.encode()

    def request(req: Any) -> Any:
        req.uri = req.uri.replace(live_base_url, STABLE_BASE_URL)
        for name in list(req.headers):
            if name.lower() not in _KEEP_REQUEST_HEADERS:
                del req.headers[name]
        return req

    def response(resp: dict[str, Any]) -> dict[str, Any]:
        body = resp["body"]["string"].replace(live, stable)
        resp["body"]["string"] = body
        headers = {k: v for k, v in resp["headers"].items() if k.lower() not in _DROP_RESPONSE_HEADERS}
        for key in headers:
            if key.lower() == "content-length":
                headers[key] = [str(len(body))]
        resp["headers"] = headers
        return resp

    return request, response


def record(out_dir: Path, names: Iterable[str] = NAMES, *, accounts: Any = None) -> list[Path]:
    """Record the cassettes `names` into `out_dir`, replacing them; their paths."""
    from contract_kit.cassettes import cassette_path, flex_vcr
    from contract_kit.mock import MockServer, Store
    from contract_kit.twilio_client import twilio_client

    written = []
    for name in names:
        path = cassette_path(out_dir, name)
        path.unlink(missing_ok=True)
        with MockServer(store=Store(seed=seed_for(name)), accounts=accounts) as server:
            request_hook, response_hook = stable_hooks(server.url)
            vcr = flex_vcr(
                out_dir,
                record_mode="all",
                secrets=[server.credential.secret],
                before_record_request=[request_hook],
                before_record_response=[response_hook],
            )
            with vcr.use_cassette(name):
                run(twilio_client(server.url, *server.auth), name)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"cassettes to record (default: all {len(NAMES)})")
    parser.add_argument("--out", type=Path, default=HERE, help="folder to write them to (default: this one)")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - set(NAMES))
    if unknown:
        parser.error(f"unknown cassette(s) {', '.join(unknown)}; known: {', '.join(NAMES)}")
    for path in record(args.out, args.names or NAMES):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
