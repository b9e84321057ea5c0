"""`--workers N` (N > 1) against an unbounded target: the run shared between up to N processes.

The run is CPU-bound Python in the client (generation, serialisation, our checks), so threads
cannot overlap it (the GIL). Against the embedded mock or a loopback URL (no write budget), the
run's work is cut into units and shared between processes (`plan`):

* Schemathesis' examples, coverage and fuzzing phases of one operation (each operation's cases
  depend on the seed and that operation only, so which process runs it changes nothing);
* Schemathesis' stateful phase, whole, over every selected operation (it chains calls across
  operations, so it cannot be cut);
* each group of the targeted part's independent jobs (`Targeted.prepare`): a credentials check,
  a cell's create, an edge value, a junk body, or every request breaking one rule (one verdict).

The targeted set-up (the creates the stateful checks follow, in order) runs first, in this
process, and the jobs are drawn here; then the children are forked, each with a copy of all of it
(against the embedded mock, a copy of the in-process app and its store too, so every resource a
job reads back exists in its process); the updates, which change what the set-up created, run
here once every process is done. Units are shared by expected cost (`unit_costs`: the size of an
operation's request schema, the measured share of the stateful phase and of a request), largest
first onto the least loaded process, this one first on ties: deterministic for a given selection.
N is capped where more processes cannot help (the largest unit is then the run's floor).

Each child starts from empty accumulators (`_afresh`), sends its requests through its own client,
and sends back, pickled, everything the report needs (`PhaseOutcome`); the parent merges it. The
report is then the same as in one process for the same seed: findings are sorted by a stable key,
operations, checks and rules are reported sorted, a note keeps one text per key (the smallest).
What may differ is what Schemathesis' stateful phase does (it chains calls on whatever the store
holds, which the other units' writes no longer share) and so the request counts.

* Children are forked (`multiprocessing`'s "fork" start method) before this run starts any thread
  (Schemathesis' workers, its ASGI portal); the suite keeps the run in one process when the
  platform has no "fork" start method (Windows) or when a thread the run started is still alive.
  Threads that were there before the run (a test runner's, an earlier run's) are not copied into a
  child; the one that matters, Schemathesis' ASGI event-loop thread, is forgotten there
  (`_forget_inherited_portal`).
* Bounded targets (off loopback, a write budget) never get here: the write budget and the safety
  net (`safety.WriteGuard`) must see every write of the run, which they cannot across processes;
  nor does `--record` (the recording is this process's).
* A child that crashes or hangs does not hang the run: `ChildPhases.collect` waits at most
  `wait_for(parent_seconds)` after the parent's own share, then terminates (and if need be kills)
  and always reaps it; the run reports a run-level error (exit 2).
"""

from __future__ import annotations

import functools
import math
import multiprocessing
import threading
import time
from collections.abc import Callable, Collection, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from ..contract import Contract, Operation
from .checks import CheckEnv
from .client import Client
from .report import Finding
from .safety import Ledger
from .sender import Job
from .targeted import Targeted

NON_STATEFUL_PHASES: tuple[str, ...] = ("examples", "coverage", "fuzzing")
"""Schemathesis' phases that are shared by operation; the stateful phase runs whole, in one process."""
SCHEMATHESIS_WORKERS = 1
"""Schemathesis' worker threads (and the targeted part's) in each process: CPU-bound, more gain nothing."""
WAIT_FLOOR = 60.0
"""Seconds the parent waits for a child at least, after its own share (twice a request timeout)."""
WAIT_FACTOR = 3.0
"""...and at most this many times the parent's own share (the plan gives each about as much work)."""
_REAP_SECONDS = 5.0
_ABANDONED: list[Any] = []
"""In a forked child only: what it inherited from the parent's threads and must never close. It
must outlive every frame, up to the process's exit (collecting it would close Schemathesis' ASGI
portal and wait forever on a thread the fork did not copy), hence a module-level list."""

# Expected costs, in seconds of one process at the defaults (--max-examples 10), measured on a
# full run against the embedded mock: Schemathesis' examples, coverage and fuzzing phases took
# 3.0 s for 14 operations (CreateInteraction, the largest request schema, 0.9 s of it), the
# stateful phase 0.75 s, the targeted part's jobs about 4 ms a request.
OPERATION_SECONDS = 0.08
"""An operation whose request has no parameter and no body."""
SCHEMA_NODE_SECONDS = 0.0055
"""...and this much more per node of its request body's schema (properties, constraints)."""
PARAMETER_SECONDS = 0.02
"""...and per path or query parameter."""
FUZZING_SHARE = 0.55
"""The part of an operation's cost that grows with --max-examples (the fuzzing phase)."""
STATEFUL_SECONDS = 0.75
JOB_SECONDS = 0.004
"""A targeted request."""


