"""`--workers N` (N > 1) against an unbounded target: Schemathesis' phases split across two processes.

The run is CPU-bound Python in the client (generation, serialisation, our checks), so threads
cannot overlap it (the GIL). Against the embedded mock or a loopback URL (no write budget), the
run forks one child process that runs `CHILD_PHASES` with its own `CheckEnv` and `Ledger`, while
the parent runs `PARENT_PHASES` and then the targeted part; the child sends back, pickled,
everything the report needs (`PhaseOutcome`) and the parent merges it. Two processes whatever N
is: a 2-core machine gains nothing from more, and the split follows the phases' measured shares
(examples 0.2 s, coverage 1.5 s, fuzzing 1.4 s, stateful 0.7 s, targeted 0.75 s at the defaults).

* The child is forked (`multiprocessing`'s "fork" start method) before this run starts any thread
  (Schemathesis' workers, the targeted part's pool). The suite keeps the run in one process when
  the platform has no "fork" start method (Windows) or when a thread the run started is still
  alive; "fork" is asked for explicitly, whatever the platform's default start method is. Threads
  that were there before the run (a test runner's, an earlier run's) are not copied into the child;
  the one that matters, Schemathesis' ASGI event-loop thread, is forgotten there
  (`_forget_inherited_portal`).
* With the embedded mock the child works on its forked copy of the in-process app, with its own
  store: its stateful phase creates the resources it follows, so nothing it needs lives in the
  parent's copy (and the parent's targeted set-up creates its own).
* Bounded targets (off loopback, a write budget) never get here: the write budget and the safety
  net (`safety.WriteGuard`) must see every write of the run, which they cannot across processes.
* A child that crashes or hangs does not hang the run: `ChildPhases.collect` waits at most
  `wait_for(parent_seconds)` after the parent's own share, then terminates (and if need be kills)
  and always reaps it; the run reports a run-level error (exit 2).
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections.abc import Callable, Collection
from contextlib import ExitStack
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from ..contract import Contract
from .checks import CheckEnv
from .report import Finding
from .safety import Ledger

CHILD_PHASES: tuple[str, ...] = ("examples", "coverage", "stateful")
PARENT_PHASES: tuple[str, ...] = ("fuzzing",)
SCHEMATHESIS_WORKERS = 1
"""Schemathesis' worker threads in each of the two processes: CPU-bound, more threads gain nothing."""
WAIT_FLOOR = 60.0
"""Seconds the parent waits for the child at least, after its own share (twice a request timeout)."""
WAIT_FACTOR = 3.0
"""...and at most this many times the parent's own share (the split gives both about as much work)."""
_REAP_SECONDS = 5.0
_ABANDONED: list[Any] = []
"""In a forked child only: what it inherited from the parent's threads and must never close. It
must outlive every frame, up to the process's exit (collecting it would close Schemathesis' ASGI
portal and wait forever on a thread the fork did not copy), hence a module-level list."""


def wait_for(parent_seconds: float) -> float:
    """How long to wait for the child once the parent's own share (`parent_seconds`) is done."""
    return max(WAIT_FLOOR, WAIT_FACTOR * parent_seconds)


@dataclass
class PhaseOutcome:
    """What the child's phases produced, picklable: all the parent merges into the run."""

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


class ChildFailed(Exception):
    """The child process crashed, hung or could not send its outcome."""


Execute = Callable[[CheckEnv], list[str]]
"""Runs the child's phases into the given env; returns run-level errors (engine.execute, bound)."""


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


def _child_main(conn: Connection, contract: Contract, execute: Execute, strict: bool = False) -> None:
    """The child process: run the phases, send the outcome (or what went wrong), exit."""
    try:
        _ABANDONED.append(_forget_inherited_portal())
        ledger = Ledger()
        env = CheckEnv(contract, strict=strict, on_exchange=ledger.record)
        errors = execute(env)
        message: tuple[str, Any] = ("ok", PhaseOutcome.of(env, ledger, errors))
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
    """A forked child running some of Schemathesis' phases."""

    process: BaseProcess
    conn: Connection
    phases: tuple[str, ...]
    started: float = field(default_factory=time.monotonic)

    @property
    def pid(self) -> int | None:
        return self.process.pid

    @classmethod
    def start(cls, contract: Contract, execute: Execute, phases: tuple[str, ...], *, strict: bool = False
              ) -> ChildPhases:
        """Fork the child (the caller checked `fork_available` and that the run started no thread);
        `execute` runs in the child, on the forked copy of everything, so it need not pickle."""
        context = multiprocessing.get_context("fork")
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(target=_child_main, args=(sender, contract, execute, strict),
                                  name="contract-kit-phases", daemon=True)
        process.start()
        sender.close()  # the parent keeps only the reading end: a dead child then reads as EOF
        return cls(process, receiver, phases)

    def collect(self, timeout: float) -> PhaseOutcome:
        """The child's outcome, waiting at most `timeout` seconds; `ChildFailed` otherwise.
        The child is reaped in every case."""
        try:
            if not self.conn.poll(timeout):
                raise ChildFailed(
                    f"the process running Schemathesis' {', '.join(self.phases)} phase(s) (pid {self.pid}) did "
                    f"not finish within {timeout:.0f} s after the rest of the run; it was stopped"
                )
            try:
                kind, payload = self.conn.recv()
            except (EOFError, OSError):
                self.process.join(_REAP_SECONDS)
                raise ChildFailed(
                    f"the process running Schemathesis' {', '.join(self.phases)} phase(s) (pid {self.pid}) "
                    f"exited without a result ({_exit_text(self.process.exitcode)})"
                ) from None
            if kind != "ok" or not isinstance(payload, PhaseOutcome):
                raise ChildFailed(f"the process running Schemathesis' {', '.join(self.phases)} phase(s) failed: "
                                  f"{payload}")
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


def _exit_text(code: int | None) -> str:
    if code is None:
        return "still running"
    if code < 0:
        return f"killed by signal {-code}"
    return f"exit status {code}"
