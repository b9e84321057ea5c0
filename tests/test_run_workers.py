"""`run --workers N`: the run shared between up to N forked processes reports what one process does.

What is compared with `--workers 1` for the same seed (`_same_report`): every finding's check, rule
and operation, except those of Schemathesis' own stateful-phase checks (that phase chains calls on
whatever the store holds, which differs once the other units run elsewhere); every rule's verdict;
the operations tested; the checks run. Request counts are not compared (the stateful phase's
chains, again)."""

from __future__ import annotations

import json
import os
import time
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from contract_kit.cli import main
from contract_kit.mock import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, MockServer
from contract_kit.run import RunOptions, RunResult, run_suite, split
from contract_kit.run.split import Unit, plan

STATEFUL_CHECKS = frozenset({"ensure_resource_availability", "use_after_free"})
"""Schemathesis' checks of its stateful phase: not compared (see the module's docstring)."""
OPERATIONS = ("CreateInteraction", "FetchInteraction", "UpdateInteraction", "ListInteractionChannel")
"""A few operations, enough for the faults below and for the set-up's chains (cheap runs)."""
FAULTS = ["", "lost-state", "accept-rule:email.from", "ignored-updates", "reject-cell"]
CLEAN_ENV = {"TWILIO_ACCOUNT_SID": "", "TWILIO_AUTH_TOKEN": "", "TWILIO_API_KEY": "", "TWILIO_API_SECRET": ""}


def _options(fault: str, workers: int, **more: Any) -> RunOptions:
    return RunOptions(seed=1, max_examples=3, operation_ids=OPERATIONS, faults=(fault,) if fault else (),
                      workers=workers, **more)


@cache
def _one_process(fault: str) -> RunResult:
    return run_suite(_options(fault, 1))


def _compared(result: RunResult) -> tuple[list[tuple[str, str, str]], dict[str, str], list[str], list[str]]:
    findings = sorted({(f.check, f.rule or "", f.exchange.operation) for f in result.findings
                       if f.check not in STATEFUL_CHECKS})
    return findings, dict(sorted(result.rules.items())), sorted(result.operations), sorted(result.checks)


def _processes_note(result: RunResult) -> str:
    notes = [note for note in result.notes if note.startswith("--workers")]
    assert len(notes) == 1, result.notes
    return notes[0]


@pytest.mark.parametrize("workers", [2, 3])
@pytest.mark.parametrize("fault", FAULTS, ids=[f or "faithful" for f in FAULTS])
def test_n_processes_report_what_one_process_reports(fault: str, workers: int) -> None:
    one, many = _one_process(fault), run_suite(_options(fault, workers))
    assert many.errors == [] and many.exit_code == one.exit_code == (1 if fault else 0), many.errors
    assert f"{workers} processes ran the run" in _processes_note(many)
    assert _compared(many) == _compared(one)
    if fault:
        named = {f.check for f in many.findings} | {f.rule for f in many.findings if f.rule}
        expected = {"lost-state": "create_equals_fetch", "accept-rule:email.from": "email.from",
                    "ignored-updates": "update_visible", "reject-cell": "cell:email/api"}[fault]
        assert expected in named, sorted(named)


def test_n_processes_on_loopback_report_what_one_process_reports() -> None:
    """A loopback server is shared by every process: the set-up's resources are there for all of
    them, and the updates wait until every process is done."""
    env = {"TWILIO_ACCOUNT_SID": DEFAULT_ACCOUNT_SID, "TWILIO_AUTH_TOKEN": DEFAULT_AUTH_TOKEN}
    results = []
    for workers in (1, 3):
        with MockServer(faults=("ignored-updates",)) as server:
            results.append(run_suite(_options("", workers, base_url=server.url, env=env)))
    one, three = results
    assert three.errors == [] and one.exit_code == three.exit_code == 1
    assert "3 processes ran the run" in _processes_note(three)
    assert _compared(three) == _compared(one)
    assert "update_visible" in {f.check for f in three.findings}


def test_the_cli_reports_the_same_with_workers_2(tmp_path: Path) -> None:
    reports = []
    for workers in ("1", "2"):
        directory = tmp_path / workers
        args = ["run", "--seed", "1", "--max-examples", "3", "--workers", workers, "--report-dir", str(directory)]
        for operation in OPERATIONS:
            args += ["--operation-id", operation]
        outcome = CliRunner().invoke(main, args, env=CLEAN_ENV)
        assert outcome.exit_code == 0, outcome.output
        reports.append(json.loads((directory / "report.json").read_text()))
    assert "2 processes ran the run" in outcome.output
    one, two = reports
    assert one["rules"] == two["rules"]
    assert sorted(one["operations"]) == sorted(two["operations"]) == sorted(OPERATIONS)
    assert sorted(one["checks"]) == sorted(two["checks"])


# -- failures ---------------------------------------------------------------------------------------
def _child_pids(messages: list[str]) -> list[int]:
    pids = [int(m.split("(pid ")[1].split(")")[0]) for m in messages if m.startswith("--workers: process ")]
    assert pids, messages
    return pids


def _reaped(pid: int) -> bool:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True  # already waited for: no zombie left behind
    return False


