"""What the suite sends on purpose, whatever Schemathesis happens to generate: the scheduler.

* set-up and stateful properties (`scenarios`): the creates the selected operations need, then
  create == fetch, updates visible on fetch, channels leave `setup`, credentials required,
  accounts isolated;
* probes (`probes`): a valid CreateInteraction per channel type x initiated_by cell, boundary
  values, junk bodies, every rule broken alone (warnings carried, which must be accepted).
Every request goes through `sender.Sender`: the run's scope, the write budget, and the same checks
as Schemathesis' cases (`checks.CheckEnv.evaluate`).

Concurrency (`workers`): the set-up and the updates run in order; everything between
(credentials, cells, edges, junk, every rule broken alone) is independent requests, drawn first
in a fixed order (the strategies are seeded) and then sent by `workers` threads. Verdicts are
collected in the drawing order, and the suite sorts findings by a stable key, so a report does
not depend on which request finished first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ..contract import Contract
from .checks import CheckEnv
from .client import Client
from .probes import STRICTER_ACCEPTED, Probes
from .safety import WriteBudget
from .scenarios import Scenarios, setup_writes
from .sender import Job, Resources, Sender

__all__ = ["STRICTER_ACCEPTED", "Targeted", "setup_writes"]

T = TypeVar("T")


@dataclass
class Targeted:
    client: Client
    env: CheckEnv
    budget: WriteBudget
    seed: int
    operations: frozenset[str]
    progress: Callable[[str], None] = lambda _: None
    workers: int = 1
    settle_timeout: float = 10.0
    sender: Sender = field(init=False)
    scenarios: Scenarios = field(init=False)
    probes: Probes = field(init=False)

    def __post_init__(self) -> None:
        self.sender = Sender(self.client, self.env, self.budget, self.operations)
        self.scenarios = Scenarios(self.sender, self.draw_valid, self.settle_timeout)
        self.probes = Probes(self.sender, self.seed, self.draw_valid)

    @property
    def contract(self) -> Contract:
        return self.env.contract

    @property
    def resources(self) -> Resources:
        return self.sender.resources

    @property
    def rules(self) -> dict[str, str]:
        """rule id -> "pass", "fail" or "n/a: why" (every rule broken alone)."""
        return self.probes.rules

    @property
    def notes(self) -> list[str]:
        return self.scenarios.notes + self.probes.notes

    def use(self, client: Client) -> None:
        """Send through `client` from now on (a forked process's own, `split`)."""
        self.client = client
        self.sender.client = client

    def draw_valid(self, operation: str, **pins: Any) -> Any:
        from ..strategies import generate, payloads

        return generate(payloads(operation, shape="wire", **pins), count=1, seed=self.seed)[0]

    def parallel(self, jobs: Sequence[Callable[[], T]]) -> list[T]:
        """Run independent jobs on `workers` threads; results in the jobs' order, not completion order."""
        if self.workers <= 1 or len(jobs) <= 1:
            return [job() for job in jobs]
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="contract-kit-targeted") as pool:
            return list(pool.map(lambda job: job(), jobs))

    def prepare(self) -> list[list[Job]]:
        """The set-up (sent now, in order), then every independent job, drawn in a fixed order and
        grouped: a group's jobs must run in one process (the requests breaking one rule make one
        verdict); groups are independent of each other (`split` shares them between processes)."""
        self.progress("targeted: setting up what the selected operations need")
        self.scenarios.setup()
        groups: list[list[Job]] = []
        self.progress("targeted: credentials and account isolation")
        groups += [[job] for job in self.scenarios.auth_scenarios()]
        if self.sender.wanted("CreateInteraction"):
            self.progress("targeted: one valid CreateInteraction per channel type x initiated_by cell")
        groups += [[job] for job in self.probes.cells()]
        self.progress("targeted: edge values and junk bodies")
        groups += [[job] for job in self.probes.edges()]
        groups += [[job] for job in self.probes.junk()]
        self.progress("targeted: every rule broken alone")
        groups += self.probes.negative_groups()
        return groups

    def send(self, groups: Sequence[Sequence[Job]]) -> None:
        """Send `groups`' jobs (on `workers` threads), then record their outcomes in the planned order."""
        jobs = [job for group in groups for job in group]
        if self.workers > 1:
            self.progress(f"targeted: sending {len(jobs)} independent request groups on {self.workers} threads")
        for finish in self.parallel(jobs):
            finish()

    def conclude(self) -> None:
        """The updates, once every job is done: they change what the set-up created."""
        self.scenarios.updates(self.seed)
