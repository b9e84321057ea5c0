"""One finding per defect found: Schemathesis' built-in checks and ours defend some of the same
properties, and a request both fail for one property is one finding, ours (it carries the rule and
the contract's wording), not two.

* Per request: a built-in that judges the response (`not_a_server_error`, `status_code_conformance`,
  `content_type_conformance`, `response_schema_conformance`, `response_headers_conformance`) is
  redundant where one of our checks defending the same property failed the same request (the
  same request and answer: whichever of Schemathesis' cases or our own requests sent it).
* Per operation: "credentials are required" is one property of an operation, whoever sent the
  request without them: `auth_required` (ours) before `ignored_auth` before
  `missing_required_header` (for `Authorization`).
* A check finds at most once per request: a built-in reporting two schema errors of one answer
  is one finding.

A built-in finding nothing of ours matches stays: Schemathesis saw what we do not check.
"""

from __future__ import annotations

from collections.abc import Iterable

from .report import Finding

RESPONSE_PROPERTY: dict[str, frozenset[str]] = {
    "not_a_server_error": frozenset({"no_server_error"}),
    "status_code_conformance": frozenset({"no_server_error", "response_conforms", "contract_verdict", "error_body"}),
    "content_type_conformance": frozenset({"no_server_error", "response_conforms", "error_body"}),
    "response_schema_conformance": frozenset({"no_server_error", "response_conforms", "error_body"}),
    "response_headers_conformance": frozenset({"no_server_error"}),
}
"""Built-in check -> our checks that, failing the same request, already report what it reports
(a 5xx is `no_server_error`'s whatever else is wrong with the answer)."""

AUTH_PREFERENCE: tuple[str, ...] = ("auth_required", "ignored_auth", "missing_required_header")
"""The checks that report "credentials are not required", the preferred first."""


def _request(finding: Finding) -> tuple[object, ...]:
    """What makes two findings' exchanges the same request with the same answer."""
    e = finding.exchange
    return (e.operation, e.method, e.url, e.request_body, e.status, e.transport_error, e.response_body)


def _auth(finding: Finding) -> bool:
    if finding.check == "missing_required_header":
        return "'authorization'" in finding.message.lower()
    return finding.check in AUTH_PREFERENCE


def deduplicate(findings: Iterable[Finding]) -> list[Finding]:
    """`findings` without the redundant ones (see the module); the order of the kept ones is kept."""
    kept: dict[tuple[str, tuple[object, ...]], Finding] = {}
    for finding in findings:  # one per check and request: the one naming a rule, else the first
        key = (finding.check, _request(finding))
        known = kept.get(key)
        if known is None or (finding.rule and not known.rule):
            kept[key] = finding
    unique = list(kept.values())
    ours_on: dict[tuple[object, ...], set[str]] = {}
    auth_on: dict[str, int] = {}
    for finding in unique:
        ours_on.setdefault(_request(finding), set()).add(finding.check)
        if _auth(finding):
            rank = AUTH_PREFERENCE.index(finding.check)
            auth_on[finding.exchange.operation] = min(rank, auth_on.get(finding.exchange.operation, rank))
    result = []
    for finding in unique:
        covered = RESPONSE_PROPERTY.get(finding.check)
        if covered is not None and covered & ours_on[_request(finding)]:
            continue
        if _auth(finding) and AUTH_PREFERENCE.index(finding.check) > auth_on[finding.exchange.operation]:
            continue
        result.append(finding)
    return result
