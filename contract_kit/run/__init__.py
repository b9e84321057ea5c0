"""`contract-kit run`: the contract suite, driven by Schemathesis, against the mock or a real endpoint.

>>> from contract_kit.run import RunOptions, run_suite
>>> result = run_suite(RunOptions())          # the embedded mock        # doctest: +SKIP
>>> result.exit_code                                                      # doctest: +SKIP
0

Modules, one concern each: `target` (where and as whom), `document` (the view of the contract
Schemathesis generates from), `serializers` (form bodies as the vendor client sends them),
`checks` (our checks, each naming the rule or property it defends), `binding` (a run's state as
Schemathesis' extensions see it), `engine` (Schemathesis), `targeted` (the scheduler of what we send
on purpose) with `sender` (scope, budget, wire shape), `scenarios` (set-up and stateful properties)
and `probes` (per-cell positives, edges, junk, every rule broken alone), `client` and `hostile`
(bounded bodies, timeouts, a server that dies), `safety` (write budget and clean-up), `split`
(`--workers`), `report` (findings grouped by cause: summary, curl, JUnit, JSON) and `suite` (the
whole run).
"""

from .report import Exchange, Finding, RunResult
from .suite import run_suite
from .target import RunOptions, Target, UsageError

__all__ = ["Exchange", "Finding", "RunOptions", "RunResult", "Target", "UsageError", "run_suite"]
