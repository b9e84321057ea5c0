"""How fast is `validate`? Figures and ratios against anchors measured in the same run.

    python benchmarks/validate.py [--seconds 1.0] [--payloads 20000] [--runs 7] [--compare DIR]

In process. Mix: the 21 valid cells and every invalid CreateInteraction example shipped in
examples/payloads, in decoded form and in wire form (Channel/Routing as JSON strings). Anchors:
jsonschema-rs `is_valid` on the same request schema (a yes/no, no report), pure-Python jsonschema
`iter_errors` (a report), and `json.loads` of the same wire fields. The rounds of the workloads
compared are interleaved, and each figure is the best round, so a busy machine skews them alike.

Whole process. A file of `--payloads` payloads (that mix, decoded, repeated) is written to a
temporary directory; `contract-kit validate --format text|json|junit` on it is timed against a
bare Python process that `json.load`s the same file and runs jsonschema-rs `iter_errors` over it
with the operation's request schema (compiled from a JSON copy). Each process runs once to warm
up, then `--runs` times, interleaved; the best wall-clock time and the best CPU time (user +
system, which a busy machine skews least) count. Both run from cached bytecode (in the temporary
directory), as an installed package does. Start-up (`--help`, `--version`, `validate` on one
small file) is timed the same way. `--compare DIR` also times the command from another source
tree (e.g. `git archive HEAD contract_kit openapi | tar -x -C DIR`).

Targets: wire validation within 3x the cost of json.loads of the same fields (issue 2); the
whole `validate` process within 2.0x the bare process, aiming at 1.5x (issue "Fast and
unbreakable", goal 1).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema_rs

from contract_kit import default_contract, validator_for
from contract_kit.wire import encode_form

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "payloads"
FORMATS = ("text", "json", "junit")
BARE = """\
import json, sys
import jsonschema_rs
with open(sys.argv[1], "rb") as f:
    payloads = json.load(f)
with open(sys.argv[2], "rb") as f:
    schema = json.load(f)
validator = jsonschema_rs.Draft202012Validator(schema, validate_formats=False)
errors = sum(len(list(validator.iter_errors(p))) for p in payloads)
"""
"""The anchor process: what a script doing only the schema's part of the job costs."""
OURS = "from contract_kit.cli import main; main()"


def payload_mix() -> list[Any]:
    files = sorted((EXAMPLES / "valid").glob("*.json")) + sorted((EXAMPLES / "invalid").glob("*.json"))
    return [json.loads(p.read_text()) for p in files]


def rates(workloads: Sequence[tuple[str, list[Any], Callable[[Any], object]]], seconds: float) -> list[float]:
    """Payloads per second of each workload: the best of its rounds, the rounds of all workloads
    interleaved (ten rounds each, `seconds / 10` per round)."""
    best = [0.0] * len(workloads)
    for _ in range(10):
        for i, (_, items, work) in enumerate(workloads):
            done, start = 0, time.perf_counter()
            while (elapsed := time.perf_counter() - start) < seconds / 10:
                for item in items:
                    work(item)
                done += len(items)
            best[i] = max(best[i], done / elapsed)
    for (label, _, _), rate in zip(workloads, best, strict=True):
        print(f"{label:<58} {rate:>12,.0f} payloads/s")
    return best


