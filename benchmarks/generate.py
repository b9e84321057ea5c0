"""How fast are the strategies? Payloads/s, coverage, and ratios against anchors measured in the same run.

    python benchmarks/generate.py [--examples N] [--rounds R] [--operation ID ...] [--compare DIR]

Every generator draws N examples through the same Hypothesis driver as a property test
(`@given`, generate phase only, fixed seed, no database); the time is the driver's alone. The
rounds of all generators are interleaved and each rate is the best of R, so a busy machine skews
them alike. Afterwards each example gets our validator's verdict (untimed), for the coverage
columns: `valid` (examples valid by default), `cells` (dimension values, e.g. type x
initiated_by, of the valid ones) and `alone` (rules some example breaks as its only error).
`--compare DIR` adds the `payloads()` and `violating()` rows of another source tree's strategies
package, DIR/contract_kit/strategies (e.g. `mkdir DIR && git archive HEAD contract_kit | tar -x
-C DIR`), imported on top of this tree's contract and validator.

Rows:
* `payloads()`: valid payloads over every cell (target, issue "Fast and unbreakable": >= 2,000/s
  for CreateInteraction).
* `violating() mix`: one `violating()` stream per rule, `st.one_of` of them (target >= 200/s).
* `generate(payloads())`: the seeded API the run, the CLI and the document examples use.
* anchors: Hypothesis's `st.fixed_dictionaries` of CreateInteraction's shape with the same leaf
  strategies and no rules (what drawing that shape costs at all), hypothesis-jsonschema's
  `from_schema` on the request schema, Schemathesis's body strategy; `x anchor` divides a rate
  by the first anchor's. An anchor that cannot generate for a schema says why.
Scripts print figures; nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from contract_kit import default_contract, validate
from contract_kit.strategies import dimensions, engine_for, generate, payloads, rules_covered, violating
from contract_kit.strategies.engine import get_at
from contract_kit.strategies.values import FREE_TEXT_SAMPLES, e164, email_address, sid

SEED = 20240601


def drive(strategy: st.SearchStrategy[Any], n: int) -> tuple[list[Any], float]:
    out: list[Any] = []

    @seed(SEED)
    @settings(max_examples=n, phases=[Phase.generate], database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def run(value: Any) -> None:
        out.append(value)

    start = time.perf_counter()
    run()
    return out, time.perf_counter() - start


def by_generate(strategy: st.SearchStrategy[Any], n: int) -> tuple[list[Any], float]:
    start = time.perf_counter()
    out = generate(strategy, count=n, seed=SEED)
    return out, time.perf_counter() - start


def ours(operation: str) -> st.SearchStrategy[Any]:
    return payloads(operation)


def ours_violating(operation: str) -> st.SearchStrategy[Any]:
    return st.one_of([violating(r, operation) for r in sorted(rules_covered(operation))])


def fixed_dictionaries(operation: str) -> st.SearchStrategy[Any]:
    """CreateInteraction's members, optional ones optional, with our leaf strategies; no rules."""
    if operation != "CreateInteraction":
        raise NotImplementedError("written for CreateInteraction only")
    text = st.one_of(st.sampled_from(FREE_TEXT_SAMPLES), st.text(max_size=12))
    free = st.dictionaries(st.sampled_from(["language", "topic"]), st.integers(0, 9999), max_size=2)
    participant = st.fixed_dictionaries(
        {}, optional={"address": st.one_of(e164(), email_address()), "proxy_address": e164(), "identity": text}
    )
    channel = st.fixed_dictionaries(
        {"type": st.sampled_from(["sms", "whatsapp", "web", "chat", "email", "messenger", "gbm"]),
         "initiated_by": st.sampled_from(["customer", "agent", "api"])},
        optional={"sid": sid("CH"), "properties": st.fixed_dictionaries({"media_channel_sid": sid("CH")}),
                  "participants": st.lists(participant, max_size=2)},
    )
    routing = st.fixed_dictionaries({"properties": st.fixed_dictionaries(
        {"workspace_sid": sid("WS")},
        optional={"workflow_sid": sid("WW"), "queue_sid": sid("WQ"), "worker_sid": sid("WK"),
                  "task_channel_sid": sid("TC"), "task_channel_unique_name": text, "attributes": free,
                  "priority": st.integers(0, 100), "timeout": st.integers(1, 101)},
    )})
    return st.fixed_dictionaries(
        {"Channel": channel}, optional={"Routing": routing, "InteractionContextSid": sid("HQ"), "WebhookTtid": text}
    )


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
    api_op = schemathesis.openapi.from_dict(dict(contract.document))[op.path][op.method]
    return api_op.as_strategy().map(lambda case: case.body)


