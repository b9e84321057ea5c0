"""How the targeted part sends a request: the payload on the wire, the path from the run's
resources, the write budget, the run's scope, and our checks on the exchange.

Scope: a run sends requests only to the operations the user selected (`--operation-id`), with
one exception, set-up: a create a selected operation cannot do without (a fetch needs the
resource a create makes). Set-up requests count against the write budget like any write, are
recorded for clean-up and counted for the summary, and no check runs on them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from ..contract import Contract, Operation
from ..validate import validate_request
from .checks import CheckEnv
from .client import Client
from .report import Exchange, Finding
from .safety import WRITE_METHODS, WriteBudget

Finish = Callable[[], None]
Job = Callable[[], Finish]
"""An independent piece of work: sends its requests (on any thread) and returns what records its
outcome (run on the calling thread, in the order the jobs were planned)."""


def done() -> None:
    """The `Finish` of a job with nothing to record."""
    return None


class OutOfScopeError(RuntimeError):
    """A request to an operation the run was not asked to test (a defect of the run, not the server)."""


@dataclass
class Resources:
    """SIDs the run created, by the SID prefix the document's patterns give them."""

    by_prefix: dict[str, str] = field(default_factory=dict)

    def learn(self, contract: Contract, op: Operation, exchange: Exchange | None) -> None:
        """Keep the SIDs a successful create returns: those its response links carry (each under the
        prefix the linked parameter demands) and its own `sid` (under `resource_prefix`). The first
        SID of a prefix is kept."""
        if exchange is None or not 200 <= exchange.status < 300:
            return
        body = exchange.json()
        if not isinstance(body, dict):
            return
        found: list[tuple[str | None, str]] = []
        if isinstance(body.get("sid"), str) and body["sid"]:
            found.append((op.resource_prefix, body["sid"]))
        response = op.response(exchange.status)
        for link in response.links if response is not None else op.links:
            target = contract.operations.get(link.operation_id)
            if target is not None:
                found += [(target.sid_prefix(name), value) for name, value in link.values(body).items()]
        for prefix, value in found:
            if prefix:
                self.by_prefix.setdefault(prefix, value)

    def path(self, op: Operation, params: Mapping[str, str] | None = None) -> str | None:
        """`op`'s path with every parameter filled (from `params`, else the SID of its prefix)."""
        path = op.path
        for name, _ in op.path_parameters:
            prefix = op.sid_prefix(name)
            value = (params or {}).get(name) or (self.by_prefix.get(prefix, "") if prefix else "")
            if not value:
                return None
            path = path.replace("{" + name + "}", value)
        return path


