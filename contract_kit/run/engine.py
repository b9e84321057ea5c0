"""Schemathesis as the engine: load the contract's engine view, configure, execute, collect.

Extension points used (no copy of Schemathesis code): `schemathesis.Config` for base URL, auth,
phases, checks, examples, seed and workers; `@schemathesis.serializer` for form bodies
(`serializers`); `@schemathesis.check` for ours (`checks`); `schemathesis.openapi.format` for
realistic values (`document.register_formats`); `schema.app` for the in-process mock; hooks
(`filter_case`, `before_add_examples`, `before_call`) for the live-account safety net
(`safety.WriteGuard`).

Off loopback (a bounded target), write operations are generated in negative mode only, the
stateful phase (which needs accepted creates) and `ignored_auth` (which re-sends an accepted
request without credentials) are off, and the guard drops every write case the full contract
accepts unless the write budget admits it.

Our check and our hook are registered with Schemathesis once per process (its registries are
keyed by name, so registering again is harmless); each run's state reaches them through the
schema object of the case at hand (`binding`), never through this module.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import replace
from typing import Any

from ..contract import Contract
from . import hostile, serializers
from .binding import RunBinding, bind, bound_to, register_global_hook
from .checks import CHECKS, CheckEnv
from .document import engine_document, register_formats
from .report import Exchange, Finding
from .safety import WRITE_METHODS, WriteGuard
from .target import DEFAULT_REQUEST_TIMEOUT, Target, UsageError

REPLACED_CHECKS = ("positive_data_acceptance", "negative_data_rejection")
"""Built-ins whose notion of valid is Schemathesis' reading of the schema; `contract_verdict`
judges with the contract's validator instead."""

PHASES: tuple[str, ...] = ("examples", "coverage", "fuzzing", "stateful")
"""Schemathesis' phases a run uses, in the order Schemathesis runs them."""


def _exchange(response: Any, operation: str) -> Exchange:
    request = response.request
    body = request.body or b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    headers = {k: v for k, v in dict(request.headers).items() if k.lower() != "authorization"}
    response_headers = {}
    for name, value in dict(response.headers).items():
        response_headers[name] = value[0] if isinstance(value, list) and value else str(value)
    return Exchange(
        operation=operation,
        method=str(request.method),
        url=str(request.url),
        request_headers=headers,
        request_body=bytes(body),
        status=int(response.status_code),
        response_headers=response_headers,
        response_body=bytes(response.content or b""),
        authenticated="authorization" in {k.lower() for k in dict(request.headers)},
    )


def contract_kit(ctx: Any, response: Any, case: Any) -> bool | None:
    """contract-kit's checks (checks.CHECKS), judged by the contract document."""
    binding = bound_to(case)
    env = binding.env if binding else None
    if env is None:
        return None
    op = env.contract.operation_for(case.method, case.path)
    if op is None:
        return None
    found = env.evaluate(_exchange(response, op.operation_id))
    if found:
        first = found[0]
        rule = f" [rule {first.rule}]" if first.rule else ""
        raise AssertionError(f"{first.check}{rule}: {first.message}")
    return None


def contract_kit_guard(ctx: Any, case: Any, kwargs: Any) -> None:
    """The safety net's last step (a global hook: `before_call` has no schema scope)."""
    binding = bound_to(case)
    if binding is not None and binding.guard is not None:
        binding.guard.before_call(case)


def register() -> None:
    """Register our serializer, check and hook with Schemathesis (idempotent; a forked child
    inherits the registration)."""
    import schemathesis

    serializers.register()
    schemathesis.check(contract_kit)  # the registry is keyed by name: registering again replaces it
    register_global_hook("before_call", contract_kit_guard)


def build_schema(contract: Contract, target: Target, *, operation_ids: tuple[str, ...], max_examples: int,
                 seed: int, workers: int, guard: WriteGuard | None = None, examples: int | None = None,
                 phases: Collection[str] = PHASES, env: CheckEnv | None = None,
                 request_timeout: float = DEFAULT_REQUEST_TIMEOUT) -> Any:
    """The Schemathesis schema of a run; `guard` (off loopback) bounds the writes it may send,
    `examples` caps the valid write examples injected into the document (None: all of them),
    `phases` are the Schemathesis phases to run (a subset of `PHASES`; stateful never with a guard)."""
    import schemathesis

    unknown = set(phases) - set(PHASES)
    if unknown:
        raise ValueError(f"unknown Schemathesis phase(s) {sorted(unknown)}; known: {', '.join(PHASES)}")

    document = engine_document(contract, seed=seed, examples=examples)
    register_formats(document)
    bounded = guard is not None
    checks: dict[str, Any] = {name: {"enabled": False} for name in REPLACED_CHECKS}
    operations: list[dict[str, Any]] = []
    if bounded:
        checks["ignored_auth"] = {"enabled": False}  # re-sends accepted requests without credentials
        operations.append({"include-method": sorted(WRITE_METHODS), "generation": {"mode": "negative"}})
    config = schemathesis.Config.from_dict({
        "seed": seed,
        "generation": {"max-examples": max_examples, "database": "none"},
        "workers": workers,
        "request-timeout": request_timeout,
        "max-redirects": 0,  # a 3xx is the answer under test, never followed (same host or not)
        "checks": checks,
        "phases": {name: {"enabled": name in phases and not (bounded and name == "stateful")} for name in PHASES},
        **({"operations": operations, "suppress-health-check": ["filter_too_much"]} if operations else {}),
    })
    hostile.register_schemathesis()  # bodies read up to hostile.MAX_RESPONSE_BYTES
    schema: Any = schemathesis.openapi.from_dict(document, config=config)
    if target.app is not None:
        schema.app = target.app
    auth = target.credentials.auth if target.credentials else None
    schema.config.update(base_url=target.base_url, basic_auth=auth)
    if operation_ids:
        schema = schema.include(operation_id=list(operation_ids))
    if guard is not None:
        schema.hooks.register_hook_with_name(lambda ctx, case: guard.keep(case), "filter_case")
        schema.hooks.register_hook_with_name(lambda ctx, examples: guard.admit_examples(examples),
                                             "before_add_examples")
    bind(schema, RunBinding(contract, env, guard))
    return schema


