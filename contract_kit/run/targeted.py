"""What the suite sends on purpose, whatever Schemathesis happens to generate.

* rule-targeted negatives: for every error rule of the catalogue and every operation using it,
  one payload from `strategies.violating` that breaks exactly that rule (wire shape);
* per-cell positives: a valid CreateInteraction for every channel type x initiated_by cell;
* warnings: a payload carrying each warning rule, which must be accepted;
* edge positives: list bounds (PageSize min/max), empty optional strings;
* junk bodies (not UTF-8, bad urlencoding, a field sent twice, JSON that is not an object), judged
  like every request: 400 where they break a rule the vendor states, 2xx or 400 where they only
  break our stricter readings (basis `ours`);
* stateful properties: create == fetch, updates visible on fetch, channels leave `setup`,
  credentials required, accounts isolated.
Every exchange goes through the same checks as Schemathesis' (`checks.CheckEnv.evaluate`);
the scenario checks below add the properties one exchange cannot show.

The set-up chain comes from the document: the creates (POST to a collection answering a resource
with a SID prefix, `Contract.creator_of`), the one without path parameters first; the SIDs each
create returns are read through its response links (`Link.values`) and its `resource_prefix`,
and every path is filled by the SID prefix its parameters demand (`Operation.path_sid_prefixes`).

Concurrency (`workers`): the set-up chain and the updates run in order; everything between
(credentials, cells, edges, junk, every rule broken alone) is independent requests, drawn first
in a fixed order (the strategies are seeded) and then sent by `workers` threads. Verdicts are
collected in the drawing order, and the suite sorts findings by a stable key, so a report does
not depend on which request finished first.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlencode

from ..contract import WIRE_RULES, Contract, Operation, Rule
from .checks import CheckEnv, verdict
from .client import Client
from .report import Exchange, Finding
from .safety import WRITE_METHODS, WriteBudget

_SETTLE_POLLS = 10
SETUP_PINS: dict[str, dict[str, str]] = {"CreateInteraction": {"channel_type": "sms", "initiated_by": "api"}}
"""Pins of the set-up's first create: an API-initiated SMS interaction needs nothing else of the account."""
SETUP_COPIES: dict[str, int] = {"CreateInteractionChannelParticipant": 2}
"""Creates the set-up sends more than once: two participants, so that a list page of PageSize=1
has a next page (`page_size_honoured`)."""
SETUP_WRITES = 5
"""Valid writes `Targeted.setup` sends (an interaction, two participants, an invite, a transfer):
off loopback the budget keeps them for the stateful checks before Schemathesis' examples get any."""
STRICTER_ACCEPTED = "n/a: our stricter reading, which the server does not enforce (it may: see the notes)"
"""The verdict of a rule of ours (basis `ours`) whose breaking requests the server accepted: conforming."""
T = TypeVar("T")
Finish = Callable[[], None]
Job = Callable[[], Finish]
"""An independent piece of work: sends its requests (on any thread) and returns what records its
outcome (run on the calling thread, in the order the jobs were planned)."""


def _done() -> None:
    return None


@dataclass
class Resources:
    """SIDs the run created, by the SID prefix the document's patterns give them."""

    by_prefix: dict[str, str] = field(default_factory=dict)