@dataclass
class Sender:
    client: Client
    env: CheckEnv
    budget: WriteBudget
    selected: frozenset[str]
    resources: Resources = field(default_factory=Resources)

    @property
    def contract(self) -> Contract:
        return self.env.contract

    def wanted(self, operation: str) -> bool:
        return operation in self.selected

    def ready(self, operation: str) -> bool:
        """Whether the run has a resource for every path parameter of `operation`."""
        return self.resources.path(self.contract.operation(operation)) is not None

    def send(self, operation: str, payload: Any = None, *, raw: bytes | None = None, auth: Any = None,
             valid_write: bool = False, params: Mapping[str, str] | None = None, setup: bool = False
             ) -> Exchange | None:
        """Send a payload (wire shape) to an operation on the run's resources; None when it was not
        sent (the path names a resource the run could not create, or the write budget is spent)."""
        return self.send_judged(operation, payload, raw=raw, auth=auth, valid_write=valid_write, params=params,
                                setup=setup)[0]

    def send_judged(self, operation: str, payload: Any = None, *, raw: bytes | None = None, auth: Any = None,
                    valid_write: bool = False, params: Mapping[str, str] | None = None, setup: bool = False
                    ) -> tuple[Exchange | None, list[Finding]]:
        """`send`, with the findings our checks made on that exchange (none for set-up requests to
        operations outside the run's scope: those are recorded, not judged)."""
        in_scope = self.wanted(operation)
        if not in_scope and not setup:
            raise OutOfScopeError(f"{operation} is not among the operations this run tests")
        op = self.contract.operation(operation)
        path = self.resources.path(op, params)
        if path is None:
            return None, []
        kwargs = self._request(op, payload, raw)
        if auth is not None:
            kwargs["auth"] = auth
        # whatever the intent, a write the contract accepts is a real one: it spends the budget
        write = op.method in WRITE_METHODS and (valid_write or self._accepted(op, kwargs.get("content", b"")))
        if write and not self.budget.take():
            return None, []
        exchange = self.client.send(operation, op.method, path, resources_exist=True, **kwargs)
        if not in_scope:
            self.env.record_setup(exchange)
            return exchange, []
        return exchange, self.env.evaluate(exchange)

    def _request(self, op: Operation, payload: Any, raw: bytes | None) -> dict[str, Any]:
        """The client's keyword arguments for a payload in wire shape (or raw bytes)."""
        if raw is not None:
            return {"content": raw, "content_type": op.media_type}
        if op.body_pointer:
            if isinstance(payload, str):
                return {"content": payload.encode("utf-8"), "content_type": op.media_type}
            if op.is_form and isinstance(payload, Mapping):
                form = {str(k): str(v) for k, v in payload.items()}
                return {"content": urlencode(form).encode("ascii"), "content_type": op.media_type}
            return {"content": json.dumps(payload).encode(), "content_type": op.media_type}
        if op.query_parameters and isinstance(payload, Mapping):
            return {"query": {str(k): str(v) for k, v in payload.items()}}
        return {}

    def _accepted(self, op: Operation, body: bytes) -> bool:
        """Whether the full contract accepts this body for a write operation (then it is a real write)."""
        if self.budget.limit is None:
            return False  # unbounded: no need to judge
        return validate_request(op, body=body, content_type=op.media_type, contract=self.contract).valid

    # -- what the scenarios record ------------------------------------------------------------------
    def finding(self, check: str, exchange: Exchange, message: str, rule: str | None = None) -> None:
        with self.env.lock:
            self.env.findings.append(Finding(check, message, exchange, rule))
            self.env.counts[check] = self.env.counts.get(check, 0) + 1

    def passed(self, check: str) -> None:
        with self.env.lock:
            self.env.counts[check] = self.env.counts.get(check, 0) + 1


def setup_plan(contract: Contract, selected: frozenset[str]) -> list[Operation]:
    """The creates the selected operations need, parents first: for every SID prefix a selected
    operation's path names, the create that yields it (its own resource, or one its response
    links lead to), and what that create's own path needs in turn. A selected create is in the
    plan when a selected operation needs its resource too."""
    creates = sorted((op for op in contract.operations.values()
                      if op.resource_prefix and contract.creator_of(op.resource_prefix) is op),
                     key=lambda op: len(op.path_parameters))  # a parent provides what its children link to
    yields = {op.operation_id: _yields(contract, op) for op in creates}
    needed: list[Operation] = []
    wanted_prefixes = [p for name in sorted(selected) for _, p in contract.operation(name).path_sid_prefixes]
    while wanted_prefixes:
        prefix = wanted_prefixes.pop()
        provider = next((op for op in creates if prefix in yields[op.operation_id]), None)
        if provider is None or provider in needed:
            continue
        needed.append(provider)
        wanted_prefixes += [p for _, p in provider.path_sid_prefixes]
    return sorted(needed, key=lambda op: (len(op.path_parameters), list(contract.operations).index(op.operation_id)))


def _yields(contract: Contract, op: Operation) -> frozenset[str]:
    """The SID prefixes a successful `op` makes known: its resource's and its links' parameters'."""
    prefixes = {op.resource_prefix} if op.resource_prefix else set()
    for link in op.links:
        target = contract.operations.get(link.operation_id)
        if target is not None:
            prefixes |= {p for name, _ in link.parameters if (p := target.sid_prefix(name))}
    return frozenset(prefixes)
