"""What one process saw of the session's Flex traffic, kept in `config.stash` (no module state).

Under pytest-xdist every worker keeps its own ledger and hands it to the controller as plain data
(`Ledger.to_wire`, in `config.workeroutput`); the controller merges each one in
`pytest_testnodedown`, so the end of the session reads one ledger however the tests were spread.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from ..contract import Contract
    from ..validate import Report

WORKER_OUTPUT_KEY = "contract_kit"
CELL_OPERATION = "CreateInteraction"  # contract.DEFAULT_OPERATION; the operation whose cells are counted

Cell = tuple[str, ...]


@dataclass
class Coverage:
    """Which CreateInteraction cells the session sent valid, and which rules its requests broke.

    The universe (every cell, every rule) comes from the contracts the requests were judged
    against, so a controller that loaded no contract still reports totals."""

    dimensions: tuple[str, ...] = ()
    cells: set[Cell] = field(default_factory=set)
    rules: set[str] = field(default_factory=set)
    sent_valid: Counter[Cell] = field(default_factory=Counter)
    broken: Counter[str] = field(default_factory=Counter)
    requests: Counter[str] = field(default_factory=Counter)
    """Judged requests per operation."""
    _paths: dict[Contract, tuple[tuple[str, ...], ...]] = field(default_factory=dict, repr=False)
    """Per contract: where each dimension sits in a decoded payload (learnt once)."""

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())

    def learn(self, contract: Contract) -> None:
        """Take the cells and rules of `contract` into the universe (once per contract)."""
        if contract in self._paths:
            return
        from ..strategies import cells, dimensions

        self.rules |= set(contract.rules)
        if CELL_OPERATION not in contract.operations:  # a document of other operations: rules only
            self._paths[contract] = ()
            return
        found = dimensions(CELL_OPERATION, contract)
        names = tuple(d.name for d in found)
        self._paths[contract] = tuple(tuple(str(p) for p in d.path) for d in found)
        self.dimensions = self.dimensions or names
        if names == self.dimensions:
            self.cells |= {tuple(str(c[n]) for n in names) for c in cells(CELL_OPERATION, contract)}

    def count(self, contract: Contract, report: Report, instance: Callable[[], Any]) -> None:
        """One judged request: its broken rules, and its cell when it is a valid CreateInteraction.

        `instance` gives the decoded payload; it is asked for only when a cell is wanted."""
        self.learn(contract)
        self.requests[report.operation] += 1
        self.broken.update(report.rule_ids)
        if report.operation == CELL_OPERATION and report.valid:
            cell = _cell(instance(), self._paths[contract])
            if cell is not None and cell in self.cells:
                self.sent_valid[cell] += 1

    def to_wire(self) -> dict[str, Any]:
        return {
            "dimensions": list(self.dimensions),
            "cells": [list(c) for c in sorted(self.cells)],
            "rules": sorted(self.rules),
            "sent_valid": [[list(c), n] for c, n in sorted(self.sent_valid.items())],
            "broken": dict(self.broken),
            "requests": dict(self.requests),
        }

    def merge(self, wire: Mapping[str, Any]) -> None:
        self.dimensions = self.dimensions or tuple(wire.get("dimensions", ()))
        self.cells |= {tuple(c) for c in wire.get("cells", ())}
        self.rules |= set(wire.get("rules", ()))
        self.sent_valid.update({tuple(c): int(n) for c, n in wire.get("sent_valid", ())})
        self.broken.update({str(k): int(v) for k, v in dict(wire.get("broken", {})).items()})
        self.requests.update({str(k): int(v) for k, v in dict(wire.get("requests", {})).items()})


def _cell(instance: Any, paths: tuple[tuple[str, ...], ...]) -> Cell | None:
    values = []
    for path in paths:
        node = instance
        for step in path:
            node = node.get(step) if isinstance(node, Mapping) else None
        if node is None:
            return None
        values.append(str(node))
    return tuple(values)


@dataclass
class Ledger:
    """The session as one process saw it: cassettes opened, tests that should have, and coverage."""

    cassettes: set[str] = field(default_factory=set)
    """Resolved paths of the cassettes tests opened (recorded or replayed)."""
    roots: set[str] = field(default_factory=set)
    """The `flex_cassette_dir` of those tests: where unused cassettes are looked for."""
    marked: set[str] = field(default_factory=set)
    """Node ids of the flex_cassette tests collected (every worker collects them all)."""
    opened: set[str] = field(default_factory=set)
    """Node ids of the flex_cassette tests that got as far as naming their cassette."""
    deselected: set[str] = field(default_factory=set)
    """Node ids of flex_cassette tests deselected (`-k`, `-m`, ...)."""
    coverage: Coverage = field(default_factory=Coverage)

    def note_cassette(self, nodeid: str, root: Path, path: Path) -> None:
        self.opened.add(nodeid)
        self.roots.add(str(root.resolve()))
        self.cassettes.add(str(path.resolve()))

    @property
    def not_run(self) -> set[str]:
        """flex_cassette tests whose cassette is unknown: skipped, deselected, or not reached."""
        return (self.marked - self.opened) | self.deselected

    def to_wire(self) -> dict[str, Any]:
        """Plain lists and dicts: what execnet carries from a worker to the controller."""
        return {
            "cassettes": sorted(self.cassettes),
            "roots": sorted(self.roots),
            "marked": sorted(self.marked),
            "opened": sorted(self.opened),
            "deselected": sorted(self.deselected),
            "coverage": self.coverage.to_wire(),
        }

    def merge(self, wire: Mapping[str, Any]) -> None:
        for name in ("cassettes", "roots", "marked", "opened", "deselected"):
            getattr(self, name).update(str(item) for item in wire.get(name, ()))
        self.coverage.merge(wire.get("coverage", {}))


LEDGER = pytest.StashKey[Ledger]()


def ledger(config: pytest.Config) -> Ledger:
    """This process's ledger of the session."""
    return config.stash.setdefault(LEDGER, Ledger())


class XdistHooks:
    """The controller's side of xdist: merge each worker's ledger as the worker goes down.

    Registered only when pytest-xdist is installed, since pytest does not know the hook otherwise."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object | None) -> None:
        output = getattr(node, "workeroutput", None) or {}
        wire = output.get(WORKER_OUTPUT_KEY)
        if isinstance(wire, Mapping):
            ledger(self.config).merge(wire)
