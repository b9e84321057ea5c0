"""The whole run: resolve the target, Schemathesis' phases, our targeted cases, clean-up, result."""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from ..contract import Contract, default_contract
from .checks import CheckEnv
from .client import Client
from .report import RunResult
from .safety import Ledger, WriteBudget, WriteGuard, cleanup
from .target import RunOptions, Target, UsageError, embedded_target, resolve_url_target
from .targeted import SETUP_WRITES, Targeted


def resolve_target(options: RunOptions) -> Target:
    if options.base_url is None:
        return embedded_target(options.faults)
    return resolve_url_target(options)


def run_suite(
    options: RunOptions,
    *,
    contract: Contract | None = None,
    progress: Callable[[str], None] = lambda _: None,
    target: Target | None = None,
) -> RunResult:
    """Run the contract suite; usage and connection problems raise `UsageError` (exit 2)."""
    contract = contract or default_contract()
    for operation in options.operation_ids:
        contract.operation(operation)  # UnknownOperationError lists the known ones
    if options.max_examples < 1 or options.workers < 1 or options.max_writes < 0:
        raise UsageError("--max-examples and --workers must be at least 1, --max-writes at least 0")
    target = target or resolve_target(options)
    seed = options.seed if options.seed is not None else random.randrange(1 << 30)
    started = time.monotonic()
    result = RunResult(target="the embedded mock" if target.embedded else target.base_url, seed=seed)
    ledger = Ledger()
    env = CheckEnv(contract, on_exchange=ledger.record)
    budget = WriteBudget(options.max_writes if target.bounded and not options.allow_writes else None)
    client = Client(target)
    try:
        probe = client.send("FetchInteraction", "GET", "/v1/Interactions/KD" + "0" * 32)
        if probe.status >= 500 and not target.embedded:
            progress(f"warning: the target answered a probe with HTTP {probe.status}")
        operations = frozenset(options.operation_ids or contract.operations)
        guard: WriteGuard | None = None
        examples: int | None = None
        if budget.limit is not None:
            guard = WriteGuard(env, budget, reserve=SETUP_WRITES)
            examples = max(0, budget.limit - SETUP_WRITES)
            result.notes.append(
                f"{target.base_url} is not loopback: Schemathesis generated write operations in negative mode only "
                f"(no stateful phase), and at most {budget.limit} valid writes were sent (--max-writes; "
                "--allow-writes lifts the bound)"
            )
        from . import engine

        progress(f"contract-kit run: {len(operations)} operation(s) against {result.target} (seed {seed})")
        errors = engine.execute(
            contract, target, env, operation_ids=options.operation_ids, max_examples=options.max_examples,
            seed=seed, workers=options.workers, guard=guard, examples=examples, progress=progress,
        )
        if errors:
            raise UsageError("; ".join(errors))
        if guard is not None:
            result.notes += guard.notes()
        targeted = Targeted(client, env, budget, seed, operations, progress=progress, workers=options.workers)
        targeted.run()
        result.rules = targeted.rules
        result.notes += targeted.notes
        if budget.refused:
            result.notes.append(f"{budget.refused} valid write(s) not sent: the write budget of {budget.limit} "
                                "was spent")
        if not target.embedded:
            progress("clean-up: closing the channels the run created")
            result.cleanup = cleanup(client, ledger)
        result.created = ledger.describe()
    finally:
        client.close()
    for rule, verdict in list(result.rules.items()):
        if verdict.startswith("n/a") and rule in env.rules_seen_rejected:
            result.rules[rule] = "pass"  # broken by the junk bodies or by Schemathesis, and rejected
    for rule in contract.rules:
        if rule not in result.rules and any(op in operations for op in contract.rules[rule].operations):
            result.rules[rule] = "pass" if rule in env.rules_seen_rejected else "n/a: not exercised"
    result.findings = sorted(env.findings, key=lambda f: f.sort_key)  # not the order workers finished in
    result.operations = dict(env.operations)
    result.checks = dict(env.counts)
    result.cases = sum(env.operations.values())
    result.notes += env.__dict__.get("_notes", [])
    result.seconds = time.monotonic() - started
    return result
