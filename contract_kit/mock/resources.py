"""What each of the 14 operations does to the store, and how resources look on the wire.

Handlers receive a `Call` (account, path parameters, the request data already validated by the
contract, the request's base URL) and return `(status, body)`; they raise `NotFound` for a resource
the account does not have. Rendering builds absolute `url`/`links` from the request's base URL.

Everything these handlers know of the contract comes from its model: the SID prefix of what a
create makes is its operation's `resource_prefix`, the prefix of the channel CreateInteraction makes
is the one its links' targets demand of the parameter they fill from `channel/sid`, and a value of
a free-form body (transfers) is kept only when the operation's response schema accepts it.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlencode

from .. import pointers
from ..contract import Contract, ContractError
from .faults import Faults
from .store import FAILING_SIDS, Channel, Interaction, Invite, Participant, Store, Transfer

DEFAULT_PAGE_SIZE = 50
_TOKEN = re.compile(r"^PT([0-9]{1,18})$")
_CHANNEL_SID = "$response.body#/channel/sid"
"""Where a CreateInteraction answer holds the SID of the channel it made (what its links read)."""


class NotFound(Exception):
    """The account has no such resource (answered 404/20404)."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


@dataclass
class Call:
    operation_id: str
    account: str
    params: Mapping[str, str]
    data: Mapping[str, Any]
    base: str
    weight: int
    faults: Faults
    store: Store
    contract: Contract
    settle_delay: float


Result = tuple[int, dict[str, Any]]
Handler = Callable[[Call], Result]


# -- rendering ------------------------------------------------------------------------------------
def _sid(call: Call, sid: str) -> str:
    return sid[:-1] if "malformed-sid" in call.faults else sid


def interaction_url(call: Call, sid: str) -> str:
    return f"{call.base}/v1/Interactions/{sid}"


def channel_url(call: Call, interaction_sid: str, sid: str) -> str:
    return f"{interaction_url(call, interaction_sid)}/Channels/{sid}"


def render_interaction(call: Call, item: Interaction) -> dict[str, Any]:
    url = interaction_url(call, item.sid)
    body: dict[str, Any] = {
        "sid": _sid(call, item.sid),
        "channel": item.channel,
        "routing": item.routing,
        "url": url,
        "links": {"channels": f"{url}/Channels"},
        "interaction_context_sid": item.interaction_context_sid,
        "webhook_ttid": item.webhook_ttid,
    }
    if "missing-links" in call.faults:
        del body["links"]
    return body


def render_channel(call: Call, item: Channel) -> dict[str, Any]:
    url = channel_url(call, item.interaction_sid, item.sid)
    body: dict[str, Any] = {
        "sid": _sid(call, item.sid),
        "interaction_sid": item.interaction_sid,
        "type": item.type,
        "status": item.status,
        "error_code": item.error_code,
        "error_message": item.error_message,
        "url": url,
        "links": {
            "participants": f"{url}/Participants",
            "invites": f"{url}/Invites",
            "transfers": f"{url}/Transfers",
        },
    }
    if "missing-links" in call.faults:
        del body["links"]
    return body


def render_participant(call: Call, item: Participant) -> dict[str, Any]:
    return {
        "sid": _sid(call, item.sid),
        "type": item.type,
        "interaction_sid": item.interaction_sid,
        "channel_sid": item.channel_sid,
        "url": f"{channel_url(call, item.interaction_sid, item.channel_sid)}/Participants/{item.sid}",
        "routing_properties": item.routing_properties,
        "status": item.status,
    }


def render_invite(call: Call, item: Invite) -> dict[str, Any]:
    return {
        "sid": _sid(call, item.sid),
        "interaction_sid": item.interaction_sid,
        "channel_sid": item.channel_sid,
        "routing": item.routing,
        "url": f"{channel_url(call, item.interaction_sid, item.channel_sid)}/Invites/{item.sid}",
    }


def render_transfer(call: Call, item: Transfer) -> dict[str, Any]:
    return {
        "sid": _sid(call, item.sid),
        "instance_sid": None,
        "account_sid": item.account_sid,
        "interaction_sid": item.interaction_sid,
        "channel_sid": item.channel_sid,
        "execution_sid": None,
        "type": item.type,
        "status": item.status,
        "from": item.from_,
        "to": item.to,
        "note_sid": item.note_sid,
        "summary_sid": item.summary_sid,
        "date_created": item.date_created,
        "date_updated": item.date_updated,
        "url": f"{channel_url(call, item.interaction_sid, item.channel_sid)}/Transfers/{item.sid}",
    }


