"""Valid payloads/s and cell/rule coverage: contract_kit.strategies vs hypothesis-jsonschema vs Schemathesis.

    python benchmarks/generate.py [--examples N] [--operation ID ...]

For each operation, each generator draws N examples through the same Hypothesis driver
(generate phase only, fixed seed, no database). Reported: valid payloads per second (wall clock,
including our validator's verdict on every example), the cells (dimension values, e.g.
type x initiated_by) hit by valid payloads, and the rules broken *alone* (the only error) by some
example. `contract_kit` is `payloads()` alone (the throughput figure); `contract_kit (+rules)`
spends the same N examples on a mix of valid payloads and one `violating()` stream per rule,
which is how it reaches every rule; the anchors generate what they generate.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from contract_kit import default_contract, validate
from contract_kit.strategies import dimensions, engine_for, payloads, rules_covered, violating
from contract_kit.strategies.engine import get_at


def drive(strategy: st.SearchStrategy[Any], n: int) -> tuple[list[Any], float]:
    out: list[Any] = []

    @seed(20240601)
    @settings(max_examples=n, phases=[Phase.generate], database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def run(value: Any) -> None:
        out.append(value)

    start = time.perf_counter()
    run()
    return out, time.perf_counter() - start


def ours(operation: str) -> st.SearchStrategy[Any]:
    return payloads(operation)


def ours_mixed(operation: str) -> st.SearchStrategy[Any]:
    streams = [payloads(operation)] + [violating(r, operation) for r in sorted(rules_covered(operation))]
    return st.one_of(streams)


def hypothesis_jsonschema(operation: str) -> st.SearchStrategy[Any]:
    from hypothesis_jsonschema import from_schema

    contract = default_contract()
    op = contract.operation(operation)
    root = {**contract.resolve(op.body_pointer or ""), "components": contract.document["components"]}
    return from_schema(root)


def schemathesis_body(operation: str) -> st.SearchStrategy[Any]:
    import schemathesis

    contract = default_contract()
    op = contract.operation(operation)
    api_op = schemathesis.openapi.from_dict(contract.document)[op.path][op.method]
    return api_op.as_strategy().map(lambda case: case.body)


def measure(name: str, make: Callable[[str], st.SearchStrategy[Any]], operation: str, n: int) -> dict[str, Any]:
    dims = dimensions(operation)
    try:
        examples, seconds = drive(make(operation), n)
    except Exception as exc:  # an anchor that cannot generate for this schema at all
        return {"name": name, "error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:90]}"}
    valid, cells, rules = 0, set(), set()
    for example in examples:
        report = validate(example, operation)
        if report.valid:
            valid += 1
            cells.add(tuple(get_at(example, d.path)[1] for d in dims))
        errors = {v.rule for v in report.errors}
        if len(errors) == 1:
            rules |= errors
        rules |= {v.rule for v in report.warnings} if report.valid else set()
    return {"name": name, "n": len(examples), "valid": valid, "seconds": seconds,
            "rate": valid / seconds if seconds else 0.0, "cells": len(cells), "rules": len(rules)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", "-n", type=int, default=300)
    parser.add_argument("--operation", action="append")
    args = parser.parse_args()
    for operation in args.operation or ["CreateInteraction", "UpdateInteractionChannel"]:
        n_cells = len(engine_for(operation).cells())
        n_rules = len(rules_covered(operation))
        print(f"\n{operation}: {args.examples} examples each; {n_cells} cells, {n_rules} rules")
        rows = [measure(name, make, operation, args.examples) for name, make in
                [("contract_kit", ours), ("contract_kit (+rules)", ours_mixed),
                 ("hypothesis-jsonschema", hypothesis_jsonschema),
                 ("schemathesis", schemathesis_body)]]
        base = rows[0]
        print(f"  {'generator':22} {'valid/s':>9} {'valid':>7} {'cells':>7} {'rules':>7} {'ours/x':>8}")
        for row in rows:
            if "error" in row:
                print(f"  {row['name']:22} cannot generate: {row['error']}")
                continue
            ratio = base["rate"] / row["rate"] if row["rate"] else float("inf")
            print(f"  {row['name']:22} {row['rate']:9.0f} {row['valid']:4}/{row['n']:<3}"
                  f" {row['cells']:3}/{n_cells:<3} {row['rules']:3}/{n_rules:<3} {ratio:8.2f}")


if __name__ == "__main__":
    main()