def wait_for(parent_seconds: float) -> float:
    """How long to wait for the children once the parent's own share (`parent_seconds`) is done."""
    return max(WAIT_FLOOR, WAIT_FACTOR * parent_seconds)


# -- the plan -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Unit:
    """One piece of the run that a single process runs whole."""

    kind: str
    """"operation" (its examples, coverage and fuzzing phases), "stateful" or "targeted" (a job group)."""
    key: str
    """The operationId, "stateful", or the group's index."""
    cost: float

    @property
    def label(self) -> str:
        return {"operation": f"{self.key}'s Schemathesis phases", "stateful": "Schemathesis' stateful phase"}.get(
            self.kind, f"targeted group {self.key}")


@dataclass(frozen=True)
class Share:
    """What one process runs: Schemathesis' phases of some operations, maybe the stateful phase,
    some of the targeted part's job groups."""

    operations: tuple[str, ...] = ()
    stateful: bool = False
    groups: tuple[int, ...] = ()
    cost: float = 0.0

    def describe(self) -> str:
        parts = []
        if self.operations:
            parts.append(f"Schemathesis' {', '.join(NON_STATEFUL_PHASES)} phases of {', '.join(self.operations)}")
        if self.stateful:
            parts.append("its stateful phase")
        if self.groups:
            parts.append(f"{len(self.groups)} targeted request group(s)")
        return "; ".join(parts) or "nothing"


@dataclass(frozen=True)
class Plan:
    shares: tuple[Share, ...]
    """The first is this process's; each other one is a forked child's."""
    asked: int
    largest: Unit | None = None
    """The largest unit, when it is why fewer processes than asked run."""
    total: float = 0.0
    """The expected cost of the whole run (seconds of one process)."""

    def note(self, embedded: bool) -> str:
        """The summary's line about the processes (and, when N was capped, why)."""
        count = len(self.shares)
        text = (f"--workers {self.asked}: {count} processes ran the run (this one and {count - 1} forked), sharing "
                "Schemathesis' operations (its stateful phase whole, in one of them) and the targeted requests")
        if embedded:
            text += "; each tested its own forked copy of the embedded mock"
        if count < self.asked:
            why = (f"the largest unit, {self.largest.label}, is about 1/{self.total / self.largest.cost:.0f} of "
                   "the run" if self.largest
                   else f"the run has {count} unit(s) of work")
            text += f"; capped at {count}, as more processes would not help ({why})"
        return text


def _schema_nodes(contract: Contract, node: Any, depth: int = 0) -> int:
    """How many nodes a request schema has once dereferenced: what generating its cases costs."""
    node = contract.deref(node)
    if depth > 20:  # a recursive schema: deep enough to count as large
        return 0
    if isinstance(node, dict):
        return 1 + sum(_schema_nodes(contract, value, depth + 1) for value in node.values())
    if isinstance(node, list):
        return sum(_schema_nodes(contract, value, depth + 1) for value in node)
    return 0


def operation_cost(contract: Contract, op: Operation, max_examples: int) -> float:
    """Expected seconds of Schemathesis' examples, coverage and fuzzing phases of `op`."""
    nodes = _schema_nodes(contract, contract.resolve(op.body_pointer)) if op.body_pointer else 0
    base = (OPERATION_SECONDS + SCHEMA_NODE_SECONDS * nodes
            + PARAMETER_SECONDS * (len(op.path_parameters) + len(op.query_parameters)))
    return base * (1 - FUZZING_SHARE + FUZZING_SHARE * max_examples / 10)


def unit_costs(contract: Contract, operations: Collection[str], group_sizes: Sequence[int], max_examples: int
               ) -> list[Unit]:
    """Every unit of a split run, in a fixed order (document order, stateful, then the groups)."""
    units = [Unit("operation", op.operation_id, operation_cost(contract, op, max_examples))
             for op in contract.operations.values() if op.operation_id in operations]
    units.append(Unit("stateful", "stateful", STATEFUL_SECONDS * max_examples / 10))
    units += [Unit("targeted", str(index), JOB_SECONDS * size) for index, size in enumerate(group_sizes) if size]
    return units