def page(call: Call, path: str, key: str, items: Sequence[dict[str, Any]]) -> Result:
    """One page of a list, with the vendor's `meta` (absolute URLs; `next_page_url` null at the end)."""
    size = _int(call.data.get("PageSize"), DEFAULT_PAGE_SIZE)
    number = _int(call.data.get("Page"), 0)
    token = call.data.get("PageToken")
    match = _TOKEN.match(token) if isinstance(token, str) else None
    offset = int(match.group(1)) if match else number * size
    if "ignore-page-size" in call.faults:
        size, offset = max(size, len(items)), 0
    chunk = list(items[offset : offset + size])
    root = path if "relative-next-page" in call.faults else call.base + path

    def link(at_page: int, at_offset: int) -> str:
        query = {"PageSize": size, "Page": at_page}
        if at_offset:
            query["PageToken"] = f"PT{at_offset}"  # type: ignore[assignment]
        return f"{root}?{urlencode(query)}"

    meta = {
        "first_page_url": link(0, 0),
        "key": key,
        "next_page_url": link(number + 1, offset + size) if offset + size < len(items) else None,
        "page": number,
        "page_size": size,
        "previous_page_url": link(max(number - 1, 0), max(offset - size, 0)) if offset > 0 else None,
        "url": link(number, offset),
    }
    return 200, {key: chunk, "meta": meta}