def in_process(seconds: float) -> None:
    contract = default_contract()
    validator = validator_for("CreateInteraction")
    decoded = payload_mix()
    objects = [p for p in decoded if isinstance(p, dict)]
    wire = [encode_form(p, ["Channel", "Routing"]) for p in objects]
    json_fields = [[v for k, v in w.items() if k in ("Channel", "Routing")] for w in wire]
    root = contract.request_schema("CreateInteraction")
    rs = jsonschema_rs.Draft202012Validator(root)
    py = jsonschema.Draft202012Validator(root)
    invalid = sum(not validator.validate(p).valid for p in decoded)
    print(f"mix: {len(decoded)} payloads ({invalid} invalid), {len(wire)} in wire form\n")

    def loads(fields: list[str]) -> object:
        return [json.loads(f) for f in fields]

    # clean: no violation at all (a payload breaking only a rule of ours is valid, with a warning)
    valid_wire = [w for w in wire if not validator.validate(w).violations]
    valid_fields = [[v for k, v in w.items() if k in ("Channel", "Routing")] for w in valid_wire]
    ours, rs_rate = rates(
        [
            ("contract-kit validate, decoded, full report", decoded, validator.validate),
            ("jsonschema-rs is_valid, decoded (no report)", objects, rs.is_valid),
        ],
        seconds,
    )
    (py_rate,) = rates(
        [("jsonschema (pure Python) iter_errors, decoded", objects, lambda p: list(py.iter_errors(p)))], seconds / 2
    )
    ours_wire, loads_rate = rates(
        [
            ("contract-kit validate, wire form, full report", wire, validator.validate),
            ("json.loads of the same wire fields", json_fields, loads),
        ],
        seconds,
    )
    ours_valid_wire, loads_valid = rates(
        [
            ("contract-kit validate, wire form, clean payloads only", valid_wire, validator.validate),
            ("json.loads of those wire fields", valid_fields, loads),
        ],
        seconds,
    )
    print()
    print(f"ours / jsonschema-rs is_valid:      {ours / rs_rate:6.2f}x the rate")
    print(f"ours / pure-Python jsonschema:      {ours / py_rate:6.1f}x the rate")
    print(f"wire cost / json.loads cost, mix:   {loads_rate / ours_wire:6.2f}x   (target <= 3x)")
    print(f"wire cost / json.loads cost, clean: {loads_valid / ours_valid_wire:6.2f}x")
    print(f"decoded target 100,000/s:           {'met' if ours >= 100_000 else 'NOT met'} ({ours:,.0f}/s)")


def whole_process(count: int, runs: int, compare: Path | None) -> None:
    """Time the `validate` command and the bare anchor as processes, on one generated file; and the
    start-up of the command (`--help`, `--version`, one small file) against `python -c pass`."""
    with tempfile.TemporaryDirectory(prefix="contract-kit-bench-") as tmp:
        work = Path(tmp)
        payloads = list(itertools.islice(itertools.cycle(payload_mix()), count))
        data = work / "payloads.json"
        data.write_text(json.dumps(payloads, indent=2), encoding="utf-8")
        schema = work / "schema.json"
        schema.write_text(json.dumps(default_contract().request_schema("CreateInteraction")), encoding="utf-8")
        size = data.stat().st_size
        bare = work / "bare.py"
        bare.write_text(BARE, encoding="utf-8")
        invalid = sum(not validator_for("CreateInteraction").validate(p).valid for p in payloads)
        expected = 1 if invalid else 0
        trees = _trees(work, compare)
        commands = [
            ("bare: json.load + jsonschema-rs iter_errors", [str(bare), str(data), str(schema)], trees[0][1], 0)
        ]
        commands += [
            (
                f"contract-kit validate --format {fmt}{suffix}",
                ["-c", OURS, "validate", "--format", fmt, str(data)],
                env,
                expected,
            )
            for suffix, env in trees
            for fmt in FORMATS
        ]
        wall, cpu = _best_times(commands, runs, work)
        one = str(EXAMPLES / "valid" / "sms-agent.json")
        starts = [("python -c pass", ["-c", "pass"], trees[0][1], 0)]
        starts += [
            (f"contract-kit {label}{suffix}", ["-c", OURS, *args], env, 0)
            for suffix, env in trees
            for label, args in (
                ("--help", ["--help"]),
                ("--version", ["--version"]),
                ("validate sms-agent.json", ["validate", one]),
            )
        ]
        start_wall, start_cpu = _best_times(starts, runs, work)

    print(
        f"\nwhole process: {count:,} payloads ({invalid:,} invalid, {size / 1e6:.1f} MB of JSON), best of {runs} runs;"
        " wall clock, and CPU time (user + system: what a busy machine skews least)"
    )
    width = max(len(label) for label, *_ in [*commands, *starts])
    for i, (label, *_) in enumerate(commands):
        ratios = f"{wall[i] / wall[0]:5.2f}x  {cpu[i] / cpu[0]:5.2f}x cpu" if i else ""
        print(f"{label:<{width}} {wall[i]:6.3f} s {cpu[i]:6.3f} s cpu   {ratios}")
    for name, times in (("wall clock", wall), ("CPU time", cpu)):
        worst = max(times[1 : 1 + len(FORMATS)]) / times[0]
        verdict = "met" if worst <= 2.0 else "NOT met"
        print(f"target <= 2.0x (aim 1.5x), {name + ':':<12} {verdict} (worst format {worst:.2f}x)")
    print("\nstart-up (pre-commit runs `validate` on a few small files at every commit)")
    for i, (label, *_) in enumerate(starts):
        print(f"{label:<{width}} {start_wall[i] * 1000:6.1f} ms {start_cpu[i] * 1000:6.1f} ms cpu")