def plan(units: Sequence[Unit], workers: int) -> Plan:
    """Share `units` between at most `workers` processes: largest first, onto the least loaded
    (the lowest index on ties). Fewer processes when more would not help: no more than the total
    cost over the largest unit (rounded up), never one without work."""
    total = sum(unit.cost for unit in units)
    largest = max(units, key=lambda unit: unit.cost, default=None)
    useful = len(units) if largest is None or largest.cost <= 0 else math.ceil(total / largest.cost - 1e-9)
    count = max(1, min(workers, len(units), useful))
    loads = [0.0] * count
    assigned: list[list[Unit]] = [[] for _ in range(count)]
    order = sorted(range(len(units)), key=lambda index: (-units[index].cost, index))
    for index in order:
        target = min(range(count), key=lambda k: (loads[k], k))
        loads[target] += units[index].cost
        assigned[target].append(units[index])
    position = {unit: index for index, unit in enumerate(units)}
    shares = []
    for load, mine in zip(loads, assigned, strict=True):
        mine.sort(key=lambda unit: position[unit])
        shares.append(Share(
            operations=tuple(u.key for u in mine if u.kind == "operation"),
            stateful=any(u.kind == "stateful" for u in mine),
            groups=tuple(int(u.key) for u in mine if u.kind == "targeted"),
            cost=load,
        ))
    return Plan(tuple(shares), workers, largest if count < workers and count == useful else None, total)


