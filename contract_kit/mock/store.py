"""The mock's state: per-account, in memory, bounded, thread-safe.

Every interaction belongs to the account that created it; lookups name the account, so another
account finds nothing (404). Bounds, so a long run cannot grow without limit:

* at most `max_interactions` interactions per account (default 10,000) and at most `max_bytes`
  of request bodies per account (default 64 MiB, counted as the bodies' lengths): the oldest
  interaction (with its channels, participants, invites and transfers) is evicted first;
* at most `max_children` participants, invites and transfers each per channel (default 1,000),
  oldest first.

Every read and write of the store and of the records it holds happens under `Store.lock`.

Channel life cycle (deterministic): a channel is created in `setup`; the first read of it (a
fetch or a list) at least `settle_delay` seconds after its creation (default 0: the first read)
moves it to `active`, or to `failed` with `error_code`/`error_message` when its interaction was
created with a documented failing SID (see `FAILING_SIDS`).

SIDs are random (uuid4) unless the store is given a `seed`: then every run of the same requests
gets the same SIDs (what `cassettes/record.py` uses to re-record the shipped cassettes byte for byte).
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

MAX_INTERACTIONS = 10_000
MAX_BYTES = 64 * 1024 * 1024
MAX_CHILDREN = 1_000

FAILING_SIDS: dict[str, tuple[int, str]] = {
    "WS00000000000000000000000000000000": (
        20404,
        "TaskRouter Workspace WS00000000000000000000000000000000 was not found",
    ),
    "CH00000000000000000000000000000000": (
        20404,
        "Conversation CH00000000000000000000000000000000 was not found",
    ),
}
"""Valid SIDs whose interaction's channel ends `failed` (Routing.properties.workspace_sid or
Channel.properties.media_channel_sid): error_code and error_message of the failed channel."""


def new_sid(prefix: str) -> str:
    return prefix + uuid.uuid4().hex


@dataclass
class Participant:
    sid: str
    type: str
    interaction_sid: str
    channel_sid: str
    media_properties: Any
    routing_properties: Any
    status: str | None = None


@dataclass
class Invite:
    sid: str
    interaction_sid: str
    channel_sid: str
    routing: Any


@dataclass
class Transfer:
    sid: str
    account_sid: str
    interaction_sid: str
    channel_sid: str
    type: str
    status: str
    from_: str | None
    to: str | None
    note_sid: str | None = None
    summary_sid: str | None = None
    date_created: str = ""
    date_updated: str = ""


@dataclass
class Channel:
    sid: str
    interaction_sid: str
    type: str
    status: str = "setup"
    created_at: float = field(default_factory=time.monotonic)
    failure: tuple[int, str] | None = None
    error_code: int | None = None
    error_message: str | None = None
    routing_status: str | None = None
    participants: OrderedDict[str, Participant] = field(default_factory=OrderedDict)
    invites: OrderedDict[str, Invite] = field(default_factory=OrderedDict)
    transfers: OrderedDict[str, Transfer] = field(default_factory=OrderedDict)

    def settle(self, delay: float, now: float | None = None) -> None:
        """Leave `setup` on a read at least `delay` seconds after creation."""
        if self.status != "setup":
            return
        if (now if now is not None else time.monotonic()) - self.created_at < delay:
            return
        if self.failure is None:
            self.status = "active"
        else:
            self.status = "failed"
            self.error_code, self.error_message = self.failure


@dataclass
class Interaction:
    sid: str
    account_sid: str
    channel: dict[str, Any]
    routing: Any
    interaction_context_sid: str | None
    webhook_ttid: str | None
    channels: OrderedDict[str, Channel] = field(default_factory=OrderedDict)
    weight: int = 0


class Store:
    """Interactions by account, bounded (see the module's docstring)."""

    def __init__(
        self,
        *,
        max_interactions: int = MAX_INTERACTIONS,
        max_bytes: int = MAX_BYTES,
        max_children: int = MAX_CHILDREN,
        seed: int | None = None,
    ) -> None:
        self.max_interactions = max_interactions
        self.max_bytes = max_bytes
        self.max_children = max_children
        self.lock = threading.RLock()
        self._accounts: dict[str, OrderedDict[str, Interaction]] = {}
        self._bytes: dict[str, int] = {}
        self.evicted = 0
        self._random = random.Random(seed) if seed is not None else None

    def new_sid(self, prefix: str) -> str:
        """A new SID: random (uuid4), or from a seeded sequence when the store was given `seed`,
        so that a scripted scenario gets the same SIDs on every run (recorded cassettes)."""
        if self._random is None:
            return new_sid(prefix)
        with self.lock:
            return f"{prefix}{self._random.getrandbits(128):032x}"

    def add(self, interaction: Interaction) -> None:
        with self.lock:
            account = interaction.account_sid
            items = self._accounts.setdefault(account, OrderedDict())
            items[interaction.sid] = interaction
            self._bytes[account] = self._bytes.get(account, 0) + interaction.weight
            while len(items) > 1 and (len(items) > self.max_interactions or self._bytes[account] > self.max_bytes):
                _, old = items.popitem(last=False)
                self._bytes[account] -= old.weight
                self.evicted += 1

    def interaction(self, account: str, sid: str, *, any_account: bool = False) -> Interaction | None:
        with self.lock:
            items = self._accounts.get(account)
            found = items.get(sid) if items is not None else None
            if found is None and any_account:
                for items in self._accounts.values():
                    if sid in items:
                        return items[sid]
            return found

    def channel(
        self, account: str, interaction_sid: str, channel_sid: str, *, any_account: bool = False
    ) -> Channel | None:
        with self.lock:
            interaction = self.interaction(account, interaction_sid, any_account=any_account)
            return None if interaction is None else interaction.channels.get(channel_sid)

    def add_child(self, children: OrderedDict[str, Any], sid: str, record: Any) -> None:
        """Add a participant, invite or transfer to its channel's collection, oldest evicted."""
        with self.lock:
            children[sid] = record
            while len(children) > self.max_children:
                children.popitem(last=False)

    def count(self, account: str | None = None) -> int:
        """Interactions held, for one account or all."""
        with self.lock:
            if account is not None:
                return len(self._accounts.get(account, {}))
            return sum(len(items) for items in self._accounts.values())

    def clear(self) -> None:
        with self.lock:
            self._accounts.clear()
            self._bytes.clear()