Driver = Callable[[st.SearchStrategy[Any], int], tuple[list[Any], float]]
Make = Callable[[str], st.SearchStrategy[Any]]
GENERATORS: list[tuple[str, Make, Driver, bool]] = [
    # name, strategy, driver, anchor?
    ("payloads()", ours, drive, False),
    ("violating() mix", ours_violating, drive, False),
    ("generate(payloads())", ours, by_generate, False),
    ("fixed_dictionaries", fixed_dictionaries, drive, True),
    ("hypothesis-jsonschema", hypothesis_jsonschema, drive, True),
    ("schemathesis", schemathesis_body, drive, True),
]


def other_tree(root: Path) -> list[tuple[str, Make, Driver, bool]]:
    """The `payloads()` and `violating()` rows of the strategies package under `root`."""
    name = "contract_kit._compared_strategies"
    package = root / "contract_kit" / "strategies"
    spec = importlib.util.spec_from_file_location(
        name, package / "__init__.py", submodule_search_locations=[str(package)]
    )
    if spec is None or spec.loader is None:
        raise SystemExit(f"no strategies package under {root}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)

    def theirs(operation: str) -> st.SearchStrategy[Any]:
        return module.payloads(operation)  # type: ignore[no-any-return]

    def theirs_violating(operation: str) -> st.SearchStrategy[Any]:
        return st.one_of([module.violating(r, operation) for r in sorted(rules_covered(operation))])

    return [(f"payloads() [{root.name}]", theirs, drive, False),
            (f"violating() mix [{root.name}]", theirs_violating, drive, False)]


def measure(generators: list[tuple[str, Make, Driver, bool]], operation: str, n: int, rounds: int
            ) -> list[dict[str, Any]]:
    """A row per generator; rounds interleaved across generators, the best one kept."""
    rows: list[dict[str, Any]] = []
    runs: list[tuple[int, st.SearchStrategy[Any], Driver]] = []
    for index, (name, make, driver, _) in enumerate(generators):
        try:
            strategy = make(operation)
            driver(strategy, min(n, 20))  # warm-up: what a first draw builds is not the rate
            runs.append((index, strategy, driver))
            rows.append({"name": name, "rate": 0.0, "examples": []})
        except Exception as exc:  # an anchor that cannot generate for this schema at all
            rows.append({"name": name, "error": f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0][:80]}"})
    for _ in range(rounds):
        for index, strategy, driver in runs:
            examples, seconds = driver(strategy, n)
            if seconds and len(examples) / seconds > rows[index]["rate"]:
                rows[index].update(rate=len(examples) / seconds, examples=examples)
    dims = dimensions(operation)
    for row in rows:
        if "error" in row:
            continue
        valid, cells, alone = 0, set(), set()
        for example in row["examples"]:
            report = validate(example, operation)
            if report.valid:
                valid += 1
                cells.add(tuple(get_at(example, d.path)[1] for d in dims))
                alone |= {v.rule for v in report.warnings}
            errors = {v.rule for v in report.errors}
            if len(errors) == 1:
                alone |= errors
        row.update(n=len(row["examples"]), valid=valid, cells=len(cells), alone=len(alone & rules_covered(operation)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--examples", "-n", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--operation", action="append")
    parser.add_argument("--compare", type=Path, help="another source tree whose strategies to time too")
    args = parser.parse_args()
    generators = GENERATORS + (other_tree(args.compare) if args.compare else [])
    for operation in args.operation or ["CreateInteraction", "UpdateInteractionChannel"]:
        n_cells = len(engine_for(operation).cells())
        n_rules = len(rules_covered(operation))
        print(f"\n{operation}: {args.examples} examples each, best of {args.rounds}; "
              f"{n_cells} cells, {n_rules} rules")
        rows = measure(generators, operation, args.examples, args.rounds)
        anchors = [row for row, (*_, anchor) in zip(rows, generators, strict=True) if anchor and "error" not in row]
        anchor = anchors[0] if anchors else None
        print(f"  {'generator':28} {'drawn/s':>9} {'x ' + (anchor['name'] if anchor else 'anchor'):>22}"
              f" {'valid':>10} {'cells':>7} {'alone':>7}")
        for row in rows:
            if "error" in row:
                print(f"  {row['name']:28} cannot generate: {row['error']}")
                continue
            ratio = f"{row['rate'] / anchor['rate']:.2f}" if anchor and anchor["rate"] else "-"
            print(f"  {row['name']:28} {row['rate']:9,.0f} {ratio:>22} {row['valid']:5}/{row['n']:<4}"
                  f" {row['cells']:3}/{n_cells:<3} {row['alone']:3}/{n_rules:<3}")


if __name__ == "__main__":
    main()