def test_a_crashing_child_is_a_run_level_error_and_the_others_still_count(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the process running the stateful phase dies: it is reported (exit 2), the other child's
    share and this process's still reach the report."""
    real = split._child_main

    def crash_with_stateful(conn: Any, work: Any) -> None:
        if work.args[0].stateful:
            os._exit(3)
        real(conn, work)

    monkeypatch.setattr(split, "_child_main", crash_with_stateful)
    messages: list[str] = []
    result = run_suite(_options("", 3), progress=messages.append)
    assert result.exit_code == 2
    assert [e for e in result.errors if "exited without a result (exit status 3)" in e and "stateful" in e] == \
        result.errors and len(result.errors) == 1, result.errors
    assert set(result.operations) == set(OPERATIONS)  # what the others tested is still reported
    assert all(_reaped(pid) for pid in _child_pids(messages))


def test_a_hanging_child_is_stopped_and_reaped(monkeypatch: pytest.MonkeyPatch) -> None:
    def hang(*_: object) -> None:
        time.sleep(3600)

    monkeypatch.setattr(split, "_child_main", hang)
    monkeypatch.setattr(split, "WAIT_FLOOR", 0.5)
    monkeypatch.setattr(split, "WAIT_FACTOR", 0.0)
    messages: list[str] = []
    result = run_suite(RunOptions(seed=1, workers=2, operation_ids=("FetchInteraction",)), progress=messages.append)
    assert result.exit_code == 2
    assert any("did not finish within" in error for error in result.errors), result.errors
    assert all(_reaped(pid) for pid in _child_pids(messages))


def test_a_failing_child_exits_2_from_the_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(conn: Any, *_: object) -> None:
        conn.send(("error", "RuntimeError: boom"))

    monkeypatch.setattr(split, "_child_main", fail)
    outcome = CliRunner().invoke(main, ["run", "--seed", "1", "--workers", "2", "--operation-id", "FetchInteraction"],
                                 env=CLEAN_ENV)
    assert outcome.exit_code == 2, outcome.output
    assert "RuntimeError: boom" in outcome.output
    assert "Traceback" not in outcome.output


# -- when the run stays in fewer processes ---------------------------------------------------------
def test_more_workers_than_useful_are_capped_and_the_summary_says_so() -> None:
    result = run_suite(RunOptions(seed=1, max_examples=2, workers=16, operation_ids=("FetchInteraction",)))
    assert result.exit_code == 0, result.errors
    note = _processes_note(result)
    ran = int(note.split(": ")[1].split(" processes")[0])
    assert 1 < ran < 16 and f"capped at {ran}" in note, note


def test_without_fork_the_run_stays_in_one_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(split, "fork_available", lambda: False)
    messages: list[str] = []
    result = run_suite(_options("", 3), progress=messages.append)
    assert result.exit_code == 0, result.errors
    assert any("cannot fork" in m for m in messages)
    assert not any(note.startswith("--workers") for note in result.notes)
    assert _compared(result) == _compared(_one_process(""))


def test_record_keeps_the_run_in_one_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("a recorded run must not fork")

    monkeypatch.setattr(split.ChildPhases, "start", refuse)
    result = run_suite(RunOptions(seed=1, max_examples=2, workers=2, operation_ids=("FetchInteraction",),
                                  record_dir=str(tmp_path)))
    assert result.exit_code == 0, result.errors
    assert any("--record keeps the run in one process" in note for note in result.notes)


# -- the plan ---------------------------------------------------------------------------------------
_units = st.lists(st.floats(min_value=0.001, max_value=5.0), min_size=1, max_size=40).map(
    lambda costs: [Unit("stateful", "stateful", costs[0])]
    + [Unit("operation" if i % 2 else "targeted", str(i), c) for i, c in enumerate(costs[1:], start=1)])


@given(units=_units, workers=st.integers(min_value=1, max_value=32))
def test_the_plan_runs_every_unit_once_in_at_most_n_busy_processes(units: list[Unit], workers: int) -> None:
    shared = plan(units, workers)
    assert 1 <= len(shared.shares) <= workers
    assert all(share.operations or share.stateful or share.groups for share in shared.shares)
    assert sum(share.stateful for share in shared.shares) == 1
    keys = [(u.kind, u.key) for u in units if u.kind != "stateful"]
    ran = [("operation", key) for share in shared.shares for key in share.operations] + [
        ("targeted", str(index)) for share in shared.shares for index in share.groups]
    assert sorted(ran) == sorted(keys)
    assert plan(units, workers) == shared  # deterministic
    largest = max(u.cost for u in units)
    assert max(share.cost for share in shared.shares) <= sum(u.cost for u in units) / len(shared.shares) + largest


def test_the_plan_never_uses_more_processes_than_the_largest_unit_allows() -> None:
    units = [Unit("stateful", "stateful", 1.0), Unit("operation", "A", 1.0), Unit("targeted", "0", 0.5)]
    shared = plan(units, 8)
    assert len(shared.shares) == 3  # ceil(2.5 / 1.0)
    assert "capped at 3" in shared.note(embedded=True) and "stateful phase" in shared.note(embedded=True)
