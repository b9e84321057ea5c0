"""The whole run: resolve the target, Schemathesis' phases, our targeted cases, clean-up, result."""

from __future__ import annotations

import functools
import random
import threading
import time
from collections.abc import Callable

from ..contract import Contract, default_contract
from . import hostile, preflight, split
from .checks import CheckEnv
from .client import Client
from .dedupe import deduplicate
from .record import Recording
from .report import RunResult, rule_verdicts
from .safety import Ledger, WriteBudget, WriteGuard, cleanup
from .sender import Job
from .target import RunOptions, Target, UsageError, embedded_target, resolve_url_target
from .targeted import STRICTER_ACCEPTED, Targeted, setup_writes


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
    """Run the contract suite; usage and connection problems raise `UsageError` (exit 2).

    Only the operations of `options.operation_ids` (all by default) are sent requests and judged,
    but for the set-up they need (`sender.setup_plan`), which the summary names."""
    threads_before = {t.ident for t in threading.enumerate() if t.ident is not None}
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
    recording = (Recording(target.secrets, options.scrub_pii, then=ledger.record) if options.record_dir
                 else None)  # --record: every exchange, written as cassettes when the run ends
    answered = hostile.LastAnswered(recording or ledger.record)  # the likely cause, should the server die
    env = CheckEnv(contract, strict=options.strict, on_exchange=answered)
    budget = WriteBudget(options.max_writes if target.bounded and not options.allow_writes else None)
    client = Client(target, timeout=options.request_timeout, watch=answered)
    shared: split.SharedRun | None = None
    try:
        operations = frozenset(options.operation_ids or contract.operations)
        probe_op = preflight.probe_operation(contract, operations)
        if probe_op is not None:  # the pre-flight: a set-up mistake is exit 2 before anything else is sent
            probe = client.send(probe_op.operation_id, "GET", preflight.made_up_path(probe_op))
            if probe_op.operation_id in operations:
                answered.seen(probe)
            if hostile.cut_at(probe.response_body) is not None:
                raise hostile.ResponseTooLarge(probe)  # before Schemathesis' probes, which read bodies whole
            if probe.status >= 500 and not target.embedded:
                progress(f"warning: the target answered a probe with HTTP {probe.status}")
            else:
                checked = preflight.preflight(client, target, probe_op, probe)
                for warning in checked.warnings:
                    progress(f"warning: {warning}")
                result.notes += [f"pre-flight: {warning}" for warning in checked.warnings]
        guard: WriteGuard | None = None
        examples: int | None = None
        if budget.limit is not None:
            reserve = setup_writes(contract, operations)
            guard = WriteGuard(env, budget, reserve=reserve)
            examples = max(0, budget.limit - reserve)
            result.notes.append(
                f"{target.base_url} is not loopback: Schemathesis generated write operations in negative mode only "
                f"(no stateful phase), and at most {budget.limit} valid writes were sent (--max-writes; "
                "--allow-writes lifts the bound)"
            )
        from . import engine

        progress(f"contract-kit run: {len(operations)} operation(s) against {result.target} (seed {seed})")
        run_phases = functools.partial(
            engine.execute, contract, target, operation_ids=options.operation_ids,
            max_examples=options.max_examples, seed=seed, guard=guard, examples=examples, progress=progress,
            request_timeout=options.request_timeout, answered=answered,
        )
        targeted = Targeted(client, env, budget, seed, operations, progress=progress, workers=options.workers,
                            settle_timeout=options.settle_timeout)
        groups: list[list[Job]] | None = None
        # --workers > 1 against an unbounded target: the run shared between processes (split.py). Bounded
        # targets stay in one process: the write budget and the guard cannot be shared across processes.
        if options.workers > 1 and budget.limit is None and recording is not None:
            result.notes.append("--workers: --record keeps the run in one process (its exchanges are recorded here)")
        elif options.workers > 1 and budget.limit is None and not split.fork_available():
            progress("--workers: this platform cannot fork; the run stays in one process")
        elif options.workers > 1 and budget.limit is None:
            engine.register()  # imports Schemathesis once, before the fork
            groups = targeted.prepare()  # the set-up, and the jobs drawn once, before the fork
            shared = _shared_run(options, target, env, ledger, targeted, groups, run_phases, threads_before,
                                 answered, progress)
        parent_started = time.monotonic()
        if shared is not None:
            result.notes.append(shared.plan.note(target.embedded))
            errors = shared.run_own(progress)
        else:
            errors = run_phases(env, phases=engine.PHASES, workers=options.workers)
        if errors:
            raise UsageError("; ".join(errors))
        if guard is not None:
            result.notes += guard.notes()
        if shared is None:
            targeted.send(groups if groups is not None else targeted.prepare())
        else:
            failures, usage_errors = shared.collect_into(env, ledger, targeted, time.monotonic() - parent_started)
            result.errors += failures
            if usage_errors:
                raise UsageError("; ".join(usage_errors))
        targeted.conclude()  # the updates, once every process is done with what the set-up created
        result.rules = targeted.rules
        result.notes += targeted.notes
        if env.setup:
            listing = ", ".join(f"{name} x{count}" for name, count in sorted(env.setup.items()))
            result.notes.append(
                f"set-up: {sum(env.setup.values())} request(s) to operations not selected, which the selected ones "
                f"cannot do without: {listing} (not checked; writes count against --max-writes off loopback)"
            )
        if budget.refused:
            result.notes.append(f"{budget.refused} valid write(s) not sent: the write budget of {budget.limit} "
                                "was spent")
        if not target.embedded:
            progress("clean-up: closing the channels the run created")
            result.cleanup = cleanup(client, ledger)
        result.created = ledger.describe()
        if recording is not None and options.record_dir is not None:
            written = recording.write(options.record_dir)
            result.notes.append(f"recorded: {len(written)} cassette(s) in {options.record_dir}, one per operation "
                                "(`contract-kit cassettes check` / `cassettes replay` read them)")
    except hostile.StopRun as stop:  # a dead server, a huge first answer: one finding, nothing more sent
        stop.record(env, answered.last)
        result.notes.append(stop.note)
        result.created = ledger.describe()
    finally:
        if shared is not None:
            shared.stop()  # every child reaped, whatever happened (a no-op once collected)
        client.close()
    for rule, verdict in list(result.rules.items()):
        result.rules[rule] = _seen(rule, verdict, env)
    for rule in contract.rules:
        if rule not in result.rules and any(op in operations for op in contract.rules[rule].operations):
            result.rules[rule] = _seen(rule, "n/a: not exercised", env)
    # one finding per defect (dedupe), in an order that is not the order workers finished in
    result.findings = sorted(deduplicate(env.findings), key=lambda f: f.sort_key)
    result.rules = rule_verdicts(result)  # a rule a finding names fails, whatever its targeted request got
    result.operations = dict(env.operations)
    result.checks = dict(env.counts)
    result.cases = sum(env.operations.values())
    result.notes += env.note_texts()
    result.seconds = time.monotonic() - started
    return result