def _trees(work: Path, compare: Path | None) -> list[tuple[str, dict[str, str]]]:
    """(label suffix, environment) of each source tree timed: this one, and `--compare`'s. Bytecode
    is cached in `work` (as an installed package has it), and so is the parsed contract."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env |= {"PYTHONPYCACHEPREFIX": str(work / "pycache"), "CONTRACT_KIT_CACHE_DIR": str(work / "cache")}
    trees = [("", env)]
    if compare is not None:
        path = os.pathsep.join(filter(None, [str(compare), env.get("PYTHONPATH", "")]))
        trees.append((f" [{compare}]", env | {"PYTHONPATH": path}))
    return trees


def _best_times(
    commands: list[tuple[str, list[str], dict[str, str], int]], runs: int, cwd: Path
) -> tuple[list[float], list[float]]:
    """Best wall-clock and CPU seconds of each Python command line; the runs interleaved, after one
    to warm up (bytecode, the contract cache, the page cache)."""
    wall = [float("inf")] * len(commands)
    cpu = [float("inf")] * len(commands)
    for round_ in range(runs + 1):
        for i, (label, argv, env, expected) in enumerate(commands):
            elapsed, used, code, stderr = run_process([sys.executable, *argv], cwd, env)
            if code != expected:
                raise SystemExit(f"{label}: exit {code}, expected {expected}\n{stderr[-2000:]}")
            if round_:
                wall[i], cpu[i] = min(wall[i], elapsed), min(cpu[i], used)
    return wall, cpu


def run_process(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, int, str]:
    """Wall-clock seconds, CPU seconds (NaN where the platform does not say), exit code, stderr."""
    start = time.perf_counter()
    process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert process.stderr is not None
    stderr = process.stderr.read().decode(errors="replace")
    process.stderr.close()
    if hasattr(os, "wait4"):
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        used = usage.ru_utime + usage.ru_stime
    else:  # pragma: no cover - Windows
        process.wait()
        used = float("nan")
    return time.perf_counter() - start, used, process.returncode, stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="time per in-process measurement")
    parser.add_argument("--payloads", type=int, default=20_000, help="payloads in the whole-process file")
    parser.add_argument("--runs", type=int, default=7, help="timed runs of each process")
    parser.add_argument("--compare", type=Path, help="a source tree whose `validate` is timed too")
    parser.add_argument("--skip-in-process", action="store_true", help="only the whole-process figures")
    args = parser.parse_args()
    if args.compare is not None and not (args.compare / "contract_kit").is_dir():
        parser.error(f"--compare {args.compare}: no contract_kit package there")
    if not args.skip_in_process:
        in_process(args.seconds)
    whole_process(args.payloads, args.runs, args.compare.resolve() if args.compare else None)


if __name__ == "__main__":
    main()
