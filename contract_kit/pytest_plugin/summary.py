"""The end of a session: what the traffic covered, its JSON report, and the cassettes no test used.

It runs where the whole session is known: in the process that ran the tests, or in the xdist
controller once every worker's ledger is merged. `finish` decides (and may fail the session);
`write` says it in the terminal summary.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from .ledger import CELL_OPERATION, Coverage, Ledger, ledger

UNUSED_MODES = ("off", "warn", "fail")


@dataclass(frozen=True)
class Unused:
    """The cassettes under the session's cassette directories that no test opened."""

    mode: str
    roots: tuple[Path, ...]
    files: tuple[Path, ...]
    not_run: int
    """flex_cassette tests whose cassette is unknown (skipped, deselected, not reached): theirs may
    be among `files`, so the list is then no reason to fail."""

    @property
    def fails(self) -> bool:
        return self.mode == "fail" and bool(self.files) and not self.not_run


@dataclass(frozen=True)
class Outcome:
    """What the terminal summary says; computed once, in `finish`."""

    coverage: Coverage | None
    """The session's coverage, when it is to be shown (any Flex traffic, or a report asked for)."""
    report_path: Path | None
    report_error: str | None
    """Why the coverage report could not be written (the session then fails)."""
    unused: Unused | None
    base: Path
    """The invocation directory, which paths are shown relative to."""


OUTCOME = pytest.StashKey[Outcome]()


def finish(session: pytest.Session) -> None:
    """Write the coverage report, find unused cassettes, and fail the session when
    `--flex-unused-cassettes=fail` found some."""
    config = session.config
    book = ledger(config)
    base = config.invocation_params.dir
    report_option = config.getoption("flex_coverage_report")
    report_path = base / report_option if report_option else None
    coverage = book.coverage
    report_error = None
    if report_path is not None:
        if not coverage.rules:  # no request was judged: totals from the default contract
            from ..contract import default_contract

            coverage.learn(default_contract())
        try:
            report_path.parent.mkdir(parents=True, exist_ok=True)
            report_path.write_text(json.dumps(coverage_json(coverage), indent=2) + "\n", encoding="utf-8")
        except OSError as exc:
            report_error = f"{type(exc).__name__}: {exc}"
    mode = config.getoption("flex_unused_cassettes")
    unused = None
    if mode != "off" and not config.option.collectonly:
        unused = _unused(config, book, mode)
    if (report_error or (unused and unused.fails)) and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    shown = coverage if coverage.total_requests or report_path is not None else None
    config.stash[OUTCOME] = Outcome(shown, report_path, report_error, unused, base)


def coverage_json(coverage: Coverage) -> dict[str, Any]:
    """The coverage report: cells sent valid and rules broken, each with its request count, and
    those not yet reached."""
    names = coverage.dimensions
    covered = {c: n for c, n in coverage.sent_valid.items() if c in coverage.cells}
    broken = {r: n for r, n in coverage.broken.items() if r in coverage.rules}
    return {
        "requests": coverage.total_requests,
        "operations": dict(sorted(coverage.requests.items())),
        "cells": {
            "operation": CELL_OPERATION,
            "dimensions": list(names),
            "total": len(coverage.cells),
            "sent_valid": len(covered),
            "covered": [{**dict(zip(names, c, strict=True)), "requests": n} for c, n in sorted(covered.items())],
            "missing": [dict(zip(names, c, strict=True)) for c in sorted(coverage.cells - covered.keys())],
        },
        "rules": {
            "total": len(coverage.rules),
            "broken": len(broken),
            "covered": [{"rule": r, "requests": n} for r, n in sorted(broken.items())],
            "missing": sorted(coverage.rules - broken.keys()),
        },
    }


def coverage_line(coverage: Coverage) -> str:
    report = coverage_json(coverage)
    cells, rules, n = report["cells"], report["rules"], report["requests"]
    judged = f"{n} request{'s' if n != 1 else ''} judged"
    return (
        f"contract-kit coverage: cells {cells['sent_valid']}/{cells['total']}, "
        f"rules broken {rules['broken']}/{rules['total']} ({judged})"
    )


def write(reporter: Any, config: pytest.Config) -> None:
    """The contract-kit section of the terminal summary (nothing when there is nothing to say)."""
    outcome = config.stash.get(OUTCOME, None)
    if outcome is None or (outcome.coverage is None and outcome.unused is None):
        return
    reporter.write_sep("-", "contract-kit")
    if outcome.coverage is not None:
        _write_coverage(reporter, config, outcome)
    if outcome.unused is not None:
        _write_unused(reporter, outcome.unused, outcome.base)


def _write_coverage(reporter: Any, config: pytest.Config, outcome: Outcome) -> None:
    assert outcome.coverage is not None
    reporter.write_line(coverage_line(outcome.coverage))
    if outcome.report_path is not None:
        where = _show(outcome.report_path, outcome.base)
        if outcome.report_error is None:
            reporter.write_line(f"contract-kit coverage report: {where}")
        else:
            reporter.write_line(
                f"contract-kit: cannot write the coverage report {where}: {outcome.report_error}", red=True
            )
    if config.get_verbosity() > 0:
        report = coverage_json(outcome.coverage)
        missing_cells = ["/".join(c.values()) for c in report["cells"]["missing"]]
        reporter.write_line(f"  cells not sent valid: {', '.join(missing_cells) or '(none)'}")
        reporter.write_line(f"  rules not broken: {', '.join(report['rules']['missing']) or '(none)'}")


def _write_unused(reporter: Any, unused: Unused, base: Path) -> None:
    where = ", ".join(_show(r, base) for r in unused.roots)
    if not unused.roots:
        reporter.write_line(
            "contract-kit: no cassette directory to look for unused cassettes in "
            "(no flex_cassette test ran; --flex-cassette-dir names one)"
        )
        return
    if not unused.files:
        reporter.write_line(f"contract-kit: every cassette under {where} was used")
        return
    n = len(unused.files)
    head = f"contract-kit: {n} cassette{'s' if n != 1 else ''} under {where} no test used"
    if unused.not_run:
        k = unused.not_run
        head += (
            f" (not conclusive: {k} flex_cassette test{'s were' if k != 1 else ' was'} skipped, deselected or "
            f"not reached, and {'their cassettes' if k != 1 else 'its cassette'} may be among them"
            + ("; the session does not fail for it)" if unused.mode == "fail" else ")")
        )
    elif unused.fails:
        head += " (--flex-unused-cassettes=fail: the session fails; delete them or run the tests that use them)"
    markup = {"red": True} if unused.fails else {"yellow": True}
    reporter.write_line(head + ":", **markup)
    for path in unused.files:
        reporter.write_line(f"  {_show(path, base)}", **markup)


def _unused(config: pytest.Config, book: Ledger, mode: str) -> Unused:
    from ..cassettes import cassette_files

    roots = {Path(r) for r in book.roots}
    option = config.getoption("flex_cassette_dir")
    if option:
        roots.add((config.invocation_params.dir / option).resolve())
    present = {p.resolve() for p in cassette_files(sorted(r for r in roots if r.is_dir()))}
    files = sorted(p for p in present if str(p) not in book.cassettes)
    return Unused(mode, tuple(sorted(roots)), tuple(files), len(book.not_run))


def _show(path: Path, base: Path) -> str:
    try:
        return str(path.relative_to(base.resolve()))
    except ValueError:
        return str(path)