def _int(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


# -- lookups --------------------------------------------------------------------------------------
def _interaction(call: Call, sid_param: str) -> Interaction:
    found = call.store.interaction(
        call.account, call.params[sid_param], any_account="cross-account-leak" in call.faults
    )
    if found is None:
        raise NotFound(f"Interaction {call.params[sid_param]}")
    return found


def _channel(call: Call, sid_param: str = "ChannelSid") -> Channel:
    interaction = _interaction(call, "InteractionSid")
    found = interaction.channels.get(call.params[sid_param])
    if found is None:
        raise NotFound(f"Interaction Channel {call.params[sid_param]}")
    if "stuck-in-setup" not in call.faults:
        found.settle(call.settle_delay)
    return found


def _updated(call: Call, record: Any, **changes: Any) -> Any:
    """Apply `changes` to `record`, or (fault ignored-updates) to a copy that is only answered."""
    target = dataclasses.replace(record) if "ignored-updates" in call.faults else record
    for name, value in changes.items():
        setattr(target, name, value)
    return target


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _new_sid(call: Call) -> str:
    """A new SID for what the current operation creates (its `resource_prefix`)."""
    prefix = call.contract.operation(call.operation_id).resource_prefix
    if prefix is None:  # pragma: no cover - the document gives every create a SID pattern
        raise ContractError(f"{call.operation_id} answers no resource with a SID pattern")
    return call.store.new_sid(prefix)


@functools.lru_cache(maxsize=8)
def _channel_prefix(contract: Contract, operation_id: str = "CreateInteraction") -> str:
    """The SID prefix of the channel a create makes: the prefix the operations it links to demand
    of the path parameter they fill from the answer's `channel/sid`."""
    for link in contract.operation(operation_id).links:
        for parameter, expression in link.parameters:
            if expression == _CHANNEL_SID:
                prefix = contract.operation(link.operation_id).sid_prefix(parameter)
                if prefix:
                    return prefix
    raise ContractError(f"no link of {operation_id} says what SID its {_CHANNEL_SID} is")


def _fits(call: Call, member: str, value: Any) -> bool:
    """Whether the operation's success response schema accepts `value` as its `member`."""
    op = call.contract.operation(call.operation_id)
    response = next((r for r in op.responses if r.status in op.success_statuses and r.schema_pointer), None)
    if response is None or response.schema_pointer is None:  # pragma: no cover - every answer has a schema
        return False
    schema = call.contract.deref_pointer(response.schema_pointer)
    check = call.contract.validator(schema + pointers.join("properties", member))
    return bool(check.is_valid(value))


# -- the operations -------------------------------------------------------------------------------
def create_interaction(call: Call) -> Result:
    channel_in = _obj(call.data.get("Channel"))
    routing = call.data.get("Routing")
    interaction_sid = _new_sid(call)
    given = channel_in.get("sid")
    channel_sid = given if isinstance(given, str) and given else call.store.new_sid(_channel_prefix(call.contract))
    workspace = _obj(_obj(routing).get("properties")).get("workspace_sid")
    media = _obj(channel_in.get("properties")).get("media_channel_sid")
    failure = FAILING_SIDS.get(workspace) if isinstance(workspace, str) else None
    if failure is None and isinstance(media, str):
        failure = FAILING_SIDS.get(media)
    context = call.data.get("InteractionContextSid")
    webhook = call.data.get("WebhookTtid")
    item = Interaction(
        sid=interaction_sid,
        account_sid=call.account,
        channel={**channel_in, "sid": channel_sid},
        routing=routing if isinstance(routing, dict) else None,
        interaction_context_sid=context if isinstance(context, str) else None,
        webhook_ttid=webhook if isinstance(webhook, str) else None,
        weight=call.weight,
    )
    item.channels[channel_sid] = Channel(
        channel_sid, interaction_sid, str(channel_in.get("type", "sms")), failure=failure
    )
    if "lost-state" not in call.faults:
        call.store.add(item)
    return 200, render_interaction(call, item)


def fetch_interaction(call: Call) -> Result:
    return 200, render_interaction(call, _interaction(call, "Sid"))


def update_interaction(call: Call) -> Result:
    item = _interaction(call, "Sid")
    if "WebhookTtid" in call.data:
        item = _updated(call, item, webhook_ttid=call.data["WebhookTtid"])
    return 200, render_interaction(call, item)


def list_channels(call: Call) -> Result:
    interaction = _interaction(call, "InteractionSid")
    for channel in interaction.channels.values():
        if "stuck-in-setup" not in call.faults:
            channel.settle(call.settle_delay)
    items = [render_channel(call, c) for c in interaction.channels.values()]
    return page(call, f"/v1/Interactions/{interaction.sid}/Channels", "channels", items)


def fetch_channel(call: Call) -> Result:
    return 200, render_channel(call, _channel(call, "Sid"))


def update_channel(call: Call) -> Result:
    channel = _channel(call, "Sid")
    routing_status = _obj(call.data.get("Routing")).get("status")
    changes: dict[str, Any] = {"status": call.data.get("Status", channel.status)}
    if isinstance(routing_status, str):
        changes["routing_status"] = routing_status
    return 200, render_channel(call, _updated(call, channel, **changes))


def _children_path(call: Call, channel: Channel, kind: str) -> str:
    return f"/v1/Interactions/{channel.interaction_sid}/Channels/{channel.sid}/{kind}"


def list_invites(call: Call) -> Result:
    channel = _channel(call)
    items = [render_invite(call, i) for i in channel.invites.values()]
    return page(call, _children_path(call, channel, "Invites"), "invites", items)


def create_invite(call: Call) -> Result:
    channel = _channel(call)
    routing = call.data.get("Routing")
    routing = routing if isinstance(routing, dict) else None
    invite = Invite(_new_sid(call), channel.interaction_sid, channel.sid, routing)
    call.store.add_child(channel.invites, invite.sid, invite)
    return 200, render_invite(call, invite)


def list_participants(call: Call) -> Result:
    channel = _channel(call)
    items = [render_participant(call, p) for p in channel.participants.values()]
    return page(call, _children_path(call, channel, "Participants"), "participants", items)


def create_participant(call: Call) -> Result:
    channel = _channel(call)
    routing = call.data.get("RoutingProperties")
    participant = Participant(
        sid=_new_sid(call),
        type=str(call.data.get("Type", "unknown")),
        interaction_sid=channel.interaction_sid,
        channel_sid=channel.sid,
        media_properties=call.data.get("MediaProperties"),
        routing_properties=routing if isinstance(routing, dict) else None,
    )
    call.store.add_child(channel.participants, participant.sid, participant)
    return 200, render_participant(call, participant)


def update_participant(call: Call) -> Result:
    channel = _channel(call)
    participant = channel.participants.get(call.params["Sid"])
    if participant is None:
        raise NotFound(f"Interaction Channel Participant {call.params['Sid']}")
    updated = _updated(call, participant, status=call.data.get("Status", participant.status))
    return 200, render_participant(call, updated)


def create_transfer(call: Call) -> Result:
    channel = _channel(call)
    body = call.data
    kind = body.get("type")
    source, target = body.get("from"), body.get("to")
    now = _now()
    transfer = Transfer(
        sid=_new_sid(call),
        account_sid=call.account,
        interaction_sid=channel.interaction_sid,
        channel_sid=channel.sid,
        type=kind if isinstance(kind, str) and _fits(call, "type", kind) else "warm",
        status="active",
        from_=source if isinstance(source, str) and _fits(call, "from", source) else None,
        to=target if isinstance(target, str) else None,
        date_created=now,
        date_updated=now,
    )
    call.store.add_child(channel.transfers, transfer.sid, transfer)
    return 201, render_transfer(call, transfer)


def _transfer(call: Call) -> Transfer:
    channel = _channel(call)
    found = channel.transfers.get(call.params["Sid"])
    if found is None:
        raise NotFound(f"Interaction Transfer {call.params['Sid']}")
    return found


def fetch_transfer(call: Call) -> Result:
    return 200, render_transfer(call, _transfer(call))


def update_transfer(call: Call) -> Result:
    transfer = _transfer(call)
    changes: dict[str, Any] = {"date_updated": _now()}
    for name in ("status", "note_sid", "summary_sid"):
        value = call.data.get(name)
        if isinstance(value, str) and _fits(call, name, value):
            changes[name] = value
    return 200, render_transfer(call, _updated(call, transfer, **changes))


HANDLERS: dict[str, Handler] = {
    "CreateInteraction": create_interaction,
    "FetchInteraction": fetch_interaction,
    "UpdateInteraction": update_interaction,
    "ListInteractionChannel": list_channels,
    "FetchInteractionChannel": fetch_channel,
    "UpdateInteractionChannel": update_channel,
    "ListInteractionChannelInvite": list_invites,
    "CreateInteractionChannelInvite": create_invite,
    "ListInteractionChannelParticipant": list_participants,
    "CreateInteractionChannelParticipant": create_participant,
    "UpdateInteractionChannelParticipant": update_participant,
    "CreateInteractionTransfer": create_transfer,
    "FetchInteractionTransfer": fetch_transfer,
    "UpdateInteractionTransfer": update_transfer,
}
"""operationId -> behaviour. Routes come from the document's paths; an operation the document
declares without a handler here is answered 501 (and a test forbids it)."""