def _shared_run(options: RunOptions, target: Target, env: CheckEnv, ledger: Ledger, targeted: Targeted,
                groups: list[list[Job]], run_phases: Callable[..., list[str]], threads_before: set[int],
                answered: hostile.LastAnswered, progress: Callable[[str], None]) -> split.SharedRun | None:
    """The run shared between up to `options.workers` processes, the children forked; None (one
    process) when a thread this run started is still alive (a fork would copy it half-way)."""
    stray = split.threads_started_since(threads_before)
    if stray:
        progress(f"--workers: thread(s) {', '.join(stray)} already running; not forking, the run stays in one process")
        return None
    units = split.unit_costs(env.contract, targeted.operations, [len(group) for group in groups], options.max_examples)
    workload = split.Workload(env, ledger, targeted, groups, run_phases, options.operation_ids,
                              lambda: Client(target, timeout=options.request_timeout, watch=answered))
    return split.SharedRun.start(workload, split.plan(units, options.workers), progress)


def _seen(rule: str, verdict: str, env: CheckEnv) -> str:
    """A rule not judged on purpose ("n/a"), judged by what the whole run saw: rejected (by the junk
    bodies, by Schemathesis' cases) is a pass; a stricter reading of ours accepted is conforming."""
    if not verdict.startswith("n/a"):
        return verdict
    if rule in env.rules_seen_rejected:
        return "pass"
    if rule in env.stricter_accepted:
        return STRICTER_ACCEPTED
    return verdict
