"""Safe against a live account: a bounded number of valid writes, and closing what the run created.

On a real Flex account every accepted create becomes a task offered to agents and may message
people. Off loopback the run sends every negative case (the service rejects them) but at most
`max_writes` valid writes unless `--allow-writes`; contact data is fictional (the strategies'
default); at the end each channel the run created is closed (`Status=closed`).

`WriteGuard` is the safety net under Schemathesis off loopback: it judges every case generated
for a write operation with the FULL contract before it is sent, and a case the contract accepts
(a real write, if sent) never goes out unless the write budget admits it.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

from ..contract import Operation
from ..validate import validate_request
from . import serializers
from .checks import CheckEnv
from .client import Client
from .report import Exchange

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass
class WriteBudget:
    """How many valid writes may still be sent; `None` is unbounded (mock, loopback, --allow-writes)."""

    limit: int | None
    used: int = 0
    refused: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def take(self, reserve: int = 0) -> bool:
        """Spend one valid write; `reserve` writes must stay available afterwards for someone else."""
        with self._lock:
            if self.limit is not None and self.used + reserve >= self.limit:
                self.refused += 1
                return False
            self.used += 1
            return True


class UnsafeWriteRefused(Exception):
    """The safety net refused to send a request the contract accepts to a write operation."""


@dataclass
class WriteGuard:
    """Off loopback, what stands between Schemathesis and the live account's write operations.

    Schemathesis generates from a looser copy of the contract (`document`), and its coverage
    phase sends positive cases whatever the configured mode, so "negative mode" alone does not
    keep valid writes away. The guard judges each case aimed at a write operation with the full
    contract (`validate_request`, the same verdict as `contract_verdict`):

    * `keep` (Schemathesis' `filter_case` hook: coverage, fuzzing and stateful phases) drops it;
    * `admit_examples` (`before_add_examples`: the examples phase, where `filter_case` does not
      run) lets it through only while the write budget has room beyond `reserve` (the valid
      writes the targeted part needs for its stateful checks), and drops the rest;
    * `before_call` (a global `before_call` hook, the last step before Schemathesis sends a case)
      refuses, by raising, any such case the two above did not admit.
    """

    env: CheckEnv
    budget: WriteBudget
    reserve: int = 0
    dropped: int = 0
    """Generated cases the full contract accepts, never sent (coverage, fuzzing, stateful)."""
    skipped_examples: int = 0
    """Valid examples not sent: the budget had no room for them."""
    refused: int = 0
    """Valid writes stopped at the last step (`before_call`); 0 unless the filters were bypassed."""
    _admitted: dict[int, Any] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def accepted_write(self, case: Any) -> Operation | None:
        """The write operation `case` targets when the full contract accepts its body (else None).

        A body the guard cannot serialize counts as accepted: when in doubt, it is a write."""
        op = self.env.contract.operation_for(str(case.method), str(case.path))
        if op is None or op.method not in WRITE_METHODS:
            return None
        try:
            body = wire_body(case, op)
        except (TypeError, ValueError):
            return op
        report = validate_request(op, body=body, content_type=op.media_type, contract=self.env.contract)
        return op if report.valid else None

    def keep(self, case: Any) -> bool:
        if self.accepted_write(case) is None:
            return True
        with self._lock:
            self.dropped += 1
        return False

    def admit_examples(self, examples: list[Any]) -> None:
        """Keep, in place, the examples that are not valid writes and the valid ones the budget admits."""
        kept = []
        for case in examples:
            if self.accepted_write(case) is None:
                kept.append(case)
            elif self.budget.take(reserve=self.reserve):
                with self._lock:
                    self._admitted[id(case)] = case  # the case itself is kept alive, so its id stays its own
                kept.append(case)
            else:
                with self._lock:
                    self.skipped_examples += 1
        examples[:] = kept

    def before_call(self, case: Any) -> None:
        with self._lock:
            if id(case) in self._admitted:
                return
        op = self.accepted_write(case)
        if op is None:
            return
        with self._lock:
            self.refused += 1
        raise UnsafeWriteRefused(
            f"contract-kit safety net: not sending a request to {op.operation_id} that the contract accepts "
            "(a real write) beyond the write budget"
        )

    def notes(self) -> list[str]:
        lines = []
        if self.dropped:
            lines.append(f"safety net: {self.dropped} generated write case(s) the contract accepts were dropped "
                         "before sending (off loopback Schemathesis sends only negative writes)")
        if self.skipped_examples:
            lines.append(f"safety net: {self.skipped_examples} valid write example(s) not sent: the write budget "
                         f"keeps {self.reserve} write(s) for the stateful checks")
        if self.refused:
            lines.append(f"safety net: {self.refused} valid write(s) refused at the last step before sending")
        return lines


def wire_body(case: Any, op: Operation) -> bytes:
    """The body Schemathesis sends for `case` (our form serializer, or JSON text)."""
    from schemathesis.core import NotSet

    body = case.body
    if isinstance(body, NotSet):
        return b""
    media = str(getattr(case, "media_type", None) or op.media_type or "")
    if "json" not in media:
        return serializers.form_body(body, op)
    if isinstance(body, (bytes, bytearray)):
        return bytes(body)
    if isinstance(body, str):
        return body.encode("utf-8")
    return json.dumps(body).encode("utf-8")


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
