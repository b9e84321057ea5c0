"""Stateful properties one exchange cannot show: set-up, create == fetch, channels settle, updates
are visible, credentials are required, accounts are isolated.

Each scenario runs only when the operations it judges are among the selected ones; the set-up
sends the creates those operations need (`sender.setup_plan`), and nothing else.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..contract import Contract, Operation
from .report import Exchange
from .sender import Job, Sender, done, setup_plan

SETUP_PINS: dict[str, dict[str, str]] = {"CreateInteraction": {"channel_type": "sms", "initiated_by": "api"}}
"""Pins of the set-up's first create: an API-initiated SMS interaction needs nothing else of the account."""
SETUP_COPIES = 2
"""Resources the set-up creates of a kind whose list is tested: two, so that a list page of
PageSize=1 has a next page (`page_size_honoured`)."""


def setup_writes(contract: Contract, selected: frozenset[str]) -> int:
    """Valid writes the set-up sends for `selected` (a full run: an interaction, two participants,
    a transfer): off loopback the budget keeps them for the stateful checks before Schemathesis'
    examples get any."""
    return sum(copies(contract, selected, op) for op in setup_plan(contract, selected))


def copies(contract: Contract, selected: frozenset[str], create: Operation) -> int:
    """How many resources the set-up creates with `create`: two when their list is tested."""
    listed = any(op.method == "GET" and op.path == create.path and op.operation_id in selected
                 for op in contract.operations.values())
    return SETUP_COPIES if listed else 1
SETTLE_POLL_SECONDS = 0.1
"""First pause between two reads of a channel in `setup`; the pause grows, up to a second."""