@dataclass
class Targeted:
    client: Client
    env: CheckEnv
    budget: WriteBudget
    seed: int
    operations: frozenset[str]
    rules: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    resources: Resources = field(default_factory=Resources)
    progress: Callable[[str], None] = lambda _: None
    workers: int = 1

    @property
    def contract(self) -> Contract:
        return self.env.contract

    # -- sending ----------------------------------------------------------------------------------
    def send(self, operation: str, payload: Any = None, *, raw: bytes | None = None, auth: Any = None,
             valid_write: bool = False, params: Mapping[str, str] | None = None) -> Exchange | None:
        """Send a payload (wire shape) to an operation on the run's resources; None when the
        operation's path names a resource the run could not create, or the write budget is spent."""
        return self._send_judged(operation, payload, raw=raw, auth=auth, valid_write=valid_write,
                                 params=params)[0]

    def _send_judged(self, operation: str, payload: Any = None, *, raw: bytes | None = None, auth: Any = None,
                     valid_write: bool = False, params: Mapping[str, str] | None = None
                     ) -> tuple[Exchange | None, list[Finding]]:
        """`send`, with the findings our checks made on that exchange."""
        op = self.contract.operation(operation)
        path = self._path(op, params or {})
        if path is None:
            return None, []
        kwargs: dict[str, Any] = {"resources_exist": True}
        if auth is not None:
            kwargs["auth"] = auth
        if raw is not None:
            kwargs["content"] = raw
            kwargs["content_type"] = op.media_type
        elif op.body_pointer:
            if isinstance(payload, str):
                kwargs["content"], kwargs["content_type"] = payload.encode("utf-8"), op.media_type
            elif op.is_form and isinstance(payload, Mapping):
                form = {str(k): str(v) for k, v in payload.items()}
                kwargs["content"], kwargs["content_type"] = urlencode(form).encode("ascii"), op.media_type
            else:
                kwargs["content"], kwargs["content_type"] = json.dumps(payload).encode(), op.media_type
        elif op.query_parameters and isinstance(payload, Mapping):
            kwargs["query"] = {str(k): str(v) for k, v in payload.items()}
        # whatever the intent, a write the contract accepts is a real one: it spends the budget
        write = op.method in WRITE_METHODS and (valid_write or self._accepted(op, kwargs.get("content", b"")))
        if write and not self.budget.take():
            return None, []
        exchange = self.client.send(operation, op.method, path, **kwargs)
        return exchange, self.env.evaluate(exchange)

    def _accepted(self, op: Operation, body: bytes) -> bool:
        """Whether the full contract accepts this body for a write operation (then it is a real write)."""
        if self.budget.limit is None:
            return False  # unbounded: no need to judge
        exchange = Exchange(operation=op.operation_id, method=op.method, url="http://targeted.invalid" + op.path,
                            request_headers={}, request_body=body, status=0, response_headers={},
                            response_body=b"")
        report = verdict(self.env, exchange)
        return report is None or report.valid

    def _path(self, op: Operation, params: Mapping[str, str]) -> str | None:
        path = op.path
        for name, _ in op.path_parameters:
            prefix = op.sid_prefix(name)
            value = params.get(name) or (self.resources.by_prefix.get(prefix, "") if prefix else "")
            if not value:
                return None
            path = path.replace("{" + name + "}", value)
        return path

    def ready(self, operation: str) -> bool:
        """Whether the run has a resource for every path parameter of `operation`."""
        return self._path(self.contract.operation(operation), {}) is not None

    def finding(self, check: str, exchange: Exchange, message: str, rule: str | None = None) -> None:
        with self.env.lock:
            self.env.findings.append(Finding(check, message, exchange, rule))
            self.env.counts[check] = self.env.counts.get(check, 0) + 1

    def passed(self, check: str) -> None:
        with self.env.lock:
            self.env.counts[check] = self.env.counts.get(check, 0) + 1

    def wanted(self, operation: str) -> bool:
        return operation in self.operations

    def parallel(self, jobs: Sequence[Callable[[], T]]) -> list[T]:
        """Run independent jobs on `workers` threads; results in the jobs' order, not completion order."""
        if self.workers <= 1 or len(jobs) <= 1:
            return [job() for job in jobs]
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="contract-kit-targeted") as pool:
            return list(pool.map(lambda job: job(), jobs))

    # -- drawing ----------------------------------------------------------------------------------
    def draw_valid(self, operation: str, **pins: Any) -> Any:
        from ..strategies import generate, payloads

        return generate(payloads(operation, shape="wire", **pins), count=1, seed=self.seed)[0]

    # -- the parts --------------------------------------------------------------------------------
    def run(self) -> None:
        self.progress("targeted: setting up resources (create -> fetch -> children)")
        self.setup()
        jobs: list[Job] = []
        self.progress("targeted: credentials and account isolation")
        jobs += self.auth_scenarios()
        if self.wanted("CreateInteraction"):
            self.progress("targeted: one valid CreateInteraction per channel type x initiated_by cell")
            jobs += self.cells()
        self.progress("targeted: edge values and junk bodies")
        jobs += self.edges()
        jobs += self.junk()
        self.progress("targeted: every rule broken alone")
        jobs += self.negatives()
        if self.workers > 1:
            self.progress(f"targeted: sending {len(jobs)} independent request groups on {self.workers} threads")
        for finish in self.parallel(jobs):
            finish()
        self.updates()

    def setup(self) -> None:
        """Create one resource of each kind the document's creates make, checking create == fetch on
        the way: the first create (no path parameters), then each child create in document order."""
        creates = self._creates()
        if not creates:
            return
        first, children = creates[0], creates[1:]
        created = self.send(first.operation_id, self.draw_valid(first.operation_id,
                                                                 **SETUP_PINS.get(first.operation_id, {})),
                            valid_write=True)
        if created is None or not 200 <= created.status < 300:
            self.notes.append("could not create the interaction the stateful checks need; they were skipped")
            return
        self._learn(first, created)
        fetched = self.send("FetchInteraction")
        self.create_equals_fetch(created, fetched)
        self.channel_settles()
        for op in children:
            for _ in range(SETUP_COPIES.get(op.operation_id, 1)):
                self._learn(op, self.send(op.operation_id, self._setup_payload(op), valid_write=True))
        for name in ("ListInteractionChannel", "ListInteractionChannelParticipant", "ListInteractionChannelInvite",
                     "FetchInteractionChannel", "FetchInteractionTransfer"):
            self.send(name, {"PageSize": "1"} if name.startswith("List") else None)

    def _creates(self) -> list[Operation]:
        """The document's creates, the one without path parameters first, then in document order."""
        creates = [op for op in self.contract.operations.values()
                   if op.resource_prefix and self.contract.creator_of(op.resource_prefix) is op]
        return sorted(creates, key=lambda op: bool(op.path_parameters))

    def _setup_payload(self, op: Operation) -> Any:
        """A valid payload; an optional JSON body is sent empty (`{}`), the least a create can ask."""
        if op.is_json_body and not op.body_required:
            return "{}"
        return self.draw_valid(op.operation_id)

    def _learn(self, op: Operation, exchange: Exchange | None) -> None:
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
            target = self.contract.operations.get(link.operation_id)
            if target is not None:
                found += [(target.sid_prefix(name), value) for name, value in link.values(body).items()]
        for prefix, value in found:
            if prefix:
                self.resources.by_prefix.setdefault(prefix, value)

    def create_equals_fetch(self, created: Exchange, fetched: Exchange | None) -> None:
        """Defends "what a create returns is what a fetch returns"."""
        if fetched is None:
            return
        before, after = created.json(), fetched.json()
        if fetched.status != 200 or not isinstance(after, dict) or not isinstance(before, dict):
            sid = before.get("sid") if isinstance(before, dict) else "?"
            self.finding("create_equals_fetch", fetched,
                         f"fetching the interaction just created ({sid}) got HTTP {fetched.status}")
            return
        keys = ("sid", "url", "interaction_context_sid", "webhook_ttid")
        diff = [k for k in keys if before.get(k) != after.get(k)]
        b_channel, a_channel = before.get("channel") or {}, after.get("channel") or {}
        if isinstance(b_channel, dict) and isinstance(a_channel, dict):
            diff += [f"channel.{k}" for k in ("sid", "type") if b_channel.get(k) != a_channel.get(k)]
        if diff:
            self.finding("create_equals_fetch", fetched, f"fetch differs from create in {', '.join(diff)}")
        else:
            self.passed("create_equals_fetch")

    def channel_settles(self) -> None:
        """Defends the channel life cycle: created in `setup`, then `active` or `failed`."""
        last: Exchange | None = None
        for attempt in range(_SETTLE_POLLS):
            last = self.send("FetchInteractionChannel")
            body = last.json() if last is not None else None
            if last is None or not isinstance(body, dict):
                return
            if body.get("status") != "setup":
                self.passed("channel_settles")
                return
            if self.client.target.embedded:
                break
            time.sleep(0.1 * (attempt + 1))
        if last is not None:
            self.finding("channel_settles", last, "the channel is still in `setup` after creation; it must become "
                         "`active` or `failed`")

    def auth_scenarios(self) -> list[Job]:
        """Defends "an account's resources are not visible without valid credentials"."""
        if not self.ready("FetchInteraction"):
            return []
        creds = self.client.target.credentials
        wrong = (creds.username, "wrong-secret") if creds else ()
        jobs = [self._without_access(label, auth)
                for label, auth in (("no credentials", ()), ("a wrong secret", wrong))]
        other = self.client.target.other_account
        if other is None:
            self.notes.append("account isolation not checked: set CONTRACT_KIT_OTHER_ACCOUNT_SID and "
                              "CONTRACT_KIT_OTHER_AUTH_TOKEN (a second account) to check it")
            return jobs

        def isolation() -> Finish:
            exchange = self.send("FetchInteraction", auth=other)
            if exchange is None:
                return _done
            if exchange.status != 404:
                self.finding("account_isolation", exchange,
                             f"another account fetching this account's interaction got HTTP {exchange.status}, "
                             "expected 404")
            else:
                self.passed("account_isolation")
            return _done

        return [*jobs, isolation]

    def _without_access(self, label: str, auth: Any) -> Job:
        def job() -> Finish:
            exchange = self.send("FetchInteraction", auth=auth)
            if exchange is None:
                return _done
            if exchange.status != 401:
                self.finding("auth_required", exchange,
                             f"fetching an interaction with {label} got HTTP {exchange.status}, expected 401")
            else:
                self.passed("auth_required")
            return _done

        return job

    def cells(self) -> list[Job]:
        from ..strategies import cells

        jobs = []
        for cell in cells("CreateInteraction", self.contract):
            payload = self.draw_valid("CreateInteraction", channel_type=cell["type"], initiated_by=cell["initiated_by"])
            jobs.append(self._cell(f"{cell['type']}/{cell['initiated_by']}", payload))
        return jobs

    def _cell(self, name: str, payload: Any) -> Job:
        def job() -> Finish:
            if self.send("CreateInteraction", payload, valid_write=True) is not None:
                return _done
            return lambda: self.notes.append(f"cell {name} not sent: the write budget is spent")

        return job

    def _sending(self, operation: str, payload: Any = None, *, raw: bytes | None = None,
                 valid_write: bool = False) -> Job:
        def job() -> Finish:
            self.send(operation, payload, raw=raw, valid_write=valid_write)
            return _done

        return job

    def edges(self) -> list[Job]:
        """Boundary values the document allows: list bounds, and empty optional strings."""
        jobs = []
        for op in self.contract.operations.values():
            if not self.wanted(op.operation_id):
                continue
            for name, pointer in op.query_parameters:
                node = self._schema(pointer)
                for bound in ("minimum", "maximum"):
                    if isinstance(node.get(bound), int):
                        jobs.append(self._sending(op.operation_id, {name: str(node[bound])}))
            if op.body_pointer and op.is_form:
                body = self._schema(op.body_pointer)
                if body.get("required"):
                    continue
                for name, prop in (body.get("properties") or {}).items():
                    prop = self.contract.deref(prop)
                    if not isinstance(prop, Mapping):
                        continue
                    if prop.get("type") == "string" and not ({"minLength", "pattern", "enum"} & set(prop)):
                        jobs.append(self._sending(op.operation_id, {name: ""}, valid_write=True))
        return jobs

    def _schema(self, pointer: str) -> Mapping[str, Any]:
        node = self.contract.deref(self.contract.resolve(pointer))
        return node if isinstance(node, Mapping) else {}

    def junk(self) -> list[Job]:
        """Bodies the wire cannot decode cleanly, never answered 5xx. Each gets the contract's verdict
        (`checks.contract_verdict`): 400 with a vendor body where it breaks a rule the vendor states
        (a required field missing, JSON that is not an object); where it only breaks our stricter
        readings (a field sent twice, bytes that are not UTF-8, an unknown field) 2xx and 400 both
        conform."""
        jobs = []
        for op in self.contract.operations.values():
            if not op.body_pointer or not self.wanted(op.operation_id):
                continue
            if op.is_form:
                first = op.field_names[0] if op.field_names else "X"
                bodies = [b"\xff\xfe=\xff", b"%zz=%%", f"{first}=a&{first}=b".encode()]
            else:
                bodies = [b"[1, 2]", b"{"]
            jobs += [self._sending(op.operation_id, raw=raw) for raw in bodies]
        return jobs

    def negatives(self) -> list[Job]:
        """Every rule broken alone, in every operation using it; warnings must be accepted.

        Payloads are drawn here, in the catalogue's order; the requests are the jobs, and the last
        job of each rule records its verdict from all of the rule's outcomes."""
        from hypothesis.errors import Unsatisfiable

        from ..strategies import UnrepresentableRuleError, generate, violating

        wire_rules = frozenset(WIRE_RULES.values())
        jobs: list[Job] = []
        for rule in self.contract.rules.values():
            verdicts: list[str] = []
            sends: list[tuple[str, Any]] = []
            for operation in rule.operations:
                if not self.wanted(operation):
                    continue
                try:
                    strategy = violating(rule.id, operation, shape="wire", contract=self.contract)
                    sends.append((operation, generate(strategy, count=1, seed=self.seed)[0]))
                except UnrepresentableRuleError:
                    verdicts.append("n/a: only the wire shows it; no payload breaks it" if rule.id in wire_rules
                                    else "n/a: every form field is a string on the wire")
                except Unsatisfiable:
                    if not rule.stricter:
                        raise
                    verdicts.append("n/a: no payload breaking only this stricter reading could be drawn")
            if not sends:
                if verdicts:
                    self.rules[rule.id] = verdicts[0]
                continue
            outcomes: list[str | None] = [None] * len(sends)
            for index, (operation, payload) in enumerate(sends):
                jobs.append(self._breaking(rule, operation, payload, outcomes, index, verdicts))
        return jobs

    def _breaking(self, rule: Rule, operation: str, payload: Any, outcomes: list[str | None], index: int,
                  verdicts: list[str]) -> Job:
        """One payload breaking `rule` alone: a rule the vendor states must be rejected (400), a
        warning accepted (2xx); our stricter reading may be either (`checks.contract_verdict`)."""
        rule_id = rule.id
        warning = rule.severity == "warning"

        def job() -> Finish:
            exchange, found = self._send_judged(operation, payload, valid_write=warning or rule.stricter)
            outcome: str
            if exchange is None:
                outcome = "n/a: not sent (write budget or missing resource)"
            elif found:
                outcome = "fail"
            elif warning:
                outcome = "pass" if 200 <= exchange.status < 300 else "fail"
            elif rule.stricter and 200 <= exchange.status < 300:
                outcome = STRICTER_ACCEPTED
            else:
                outcome = "pass" if exchange.status == 400 else "fail"

            def finish() -> None:
                outcomes[index] = outcome
                if all(o is not None for o in outcomes):
                    every = verdicts + [o for o in outcomes if o is not None]
                    self.rules[rule_id] = "fail" if "fail" in every else "pass" if "pass" in every else every[0]

            return finish

        return job

    def updates(self) -> None:
        """Defends "an update is visible on fetch" (interaction, transfer, then the channel closed)."""
        if self.wanted("UpdateInteraction") and self.ready("UpdateInteraction"):
            ttid = f"contract-kit-{self.seed}"
            updated = self.send("UpdateInteraction", {"WebhookTtid": ttid}, valid_write=True)
            if updated is not None and updated.status == 200:
                self._visible(self.send("FetchInteraction"), "webhook_ttid", ttid, "WebhookTtid")
        if self.wanted("UpdateInteractionTransfer") and self.ready("UpdateInteractionTransfer"):
            updated = self.send("UpdateInteractionTransfer", json.dumps({"status": "completed"}), valid_write=True)
            if updated is not None and updated.status == 200:
                self._visible(self.send("FetchInteractionTransfer"), "status", "completed", "status")
        if self.wanted("UpdateInteractionChannel") and self.ready("UpdateInteractionChannel"):
            updated = self.send("UpdateInteractionChannel", {"Status": "closed"}, valid_write=True)
            if updated is not None and updated.status == 200:
                self._visible(self.send("FetchInteractionChannel"), "status", "closed", "Status")

    def _visible(self, fetched: Exchange | None, key: str, value: str, field_name: str) -> None:
        if fetched is None:
            return
        body = fetched.json()
        seen = body.get(key) if isinstance(body, dict) else None
        if seen != value:
            self.finding("update_visible", fetched,
                         f"after updating {field_name} to {value!r}, a fetch shows {key}={seen!r}")
        else:
            self.passed("update_visible")

