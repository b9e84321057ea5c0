"""Safe against a live account: a bounded number of valid writes, and closing what the run created.

On a real Flex account every accepted create becomes a task offered to agents and may message
people. Off loopback the run sends every negative case (the service rejects them) but at most
`max_writes` valid writes unless `--allow-writes`; contact data is fictional (the strategies'
default); at the end each channel the run created is closed (`Status=closed`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from .client import Client
from .report import Exchange


@dataclass
class WriteBudget:
    """How many valid writes may still be sent; `None` is unbounded (mock, loopback, --allow-writes)."""

    limit: int | None
    used: int = 0
    refused: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def take(self) -> bool:
        with self._lock:
            if self.limit is not None and self.used >= self.limit:
                self.refused += 1
                return False
            self.used += 1
            return True


@dataclass
class Ledger:
    """Every interaction (and its channel) the target said it created during the run."""

    interactions: dict[str, str] = field(default_factory=dict)
    """interaction sid -> channel sid."""
    others: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, exchange: Exchange) -> None:
        """Called for every exchange: keep what a 2xx create answered."""
        if not (200 <= exchange.status < 300 and exchange.operation.startswith("Create")):
            return
        body = exchange.json()
        if not isinstance(body, dict) or not isinstance(body.get("sid"), str):
            return
        with self._lock:
            if exchange.operation == "CreateInteraction":
                channel = body.get("channel")
                sid = channel.get("sid") if isinstance(channel, dict) else None
                self.interactions[body["sid"]] = sid if isinstance(sid, str) else ""
            elif len(self.others) < 10_000:
                self.others.append(f"{exchange.operation} {body['sid']}")

    def describe(self) -> list[str]:
        with self._lock:
            return [f"Interaction {k} channel {v}" for k, v in self.interactions.items()] + list(self.others)


def cleanup(client: Client, ledger: Ledger) -> list[str]:
    """Close every channel the run created; one line per channel saying whether it worked."""
    lines = []
    closed = failed = 0
    for interaction, channel in list(ledger.interactions.items()):
        if not channel:
            lines.append(f"Interaction {interaction}: no channel SID in the create response, nothing to close")
            failed += 1
            continue
        exchange = client.send(
            "UpdateInteractionChannel",
            "POST",
            f"/v1/Interactions/{interaction}/Channels/{channel}",
            form={"Status": "closed"},
        )
        if 200 <= exchange.status < 300:
            closed += 1
            lines.append(f"closed channel {channel} of {interaction}")
        elif exchange.status == 404:
            closed += 1
            lines.append(f"channel {channel} of {interaction} is gone (404): nothing left open")
        else:
            failed += 1
            lines.append(f"FAILED to close channel {channel} of {interaction}: HTTP {exchange.status}")
    lines.append(f"clean-up: {closed} channel(s) closed, {failed} failed")
    return lines