@dataclass
class Scenarios:
    sender: Sender
    draw_valid: Callable[..., Any]
    """Draws one valid wire payload of an operation (`Targeted.draw_valid`)."""
    settle_timeout: float = 10.0
    notes: list[str] = field(default_factory=list)

    def setup(self) -> None:
        """Create what the selected operations need, checking create == fetch on the way: the first
        create (no path parameters), then each child create the plan names, in document order."""
        sender = self.sender
        plan = setup_plan(sender.contract, sender.selected)
        if not plan:
            return
        first, children = plan[0], plan[1:]
        created = sender.send(first.operation_id, self.draw_valid(first.operation_id,
                                                                  **SETUP_PINS.get(first.operation_id, {})),
                              valid_write=True, setup=True)
        if created is None or not 200 <= created.status < 300:
            self.notes.append(f"could not create the resource the selected operations need ({first.operation_id}); "
                              "the stateful checks were skipped")
            return
        sender.resources.learn(sender.contract, first, created)
        if sender.wanted("FetchInteraction"):
            self.create_equals_fetch(created, sender.send("FetchInteraction"))
        if sender.wanted("FetchInteractionChannel"):
            self.channel_settles()
        for op in children:
            for _ in range(copies(sender.contract, sender.selected, op)):
                sender.resources.learn(sender.contract, op,
                                       sender.send(op.operation_id, self._payload(op), valid_write=True, setup=True))
        for name in ("ListInteractionChannel", "ListInteractionChannelParticipant", "ListInteractionChannelInvite",
                     "FetchInteractionChannel", "FetchInteractionTransfer"):
            if sender.wanted(name):
                sender.send(name, {"PageSize": "1"} if name.startswith("List") else None)

    def _payload(self, op: Operation) -> Any:
        """A valid payload; an optional JSON body is sent empty (`{}`), the least a create can ask."""
        if op.is_json_body and not op.body_required:
            return "{}"
        return self.draw_valid(op.operation_id)

    def create_equals_fetch(self, created: Exchange, fetched: Exchange | None) -> None:
        """Defends "what a create returns is what a fetch returns"."""
        if fetched is None:
            return
        before, after = created.json(), fetched.json()
        if fetched.status != 200 or not isinstance(after, dict) or not isinstance(before, dict):
            sid = before.get("sid") if isinstance(before, dict) else "?"
            self.sender.finding("create_equals_fetch", fetched,
                                f"fetching the interaction just created ({sid}) got HTTP {fetched.status}")
            return
        keys = ("sid", "url", "interaction_context_sid", "webhook_ttid")
        diff = [k for k in keys if before.get(k) != after.get(k)]
        b_channel, a_channel = before.get("channel") or {}, after.get("channel") or {}
        if isinstance(b_channel, dict) and isinstance(a_channel, dict):
            diff += [f"channel.{k}" for k in ("sid", "type") if b_channel.get(k) != a_channel.get(k)]
        if diff:
            self.sender.finding("create_equals_fetch", fetched, f"fetch differs from create in {', '.join(diff)}")
        else:
            self.sender.passed("create_equals_fetch")

    def channel_settles(self) -> None:
        """Defends the channel life cycle: created in `setup`, then `active` or `failed` — within
        `settle_timeout` seconds (a real service settles asynchronously)."""
        deadline = time.monotonic() + self.settle_timeout
        pause = SETTLE_POLL_SECONDS
        while True:
            last = self.sender.send("FetchInteractionChannel")
            body = last.json() if last is not None else None
            if last is None or not isinstance(body, dict):
                return
            if body.get("status") != "setup":
                self.sender.passed("channel_settles")
                return
            if time.monotonic() + pause > deadline:
                break
            time.sleep(pause)
            pause = min(pause * 2, 1.0)
        self.sender.finding("channel_settles", last, f"the channel is still in `setup` {self.settle_timeout:g} s after "
                            "creation; it must become `active` or `failed` (run --settle-timeout waits longer)")

    def auth_scenarios(self) -> list[Job]:
        """Defends "an account's resources are not visible without valid credentials"."""
        sender = self.sender
        if not sender.wanted("FetchInteraction") or not sender.ready("FetchInteraction"):
            return []
        creds = sender.client.target.credentials
        wrong = (creds.username, "wrong-secret") if creds else ()
        jobs = [self._without_access(label, auth)
                for label, auth in (("no credentials", ()), ("a wrong secret", wrong))]
        other = sender.client.target.other_account
        if other is None:
            self.notes.append("account isolation not checked: set CONTRACT_KIT_OTHER_ACCOUNT_SID and "
                              "CONTRACT_KIT_OTHER_AUTH_TOKEN (a second account) to check it")
            return jobs

        def isolation() -> Callable[[], None]:
            exchange = sender.send("FetchInteraction", auth=other)
            if exchange is None:
                return done
            if exchange.status != 404:
                sender.finding("account_isolation", exchange,
                               f"another account fetching this account's interaction got HTTP {exchange.status}, "
                               "expected 404")
            else:
                sender.passed("account_isolation")
            return done

        return [*jobs, isolation]

    def _without_access(self, label: str, auth: Any) -> Job:
        def job() -> Callable[[], None]:
            exchange = self.sender.send("FetchInteraction", auth=auth)
            if exchange is None:
                return done
            if exchange.status != 401:
                self.sender.finding("auth_required", exchange,
                                    f"fetching an interaction with {label} got HTTP {exchange.status}, expected 401")
            else:
                self.sender.passed("auth_required")
            return done

        return job

    def updates(self, seed: int) -> None:
        """Defends "an update is visible on fetch" (interaction, transfer, then the channel closed)."""
        sender = self.sender
        for update, fetch, payload, key, value, field_name in (
            ("UpdateInteraction", "FetchInteraction", {"WebhookTtid": f"contract-kit-{seed}"}, "webhook_ttid",
             f"contract-kit-{seed}", "WebhookTtid"),
            ("UpdateInteractionTransfer", "FetchInteractionTransfer", json.dumps({"status": "completed"}), "status",
             "completed", "status"),
            ("UpdateInteractionChannel", "FetchInteractionChannel", {"Status": "closed"}, "status", "closed", "Status"),
        ):
            if not (sender.wanted(update) and sender.wanted(fetch) and sender.ready(update)):
                continue
            updated = sender.send(update, payload, valid_write=True)
            if updated is not None and updated.status == 200:
                self._visible(sender.send(fetch), key, value, field_name)

    def _visible(self, fetched: Exchange | None, key: str, value: str, field_name: str) -> None:
        if fetched is None:
            return
        body = fetched.json()
        seen = body.get(key) if isinstance(body, dict) else None
        if seen != value:
            self.sender.finding("update_visible", fetched,
                                f"after updating {field_name} to {value!r}, a fetch shows {key}={seen!r}")
        else:
            self.sender.passed("update_visible")
