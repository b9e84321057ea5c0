"""Requests sent on purpose, each judged on its own: one valid create per channel type x
initiated_by cell, boundary values, junk bodies, and every rule broken alone.

All of them are independent (`sender.Job`s): they are drawn here in a fixed order (the strategies
are seeded) and sent by the scheduler on any thread; each job's `Finish` records its verdict on the
calling thread, in the planned order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ..contract import WIRE_RULES, Rule
from .report import Exchange, Finding
from .sender import Finish, Job, Sender, done

STRICTER_ACCEPTED = "n/a: our stricter reading, which the server does not enforce (it may: see the notes)"
"""The verdict of a rule of ours (basis `ours`) whose breaking requests the server accepted: conforming."""


@dataclass
class Probes:
    sender: Sender
    seed: int
    draw_valid: Callable[..., Any]
    rules: dict[str, str] = field(default_factory=dict)
    """rule id -> "pass", "fail" or "n/a: why"."""
    notes: list[str] = field(default_factory=list)

    def cells(self) -> list[Job]:
        """A valid CreateInteraction for every channel type x initiated_by cell: each must be accepted."""
        from ..strategies import cells

        if not self.sender.wanted("CreateInteraction"):
            return []
        jobs = []
        for cell in cells("CreateInteraction", self.sender.contract):
            payload = self.draw_valid("CreateInteraction", channel_type=cell["type"], initiated_by=cell["initiated_by"])
            jobs.append(self._cell(f"{cell['type']}/{cell['initiated_by']}", payload))
        return jobs

    def _cell(self, name: str, payload: Any) -> Job:
        def job() -> Finish:
            if self.sender.send("CreateInteraction", payload, valid_write=True) is not None:
                return done
            return lambda: self.notes.append(f"cell {name} not sent: the write budget is spent")

        return job

    def _sending(self, operation: str, payload: Any = None, *, raw: bytes | None = None,
                 valid_write: bool = False) -> Job:
        def job() -> Finish:
            self.sender.send(operation, payload, raw=raw, valid_write=valid_write)
            return done

        return job

    def edges(self) -> list[Job]:
        """Boundary values the document allows: list bounds, and empty optional strings."""
        contract = self.sender.contract
        jobs = []
        for op in contract.operations.values():
            if not self.sender.wanted(op.operation_id):
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
                    prop = contract.deref(prop)
                    if not isinstance(prop, Mapping):
                        continue
                    if prop.get("type") == "string" and not ({"minLength", "pattern", "enum"} & set(prop)):
                        jobs.append(self._sending(op.operation_id, {name: ""}, valid_write=True))
        return jobs

    def _schema(self, pointer: str) -> Mapping[str, Any]:
        contract = self.sender.contract
        node = contract.deref(contract.resolve(pointer))
        return node if isinstance(node, Mapping) else {}

    def junk(self) -> list[Job]:
        """Bodies the wire cannot decode cleanly, never answered 5xx. Each gets the contract's verdict
        (`checks.contract_verdict`): 400 with a vendor body where it breaks a rule the vendor states
        (a required field missing, JSON that is not an object); where it only breaks our stricter
        readings (a field sent twice, bytes that are not UTF-8, an unknown field) 2xx and 400 both
        conform (unless `run --strict`)."""
        jobs = []
        for op in self.sender.contract.operations.values():
            if not op.body_pointer or not self.sender.wanted(op.operation_id):
                continue
            if op.is_form:
                first = op.field_names[0] if op.field_names else "X"
                bodies = [b"\xff\xfe=\xff", b"%zz=%%", f"{first}=a&{first}=b".encode()]
            else:
                bodies = [b"[1, 2]", b"{"]
            jobs += [self._sending(op.operation_id, raw=raw) for raw in bodies]
        return jobs

    def negative_groups(self) -> list[list[Job]]:
        """Every rule broken alone, in every selected operation using it (warnings must be accepted),
        one group per rule: the last job of a group records the rule's verdict from all of the
        group's outcomes, so a group runs in one process.

        Payloads are drawn here, in the catalogue's order; the requests are the jobs."""
        from hypothesis.errors import Unsatisfiable

        from ..strategies import UnrepresentableRuleError, generate, violating

        contract = self.sender.contract
        wire_rules = frozenset(WIRE_RULES.values())
        groups: list[list[Job]] = []
        for rule in contract.rules.values():
            verdicts: list[str] = []
            sends: list[tuple[str, Any]] = []
            for operation in rule.operations:
                if not self.sender.wanted(operation):
                    continue
                try:
                    strategy = violating(rule.id, operation, shape="wire", contract=contract)
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
            groups.append([self._breaking(rule, operation, payload, outcomes, index, verdicts)
                           for index, (operation, payload) in enumerate(sends)])
        return groups

    def _breaking(self, rule: Rule, operation: str, payload: Any, outcomes: list[str | None], index: int,
                  verdicts: list[str]) -> Job:
        """One payload breaking `rule` alone: a rule the vendor states must be rejected (400), a
        warning accepted (2xx); our stricter reading may be either (`checks.contract_verdict`),
        unless `run --strict` demands the 400."""
        rule_id = rule.id
        warning = rule.severity == "warning"
        either = rule.stricter and not self.sender.env.strict

        def job() -> Finish:
            exchange, found = self.sender.send_judged(operation, payload, valid_write=warning or either)
            outcome: str
            if exchange is None:
                outcome = "n/a: not sent (write budget or missing resource)"
            elif exchange.transport_error:
                outcome = "n/a: no response"  # no_server_error reports it
            elif warning:
                outcome = "pass" if 200 <= exchange.status < 300 else "fail"
            elif either and 200 <= exchange.status < 300:
                outcome = STRICTER_ACCEPTED
            else:
                outcome = "pass" if exchange.status == 400 else "fail"
            # what else is wrong with the answer (an error body that is not the vendor's, an
            # undocumented 2xx) is its own check's finding; the rule's verdict is whether it was enforced
            if outcome == "fail" and exchange is not None:
                self._explain(rule_id, exchange, found)

            def finish() -> None:
                outcomes[index] = outcome
                if all(o is not None for o in outcomes):
                    every = verdicts + [o for o in outcomes if o is not None]
                    self.rules[rule_id] = "fail" if "fail" in every else "pass" if "pass" in every else every[0]

            return finish

        return job

    def _explain(self, rule_id: str, exchange: Exchange, found: list[Finding]) -> None:
        """Make the rule's FAIL explained by a finding that names it: the one of `found` that already
        does, else the verdict's or the 5xx's of `found` (a warning rejected is `contract_verdict`'s
        under its cell, a 5xx is `no_server_error`'s) now carrying the rule, else a
        `contract_verdict` of its own. Called on the sending thread, before the findings are sorted."""
        if any(f.rule == rule_id for f in found):
            return
        env = self.sender.env
        if found:
            first = next((f for f in found if f.check in ("contract_verdict", "no_server_error")), found[0])
            with env.lock:
                at = next((i for i, f in enumerate(env.findings) if f is first), None)
                if at is not None:
                    env.findings[at] = replace(first, rule=rule_id)
                    return
        expected = "2xx (a warning never rejects)" if self.sender.contract.rules[rule_id].severity == "warning" \
            else "400"
        self.sender.finding("contract_verdict", exchange,
                            f"a request breaking rule {rule_id} alone got HTTP {exchange.status}, expected {expected}",
                            rule_id)
