"""Benchmark `contract-kit run`: a default full run (14 operations) in process vs over loopback,
--workers 1, 2 and 4, and against Prism where npm is available. Wall time, requests, requests/s,
and the speed-up of each --workers against --workers 1 measured in the same run, with the
machine's core count (more client processes than free cores cannot help).

The loopback runs test the mock served by uvicorn in a separate process (`python -m
contract_kit.cli mock --port P`, a fresh one per run), so the server does not share the run's
GIL: that is the shape of a real endpoint (and it needs a core of its own). `--workers N` against
either shares the run between up to N client processes (`contract_kit/run/split.py`).

One untimed warm-up run first (imports, caches), so that the first timed configuration does not
pay for them; each configuration then runs `--repeat` times and the median wall time is shown.

    python benchmarks/run.py [--seed N] [--max-examples N] [--repeat N]
"""

from __future__ import annotations

import argparse
import importlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from contract_kit.mock import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN  # noqa: E402
from contract_kit.run import RunOptions, RunResult, UsageError, run_suite  # noqa: E402

ENV = {"TWILIO_ACCOUNT_SID": DEFAULT_ACCOUNT_SID, "TWILIO_AUTH_TOKEN": DEFAULT_AUTH_TOKEN}


def _line(label: str, result: RunResult, wall: float) -> str:
    return (f"{label:<40} {wall:6.1f} s  {result.cases:6d} requests  {result.cases / wall:7.0f} req/s  "
            f"exit {result.exit_code}")


def _each(walls: list[float]) -> str:
    return "  (runs: " + ", ".join(f"{w:.1f}" for w in walls) + " s)" if len(walls) > 1 else ""


def _timed(options: RunOptions) -> tuple[RunResult, float]:
    started = time.perf_counter()
    result = run_suite(options)
    return result, time.perf_counter() - started


def _median_run(options: RunOptions, repeat: int, url: Callable[[], AbstractContextManager[str]] | None = None
                ) -> tuple[RunResult, float, list[float]]:
    """`repeat` runs of `options` (each against a fresh `url()` when given): last result, median, all walls."""
    walls: list[float] = []
    result: RunResult | None = None
    for _ in range(repeat):
        if url is None:
            result, wall = _timed(options)
        else:
            with url() as base_url:
                result, wall = _timed(replace(options, base_url=base_url))
        walls.append(wall)
    assert result is not None
    return result, statistics.median(walls), walls


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def mock_process(timeout: float = 30.0) -> Iterator[str]:
    """`contract-kit mock` in its own process on a free loopback port; its URL once it listens."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "contract_kit.cli", "mock", "--port", str(port)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                error = process.stderr.read().decode(errors="replace") if process.stderr else ""
                raise RuntimeError(f"the mock process exited ({process.returncode}): {error[-500:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the mock did not listen on port {port} within {timeout} s") from None
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


WORKERS = (1, 2, 4)


def _usable_cores() -> int:
    """The cores this process may run on (a container or taskset may allow fewer than the machine has)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def _why_not(workers: int, usable: int, where: str) -> str:
    """Why `workers` client processes cannot all run at once here, when they cannot."""
    if workers > usable:
        return (f"; {workers} client processes on {usable} usable core(s) take turns: workers {workers} cannot beat "
                f"workers {usable} on this machine")
    if where == "loopback" and workers + 1 > usable:
        return f"; the server process shares the {usable} usable core(s) with the {workers} client processes"
    return ""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-examples", type=int, default=RunOptions().max_examples)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per configuration (median shown)")
    args = parser.parse_args()
    seed, max_examples, repeat = int(args.seed), int(args.max_examples), max(1, int(args.repeat))
    print(f"default full run, seed {seed}, max-examples {max_examples}, median of {repeat} run(s)")
    run_suite(RunOptions(seed=seed, max_examples=max_examples))  # warm-up, not timed
    cores, usable = os.cpu_count() or 1, _usable_cores()
    print(f"cores: os.cpu_count() = {cores}, usable by this process (sched_getaffinity) = {usable}")
    walls: dict[tuple[str, int], float] = {}
    for workers in WORKERS:
        result, wall, each = _median_run(RunOptions(workers=workers, seed=seed, max_examples=max_examples), repeat)
        walls["in process", workers] = wall
        print(_line(f"in process (ASGI), workers {workers}", result, wall) + _each(each))
    for workers in WORKERS:
        options = RunOptions(env=ENV, workers=workers, seed=seed, max_examples=max_examples)
        result, wall, each = _median_run(options, repeat, url=mock_process)
        walls["loopback", workers] = wall
        print(_line(f"loopback (uvicorn, own process), workers {workers}", result, wall) + _each(each))
    for where in ("in process", "loopback"):
        for workers in WORKERS[1:]:
            ratio = walls[where, 1] / walls[where, workers]
            verdict = "faster" if ratio > 1.05 else "NOT faster"
            print(f"{where}: speed-up of workers {workers} = workers 1 / workers {workers} wall time = {ratio:.2f}x "
                  f"({verdict}){_why_not(workers, usable, where)}")
    _prism(seed, max_examples)


def _prism(seed: int, max_examples: int) -> None:
    """Prism mocking the vendor's reference document, with benchmarks/mock.py's set-up helpers."""
    import tempfile

    if shutil.which("npm") is None and shutil.which("prism") is None:
        print("prism: skipped (npm is not available on this machine)")
        return
    helper = importlib.import_module("mock")  # benchmarks/mock.py, beside this file
    with tempfile.TemporaryDirectory(prefix="prism-") as workdir:
        binary, how = helper.find_prism(None, Path(workdir))
        if binary is None:
            print(f"prism: skipped ({how})")
            return
        port = helper.free_port()
        process = helper.start_prism(binary, helper.REFERENCE, port)
        try:
            helper.wait_listening(port, process)
            try:
                result, wall = _timed(RunOptions(base_url=f"http://127.0.0.1:{port}", env=ENV, seed=seed,
                                                 max_examples=max_examples))
            except UsageError as exc:
                print(f"prism: the run could not complete ({exc})")
                return
            print(_line("prism (vendor reference document)", result, wall)
                  + f", {len(result.minimal_findings())} distinct failures")
        finally:
            helper.stop(process)


if __name__ == "__main__":
    main()
