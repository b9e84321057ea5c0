"""How much does re-validating a cassette add to loading it? Figures and the ratio, in one run.

    python benchmarks/cassettes.py [--interactions 10000] [--rounds 3] [--source sms-api] [--profile]

A cassette of `--interactions` interactions is written to a temporary directory in vcrpy's YAML
format (vcrpy's own serializer): the interactions of a shipped cassette, repeated, each repetition
with fresh SIDs (the same length, so bodies and Content-Length stay consistent). Then, in rounds
that alternate the two:

* anchor: vcrpy loading it, `vcr.serialize.deserialize(text, yamlserializer)` on the file's text;
* ours: `contract_kit.cassettes.check_cassette(path)`: reading the file, loading it (the bounded
  `load_yaml` handing its data to vcrpy's cassette reading), and re-validating every interaction
  (request verdict, response conformance, secrets);
* and, to split ours, `load_cassette(path)` alone: the bounded load without re-validation;
* and, for a fair anchor, vcrpy's load with the cyclic garbage collector paused, as `load_cassette`
  pauses it (the collector's passes over the freshly loaded objects are most of a plain load).

Each figure is the best round, wall-clock and CPU time (user + system, which a busy machine skews
least), so a busy machine skews both alike; the ratio is ours / anchor.
Goal (issue "Cassettes as regression suites", item 7): re-validation adds less than 50 % to vcrpy's
own load (ratio < 1.5). `--profile` prints where `check_cassette`'s time goes (cProfile, by own time).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import hashlib
import io
import json
import pstats
import re
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

CASSETTES = Path(__file__).resolve().parent.parent / "cassettes"
SID = re.compile(r"(?<![A-Za-z0-9])([A-Z]{2})[0-9a-f]{32}(?![A-Za-z0-9])")
GOAL = 1.5


def build(source: Path, count: int, out: Path) -> Path:
    """`out/big.yaml`: `count` interactions of `source`, repeated with fresh SIDs, written by vcrpy."""
    from vcr.serializers import yamlserializer

    interactions = yaml.safe_load(source.read_text(encoding="utf-8"))["interactions"]
    template = json.dumps(interactions)
    made: list[Any] = []
    repetition = 0
    while len(made) < count:
        repetition += 1

        def fresh(match: re.Match[str], n: int = repetition) -> str:
            return match[1] + hashlib.md5(f"{match[0]}:{n}".encode()).hexdigest()

        made += json.loads(SID.sub(fresh, template))
    path = out / "big.yaml"
    path.write_text(yamlserializer.serialize({"version": 1, "interactions": made[:count]}), encoding="utf-8")
    return path


def best(rounds: int, workloads: dict[str, Callable[[], Any]]) -> dict[str, tuple[float, float]]:
    """(best wall-clock seconds, best CPU seconds) of each workload, their rounds interleaved."""
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in workloads}
    for _ in range(rounds):
        for name, work in workloads.items():
            wall, cpu = time.perf_counter(), time.process_time()
            work()
            times[name].append((time.perf_counter() - wall, time.process_time() - cpu))
    return {name: (min(w for w, _ in values), min(c for _, c in values)) for name, values in times.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--interactions", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--source", default="sms-api", help="the shipped cassette repeated (default sms-api)")
    parser.add_argument("--profile", action="store_true", help="also profile one check_cassette")
    args = parser.parse_args(argv)

    from vcr.serialize import deserialize
    from vcr.serializers import yamlserializer

    from contract_kit.cassettes import check_cassette, load_cassette
    from contract_kit.contract import default_contract

    default_contract()  # the contract is read once per process: not the cassette's cost
    with tempfile.TemporaryDirectory() as tmp:
        path = build(CASSETTES / f"{args.source}.yaml", args.interactions, Path(tmp))
        size = path.stat().st_size

        def vcrpy() -> Any:
            return deserialize(path.read_text(encoding="utf-8"), yamlserializer)

        def paused_vcrpy() -> Any:
            gc.disable()
            try:
                return vcrpy()
            finally:
                gc.enable()

        def ours() -> Any:
            report = check_cassette(path)
            if not report.ok or len(report.interactions) != args.interactions:
                raise SystemExit(f"the generated cassette does not check clean: {report.describe()[:3]}")
            return report

        ours()  # warm up: compiled validators, imports
        workloads = {"vcrpy": vcrpy, "ours": ours, "load": lambda: load_cassette(path), "paused": paused_vcrpy}
        figures = best(args.rounds, workloads)
        print(f"cassette: {args.interactions:,} interactions of {args.source}.yaml, {size / 1e6:.1f} MB")
        print(f"  {'':38s} {'wall':>7s}    {'CPU':>7s}")
        for name, label in (
            ("vcrpy", "vcrpy load (deserialize)"),
            ("ours", "check_cassette (load + re-validate)"),
            ("load", "  of which load_cassette"),
            ("paused", "vcrpy load, collector paused (as ours)"),
        ):
            wall, cpu = figures[name]
            print(f"  {label:38s} {wall:7.3f} s  {cpu:7.3f} s  {args.interactions / cpu:9,.0f} interactions/CPU s")
            if name == "load":
                print(f"  {'  of which re-validation':38s} {'':9s}  {figures['ours'][1] - cpu:7.3f} s")
        for what, index in (("wall", 0), ("CPU", 1)):
            ratio = figures["ours"][index] / figures["vcrpy"][index]
            verdict = "met" if ratio < GOAL else "NOT met"
            print(f"ratio ours / vcrpy ({what}): {ratio:.2f}x (adds {ratio - 1:.0%}; goal < {GOAL}x: {verdict})")
        paused = figures["ours"][1] / figures["paused"][1]
        print(f"ratio ours / vcrpy with the collector paused too (CPU): {paused:.2f}x")
        if args.profile:
            profiler = cProfile.Profile()
            profiler.runcall(check_cassette, path)
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(15)
            print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