def execute(
    contract: Contract,
    target: Target,
    env: CheckEnv,
    *,
    operation_ids: tuple[str, ...] = (),
    max_examples: int = 10,
    seed: int = 0,
    workers: int = 1,
    guard: WriteGuard | None = None,
    examples: int | None = None,
    phases: Collection[str] = PHASES,
    progress: Callable[[str], None] = lambda _: None,
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
    answered: hostile.LastAnswered | None = None,
) -> list[str]:
    """Run `phases` (all of them by default); our checks record into `env`; returns run-level
    errors (connection...).

    With a `guard` (off loopback) no write the contract accepts is sent beyond the write budget."""
    from schemathesis.engine import events, from_schema

    register()
    schema = build_schema(contract, target, operation_ids=operation_ids, max_examples=max_examples,
                          seed=seed, workers=workers, guard=guard, examples=examples, phases=phases, env=env,
                          request_timeout=request_timeout)
    labels = {f"{op.method} {op.path}": op.operation_id for op in contract.operations.values()}
    errors: list[str] = []
    scenarios = 0
    died: hostile.ServerDied | None = None
    stream = from_schema(schema).execute()
    for event in stream:
        if isinstance(event, events.PhaseStarted):
            progress(f"schemathesis: {event.phase.name.value} phase…")
        elif isinstance(event, events.ScenarioFinished):
            scenarios += 1
            _builtin_failures(event, labels, env)
        elif isinstance(event, events.NonFatalError):
            if died is not None:
                continue  # what a dead server does next is no news
            failed = hostile.engine_error(event.value, event.label, target.base_url, labels, request_timeout,
                                          answered=bool(env.operations) or bool(answered and answered.last))
            text = f"{event.info.title}: {event.info.message}".splitlines()[0]
            if isinstance(failed, hostile.ServerDied):
                died = failed
                stream.stop()
            elif isinstance(failed, UsageError):
                errors.append(str(failed))  # a target that never answered: the run cannot start
                stream.stop()
            elif failed is not None:
                # one request without a usable answer: no_server_error names it (a label that is no
                # operation, e.g. the stateful phase's, is resolved from the request's own URL)
                named = _named(failed, contract)
                if named is not None:
                    env.evaluate(named)
                else:
                    env.note(f"schemathesis ({event.label}): {text}")
                died = answered.hung() if answered is not None else None  # timeouts on and on: hung
                if died is not None:
                    stream.stop()
            elif "Connection" in event.info.title or "connect" in event.info.message.lower()[:200]:
                errors.append(f"cannot reach {target.base_url}: {text}")
            else:
                env.note(f"schemathesis ({event.label}): {text}")
        elif isinstance(event, events.FatalError):
            errors.append(f"schemathesis stopped: {event.exception}")
    progress(f"schemathesis: {scenarios} scenarios done")
    if died is not None:
        raise died
    return sorted(set(errors))


def _named(exchange: Exchange, contract: Contract) -> Exchange | None:
    """`exchange` under the operation its method and URL name, when its label names none (None
    when the document has no such operation)."""
    if exchange.operation in contract.operations:
        return exchange
    from ..routes import routes_for

    op = routes_for(contract).match(exchange.method, exchange.url)
    return replace(exchange, operation=op.operation_id) if op else None


def _builtin_failures(event: Any, labels: dict[str, str], env: CheckEnv) -> None:
    """Findings of Schemathesis' built-in checks (ours record themselves)."""
    recorder = event.recorder
    for case_id, nodes in recorder.checks.items():
        for node in nodes:
            if node.name == "contract_kit" or node.name in CHECKS or node.failure_info is None:
                continue
            if getattr(node.status, "value", node.status) != "failure":
                continue
            interaction = recorder.interactions.get(case_id)
            if interaction is None or interaction.response is None:
                continue
            case = recorder.cases[case_id].value
            operation = labels.get(f"{case.method} {case.path}", case.operation.label)
            exchange = _exchange(interaction.response, operation)
            failure = node.failure_info.failure
            message = f"{failure.title}: {failure.message}".strip().replace("\n", " ")[:400]
            with env.lock:
                env.findings.append(Finding(node.name, message, exchange))