# -- what the processes share ---------------------------------------------------------------------
@dataclass
class PhaseOutcome:
    """What a child's share produced, picklable: all the parent merges into the run."""

    findings: list[Finding] = field(default_factory=list)
    operations: dict[str, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    rules_seen_rejected: set[str] = field(default_factory=set)
    stricter_accepted: set[str] = field(default_factory=set)
    notes: dict[str, str] = field(default_factory=dict)
    """`CheckEnv.notes`: key -> text."""
    interactions: dict[str, str] = field(default_factory=dict)
    others: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    rules: dict[str, str] = field(default_factory=dict)
    """The targeted verdicts of the rules whose group the child ran."""
    targeted_notes: list[str] = field(default_factory=list)
    """What the child's targeted jobs noted (`Probes.notes`)."""

    @classmethod
    def of(cls, env: CheckEnv, ledger: Ledger, errors: list[str]) -> PhaseOutcome:
        with env.lock:
            return cls(
                findings=list(env.findings), operations=dict(env.operations), counts=dict(env.counts),
                rules_seen_rejected=set(env.rules_seen_rejected), stricter_accepted=set(env.stricter_accepted),
                notes=dict(env.notes),
                interactions=dict(ledger.interactions), others=list(ledger.others), errors=list(errors),
            )

    def merge_into(self, env: CheckEnv, ledger: Ledger) -> None:
        """Add the child's outcome to the parent's; the suite sorts findings by a stable key afterwards."""
        with env.lock:
            env.findings += self.findings
            for name, count in self.operations.items():
                env.operations[name] = env.operations.get(name, 0) + count
            for name, count in self.counts.items():
                env.counts[name] = env.counts.get(name, 0) + count
            env.rules_seen_rejected |= self.rules_seen_rejected
            env.stricter_accepted |= self.stricter_accepted
        for key, text in self.notes.items():
            env.note(text, key)  # the same rule as in one process: one note per key, the smallest text
        for interaction, channel in self.interactions.items():
            ledger.interactions.setdefault(interaction, channel)
        ledger.others += self.others

    def merge_targeted(self, targeted: Targeted) -> None:
        """Add the child's rule verdicts and notes to the parent's targeted part (groups never
        share a rule, so no verdict is overwritten)."""
        targeted.probes.rules.update(self.rules)
        targeted.probes.notes += self.targeted_notes


def _afresh(env: CheckEnv, ledger: Ledger) -> None:
    """In a child: forget what the parent recorded before the fork (the set-up's checks, its
    creates): the parent reports that itself, and the child sends back only its own share."""
    with env.lock:
        env.findings, env.counts, env.operations, env.notes, env.setup = [], {}, {}, {}, {}
        env.rules_seen_rejected, env.stricter_accepted = set(), set()
    ledger.interactions, ledger.others = {}, []


@dataclass
class Workload:
    """Everything a process of a split run needs for its share, built before the fork (each child
    works on its own copy of it)."""

    env: CheckEnv
    ledger: Ledger
    targeted: Targeted
    groups: list[list[Job]]
    """The targeted part's job groups (`Targeted.prepare`), drawn once, here."""
    run_phases: Callable[..., list[str]]
    """`engine.execute` bound to the run: (env, *, phases, operation_ids, workers, progress) -> errors."""
    selected: tuple[str, ...]
    """The run's `--operation-id`s (all when empty): the stateful phase's operations."""
    new_client: Callable[[], Client]
    """A client of the run's target of the child's own (no connection shared with the parent)."""

    def run(self, share: Share, progress: Callable[[str], None]) -> list[str]:
        """Run `share` in this process; returns run-level errors (connection...)."""
        errors: list[str] = []
        if share.operations:
            errors += self.run_phases(self.env, phases=NON_STATEFUL_PHASES, operation_ids=share.operations,
                                      workers=SCHEMATHESIS_WORKERS, progress=progress)
        if share.stateful and not errors:
            errors += self.run_phases(self.env, phases=("stateful",), operation_ids=self.selected,
                                      workers=SCHEMATHESIS_WORKERS, progress=progress)
        if share.groups and not errors:
            self.targeted.send([self.groups[index] for index in share.groups])
        return sorted(set(errors))

    def in_child(self, share: Share, progress: Callable[[str], None]) -> PhaseOutcome:
        """Run `share` in a forked child and return what the parent merges."""
        planned_rules, planned_notes = set(self.targeted.rules), len(self.targeted.probes.notes)
        _afresh(self.env, self.ledger)
        self.targeted.use(self.new_client())
        errors = self.run(share, progress)
        outcome = PhaseOutcome.of(self.env, self.ledger, errors)
        outcome.rules = {rule: verdict for rule, verdict in self.targeted.rules.items() if rule not in planned_rules}
        outcome.targeted_notes = self.targeted.probes.notes[planned_notes:]
        return outcome


class ChildFailed(Exception):
    """A child process crashed, hung or could not send its outcome."""


def fork_available() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def threads_started_since(before: Collection[int]) -> list[str]:
    """Names of live threads that were not there when the run started (idents in `before`)."""
    return [t.name for t in threading.enumerate() if t.ident not in before and t.is_alive()]


def _forget_inherited_portal() -> Any:
    """In the child: drop Schemathesis' process-wide ASGI event-loop thread inherited from the parent.

    Schemathesis (4.x, `schemathesis.python.asgi`) serves in-process apps through one blocking portal
    (an event-loop thread) per process, started on first use and kept until exit; an earlier run in
    the parent's process may have started it. A fork copies the portal's handle but not its thread,
    so a child using it would wait forever: forget it and let the child start its own. The old
    handle is returned, for the child to keep referenced until it exits (`_ABANDONED`): closing it,
    or letting it be collected (which closes its generator), would wait on the missing thread too."""
    try:
        from schemathesis.python import asgi
    except ImportError:
        return None
    if getattr(asgi, "_PORTAL", None) is None:
        return None
    abandoned = (asgi._STACK, asgi._PORTAL, dict(getattr(asgi, "_LIFESPANS", {})))
    asgi._LOCK = threading.Lock()
    asgi._STACK = ExitStack()
    asgi._PORTAL = None
    for registry in ("_LIFESPANS", "_STARTUP_LOCKS"):
        table = getattr(asgi, registry, None)
        if isinstance(table, dict):
            table.clear()
    return abandoned


Work = Callable[[], PhaseOutcome]
"""A child's share, bound (`Workload.in_child`): runs in the child, on the forked copy of everything."""


def _child_main(conn: Connection, work: Work) -> None:
    """The child process: run its share, send the outcome (or what went wrong), exit."""
    try:
        _ABANDONED.append(_forget_inherited_portal())
        message: tuple[str, Any] = ("ok", work())
    except BaseException as exc:  # report whatever it is: the parent turns it into a run-level error
        message = ("error", f"{type(exc).__name__}: {exc}")
    try:
        conn.send(message)
    except Exception as exc:  # e.g. an outcome that does not pickle
        conn.send(("error", f"could not send the outcome: {type(exc).__name__}: {exc}"))
    finally:
        conn.close()


@dataclass
class ChildPhases:
    """A forked child running its share of the run."""

    process: BaseProcess
    conn: Connection
    share: str
    """What it runs, for messages (`Share.describe`)."""
    started: float = field(default_factory=time.monotonic)

    @property
    def pid(self) -> int | None:
        return self.process.pid

    @classmethod
    def start(cls, work: Work, share: str) -> ChildPhases:
        """Fork the child (the caller checked `fork_available` and that the run started no thread);
        `work` runs in the child, on the forked copy of everything, so it need not pickle."""
        context = multiprocessing.get_context("fork")
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(target=_child_main, args=(sender, work), name="contract-kit-share", daemon=True)
        process.start()
        sender.close()  # the parent keeps only the reading end: a dead child then reads as EOF
        return cls(process, receiver, share)

    def _failed(self, what: str) -> ChildFailed:
        return ChildFailed(f"the process running {self.share} (pid {self.pid}) {what}")

    def collect(self, timeout: float) -> PhaseOutcome:
        """The child's outcome, waiting at most `timeout` seconds; `ChildFailed` otherwise.
        The child is reaped in every case."""
        try:
            if not self.conn.poll(timeout):
                raise self._failed(f"did not finish within {timeout:.0f} s after the rest of the run; it was stopped")
            try:
                kind, payload = self.conn.recv()
            except (EOFError, OSError):
                self.process.join(_REAP_SECONDS)
                raise self._failed(f"exited without a result ({_exit_text(self.process.exitcode)})") from None
            if kind != "ok" or not isinstance(payload, PhaseOutcome):
                raise self._failed(f"failed: {payload}")
            self.stop(grace=_REAP_SECONDS)  # it sent its outcome: it is exiting
            return payload
        finally:
            self.stop()

    def stop(self, grace: float = 0.0) -> None:
        """Make sure the child is gone and reaped (no zombie), whatever state it is in: wait `grace`
        seconds for it to exit by itself, then terminate it, then kill it."""
        process = self.process
        if process.pid is None:
            return
        process.join(grace)
        if process.is_alive():
            process.terminate()
            process.join(_REAP_SECONDS)
        if process.is_alive():
            process.kill()
            process.join()
        if not self.conn.closed:
            self.conn.close()


@dataclass
class SharedRun:
    """A split run under way: the children forked, this process's own share still to run."""

    workload: Workload
    plan: Plan
    children: list[ChildPhases]

    @classmethod
    def start(cls, workload: Workload, plan: Plan, progress: Callable[[str], None]) -> SharedRun:
        """Fork a child for every share but the first (this process's)."""
        workload.targeted.workers = SCHEMATHESIS_WORKERS
        children: list[ChildPhases] = []
        for number, share in enumerate(plan.shares[1:], start=2):
            def prefixed(message: str, number: int = number) -> None:
                progress(f"[process {number}] {message}")

            children.append(ChildPhases.start(functools.partial(workload.in_child, share, prefixed), share.describe()))
            progress(f"--workers: process {number} (pid {children[-1].pid}) runs {share.describe()}")
        progress(f"--workers: this process runs {plan.shares[0].describe()}")
        return cls(workload, plan, children)

    def run_own(self, progress: Callable[[str], None]) -> list[str]:
        return self.workload.run(self.plan.shares[0], progress)

    def collect_into(self, env: CheckEnv, ledger: Ledger, targeted: Targeted, parent_seconds: float
                     ) -> tuple[list[str], list[str]]:
        """Wait for every child (`wait_for(parent_seconds)` in all) and merge its outcome, in the
        plan's order; returns (children that failed, run-level errors they met). A failed child is
        reported, never skipped silently."""
        deadline = time.monotonic() + wait_for(parent_seconds)
        failures: list[str] = []
        errors: list[str] = []
        for child in self.children:
            try:
                outcome = child.collect(max(0.0, deadline - time.monotonic()))
            except ChildFailed as exc:
                failures.append(str(exc))
                continue
            errors += outcome.errors
            outcome.merge_into(env, ledger)
            outcome.merge_targeted(targeted)
        return failures, sorted(set(errors))

    def stop(self) -> None:
        for child in self.children:
            child.stop()


def _exit_text(code: int | None) -> str:
    if code is None:
        return "still running"
    if code < 0:
        return f"killed by signal {-code}"
    return f"exit status {code}"
