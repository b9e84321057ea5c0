"""Benchmark `contract-kit run`: a default full run (14 operations) in process vs over loopback,
--workers 1 vs 2, and against Prism where npm is available. Wall time and requests/s.

    python benchmarks/run.py [--seed N] [--max-examples N]
"""

from __future__ import annotations

import argparse
import importlib
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from contract_kit.mock import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, MockServer
from contract_kit.run import RunOptions, RunResult, UsageError, run_suite

ENV = {"TWILIO_ACCOUNT_SID": DEFAULT_ACCOUNT_SID, "TWILIO_AUTH_TOKEN": DEFAULT_AUTH_TOKEN}


def _line(label: str, result: RunResult, wall: float) -> str:
    return (f"{label:<34} {wall:6.1f} s  {result.cases:6d} requests  {result.cases / wall:7.0f} req/s  "
            f"exit {result.exit_code}")


def _timed(options: RunOptions) -> tuple[RunResult, float]:
    started = time.perf_counter()
    result = run_suite(options)
    return result, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-examples", type=int, default=RunOptions().max_examples)
    args = parser.parse_args()
    common = {"seed": args.seed, "max_examples": args.max_examples}
    print(f"default full run, seed {args.seed}, max-examples {args.max_examples}")
    for workers in (1, 2):
        result, wall = _timed(RunOptions(workers=workers, **common))
        print(_line(f"in process (ASGI), workers {workers}", result, wall))
    for workers in (1, 2):
        with MockServer() as server:
            result, wall = _timed(RunOptions(base_url=server.url, env=ENV, workers=workers, **common))
        print(_line(f"loopback (uvicorn), workers {workers}", result, wall))
    _prism(common)


def _prism(common: dict[str, int]) -> None:
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
                result, wall = _timed(RunOptions(base_url=f"http://127.0.0.1:{port}", env=ENV, **common))
            except UsageError as exc:
                print(f"prism: the run could not complete ({exc})")
                return
            print(_line("prism (vendor reference document)", result, wall)
                  + f", {len(result.minimal_findings())} distinct failures")
        finally:
            helper.stop(process)

if __name__ == "__main__":
    main()
