"""How fast is `validate`? Figures and ratios against anchors measured in the same run.

    python benchmarks/validate.py [--seconds 0.5]

Mix: the 21 valid cells and every invalid CreateInteraction example shipped in
examples/payloads, in decoded form and in wire form (Channel/Routing as JSON strings).
Anchors: jsonschema-rs `is_valid` on the same request schema (a yes/no, no report),
pure-Python jsonschema `iter_errors` (a report), and `json.loads` of the same wire fields.
Targets (issue 2): >= 100,000 decoded payloads/s with full reports; wire validation within
3x the cost of json.loads of the same fields.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema_rs

from contract_kit import default_contract, validator_for
from contract_kit.wire import encode_form

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "payloads"


def payload_mix() -> list[Any]:
    files = sorted((EXAMPLES / "valid").glob("*.json")) + sorted((EXAMPLES / "invalid").glob("*.json"))
    return [json.loads(p.read_text()) for p in files]


def rate(label: str, items: list[Any], work: Callable[[Any], object], seconds: float) -> float:
    """Payloads per second: best of five rounds of at least `seconds / 5` each."""
    best = 0.0
    for _ in range(5):
        done, start = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - start) < seconds / 5:
            for item in items:
                work(item)
            done += len(items)
        best = max(best, done / elapsed)
    print(f"{label:<58} {best:>12,.0f} payloads/s")
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="time per measurement")
    seconds = parser.parse_args().seconds

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

    ours = rate("contract-kit validate, decoded, full report", decoded, validator.validate, seconds)
    ours_wire = rate("contract-kit validate, wire form, full report", wire, validator.validate, seconds)
    rs_rate = rate("jsonschema-rs is_valid, decoded (no report)", objects, rs.is_valid, seconds)
    py_rate = rate(
        "jsonschema (pure Python) iter_errors, decoded", objects, lambda p: list(py.iter_errors(p)), seconds / 2
    )
    loads = rate("json.loads of the same wire fields", json_fields, lambda fs: [json.loads(f) for f in fs], seconds)

    # clean: no violation at all (a payload breaking only a rule of ours is valid, with a warning)
    valid_wire = [w for w in wire if not validator.validate(w).violations]
    valid_fields = [[v for k, v in w.items() if k in ("Channel", "Routing")] for w in valid_wire]
    ours_valid_wire = rate(
        "contract-kit validate, wire form, clean payloads only", valid_wire, validator.validate, seconds
    )
    loads_valid = rate("json.loads of those wire fields", valid_fields, lambda fs: [json.loads(f) for f in fs], seconds)

    print()
    print(f"ours / jsonschema-rs is_valid:      {ours / rs_rate:6.2f}x the rate")
    print(f"ours / pure-Python jsonschema:      {ours / py_rate:6.1f}x the rate")
    print(f"wire cost / json.loads cost, mix:   {loads / ours_wire:6.2f}x   (target <= 3x)")
    print(f"wire cost / json.loads cost, clean: {loads_valid / ours_valid_wire:6.2f}x")
    print(f"decoded target 100,000/s:           {'met' if ours >= 100_000 else 'NOT met'} ({ours:,.0f}/s)")


if __name__ == "__main__":
    main()
