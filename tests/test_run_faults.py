"""The suite catches every fault of the mock's catalogue, and passes the faithful mock, with the
settings a user gets by default (only the seed is pinned, for reproducibility) — against the
default (strict) mock and against the lenient one, which enforces only what the vendor states and
settles channels asynchronously."""

from __future__ import annotations

from dataclasses import replace

import pytest

from contract_kit.mock import CATALOGUE, create_app
from contract_kit.run import RunOptions, RunResult, run_suite
from contract_kit.run.report import Finding
from contract_kit.run.target import embedded_target

# fault -> the check (or rule) names any one of which must name it in the findings
EXPECTED: dict[str, set[str]] = {
    "accept-rule": {"customer.media_channel_sid"},
    "reject-cell": {"cell:email/api"},
    "crash-on-edge": {"no_server_error", "not_a_server_error"},
    "crash-on-junk": {"no_server_error", "not_a_server_error"},
    "non-vendor-error": {"error_body"},
    "wrong-error-code": {"error_body"},
    "wrong-status": {"response_conforms", "status_code_conformance"},
    "wrong-content-type": {"response_conforms", "content_type_conformance"},
    "malformed-sid": {"response_conforms", "response_schema_conformance"},
    "missing-links": {"response_conforms", "response_schema_conformance"},
    "relative-next-page": {"absolute_urls"},
    "lost-state": {"create_equals_fetch"},
    "ignored-updates": {"update_visible"},
    "stuck-in-setup": {"channel_settles"},
    "ignore-page-size": {"page_size_honoured"},
    "no-auth-check": {"auth_required", "ignored_auth"},
    "cross-account-leak": {"account_isolation"},
}
DEFAULTS = RunOptions()
# (Schemathesis' built-in, ours): the same property of one answer; a request failing both is one finding, ours
SAME_PROPERTY = {
    ("not_a_server_error", "no_server_error"),
    ("response_schema_conformance", "response_conforms"),
    ("status_code_conformance", "response_conforms"),
    ("content_type_conformance", "response_conforms"),
}


def test_every_fault_of_the_catalogue_has_an_expectation() -> None:
    assert set(EXPECTED) == set(CATALOGUE)


def _run(options: RunOptions, *, lenient: bool) -> RunResult:
    """A run against the embedded mock with `options.faults`, lenient or not."""
    if not lenient:
        return run_suite(options)
    target = replace(embedded_target(options.faults), app=create_app(faults=options.faults, lenient=True))
    return run_suite(options, target=target)


@pytest.mark.parametrize("lenient", [False, True], ids=["strict-mock", "lenient-mock"])
def test_faithful_mock_conforms_with_default_settings(lenient: bool) -> None:
    result = _run(RunOptions(seed=1), lenient=lenient)
    assert result.findings == [], [f"{f.check} {f.rule} {f.message}" for f in result.findings[:5]]
    assert result.exit_code == 0
    assert len(result.operations) == 14
    error_rules = {r for r, rule in __import__("contract_kit.contract").contract.default_contract().rules.items()
                   if rule.severity == "error" and rule.operations}
    assert error_rules <= set(result.rules)
    assert all(result.rules[r] == "pass" or result.rules[r].startswith("n/a") for r in error_rules)


@pytest.mark.parametrize("lenient", [False, True], ids=["strict-mock", "lenient-mock"])
@pytest.mark.parametrize("fault", sorted(CATALOGUE))
def test_each_fault_fails_the_run_and_is_named(fault: str, lenient: bool) -> None:
    result = _run(RunOptions(seed=1, faults=(fault,), max_examples=DEFAULTS.max_examples), lenient=lenient)
    assert result.exit_code == 1
    names = {f.check for f in result.findings} | {f.rule for f in result.findings if f.rule}
    assert names & EXPECTED[fault], sorted(names)
    assert_one_entry_per_finding(result)


def _exchange_key(finding: Finding) -> tuple[object, ...]:
    e = finding.exchange
    return (e.operation, e.method, e.url, e.request_body, e.status, e.response_body)


def assert_one_entry_per_finding(result: RunResult) -> None:
    """No request is reported by a built-in and by our check defending the same property, and every
    rule the run calls failed is named by a finding that explains it."""
    checks_on: dict[tuple[object, ...], set[str]] = {}
    for finding in result.findings:
        checks_on.setdefault(_exchange_key(finding), set()).add(finding.check)
    doubled = [(builtin, ours) for checks in checks_on.values() for builtin, ours in SAME_PROPERTY
               if {builtin, ours} <= checks]
    assert doubled == []
    explained = {f.rule for f in result.findings if f.rule}
    assert {rule for rule, verdict in result.rules.items() if verdict == "fail"} <= explained
