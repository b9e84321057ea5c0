"""What a run found, for people (summary, curl), CI systems (JUnit XML) and programs (JSON)."""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

_REDACTED_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})
_BODY_LIMIT = 2000


@dataclass(frozen=True)
class Exchange:
    """One request and the response it got, as plain data (whoever sent it)."""

    operation: str
    method: str
    url: str
    request_headers: Mapping[str, str]
    request_body: bytes
    status: int
    response_headers: Mapping[str, str]
    response_body: bytes
    authenticated: bool = True
    resources_exist: bool = False
    """The run created the resources the path names, so a 404 is wrong."""
    origin: str = "schemathesis"
    """`schemathesis` (a generated case) or `targeted` (sent on purpose by `targeted`)."""
    transport_error: str = ""
    """Why no response came (the server dropped the connection); `status` is then 0."""

    @property
    def content_type(self) -> str:
        for name, value in self.response_headers.items():
            if name.lower() == "content-type":
                return value.split(";")[0].strip().lower()
        return ""

    def json(self) -> Any:
        try:
            return json.loads(self.response_body)
        except (ValueError, UnicodeDecodeError):
            return None


@dataclass(frozen=True)
class Finding:
    """A check that failed on one exchange: which check, which rule, what to read and replay."""

    check: str
    message: str
    exchange: Exchange
    rule: str | None = None

    @property
    def key(self) -> tuple[str, str | None, str]:
        return (self.check, self.rule, self.exchange.operation)

    @property
    def sort_key(self) -> tuple[str, str, str, str, str, int, bytes, int, str]:
        """A stable order for reports, whatever order concurrent requests completed in."""
        e = self.exchange
        return (e.operation, self.check, self.rule or "", e.origin, e.url, len(e.request_body), e.request_body,
                e.status, self.message)


@dataclass
class RunResult:
    """Everything a run did, the input of every renderer."""

    target: str
    seed: int | None
    findings: list[Finding] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    operations: dict[str, int] = field(default_factory=dict)
    """operationId -> number of exchanges."""
    rules: dict[str, str] = field(default_factory=dict)
    """rule id -> "pass", "fail" or "n/a: why" (rule-targeted negatives)."""
    checks: dict[str, int] = field(default_factory=dict)
    """check name -> number of evaluations."""
    created: list[str] = field(default_factory=list)
    cleanup: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    cases: int = 0
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        if self.errors:
            return 2
        return 1 if self.findings else 0

    def minimal_findings(self) -> list[Finding]:
        """One finding per (check, rule, operation): the one with the smallest request."""
        best: dict[tuple[str, str | None, str], Finding] = {}
        for finding in self.findings:
            known = best.get(finding.key)
            if known is None or _size(finding) < _size(known):
                best[finding.key] = finding
        return list(best.values())

    def failed_operations(self) -> set[str]:
        return {f.exchange.operation for f in self.findings}


def _size(finding: Finding) -> tuple[int, int]:
    return (len(finding.exchange.request_body), len(finding.exchange.url))


# -- curl -----------------------------------------------------------------------------------------
def as_curl(exchange: Exchange, *, secrets: Iterable[str] = (), auth_env: tuple[str, str] | None = None) -> str:
    """A copy-pasteable curl command for the request; credentials never appear in it."""
    user, secret = auth_env or ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN")
    parts = ["curl", "-X", exchange.method, shlex.quote(exchange.url)]
    if exchange.authenticated:
        parts += ["-u", f'"${user}:${secret}"']
    for name, value in exchange.request_headers.items():
        if name.lower() in _REDACTED_HEADERS or name.lower() in ("content-length", "host"):
            continue
        if name.lower() in ("accept-encoding", "connection", "user-agent", "accept"):
            continue
        parts += ["-H", shlex.quote(f"{name}: {value}")]
    if exchange.request_body:
        body = exchange.request_body.decode("utf-8", "backslashreplace")
        parts += ["--data-binary", shlex.quote(body)]
    return redact(" ".join(parts), secrets)


def redact(text: str, secrets: Iterable[str]) -> str:
    """Hide each secret; a short one (under 8 characters) only where it stands as its own token,
    so that a one-letter test token does not garble every word that contains the letter."""
    import re

    for secret in secrets:
        if len(secret) >= 8:
            text = text.replace(secret, "[REDACTED]")
        elif secret:
            text = re.sub(rf"(?<![\w./-]){re.escape(secret)}(?![\w./-])", "[REDACTED]", text)
    return text


def _body_text(data: bytes) -> str:
    text = data.decode("utf-8", "backslashreplace")
    return text if len(text) <= _BODY_LIMIT else text[:_BODY_LIMIT] + "…"


# -- text -----------------------------------------------------------------------------------------
def render_text(result: RunResult, *, secrets: Iterable[str] = (), auth_env: tuple[str, str] | None = None) -> str:
    secrets = tuple(secrets)
    lines: list[str] = []
    for index, finding in enumerate(result.minimal_findings(), 1):
        ex = finding.exchange
        rule = f" [rule {finding.rule}]" if finding.rule else ""
        lines += [
            f"FAILED {index}. {finding.check}{rule} — {ex.operation}",
            f"    {finding.message}",
            "    reproduce:",
            f"      {as_curl(ex, secrets=secrets, auth_env=auth_env)}",
            f"    response: HTTP {ex.status} {ex.content_type or '(no content type)'}",
            f"      {redact(_body_text(ex.response_body), secrets)}",
            "",
        ]
    failed_ops = result.failed_operations()
    lines.append("Operations:")
    for op, count in sorted(result.operations.items()):
        lines.append(f"  {'FAIL' if op in failed_ops else 'pass'}  {op} ({count} requests)")
    failed_rules = {f.rule for f in result.findings if f.rule}
    lines.append("Rules (each broken alone on purpose, plus what Schemathesis generated):")
    for rule, verdict in sorted(result.rules.items()):
        shown = "FAIL" if rule in failed_rules or verdict == "fail" else verdict
        lines.append(f"  {shown:4}  {rule}" if shown in ("pass", "FAIL") else f"  n/a   {rule} ({shown})")
    failed_checks = {f.check for f in result.findings}
    lines.append("Checks:")
    for check, count in sorted(result.checks.items()):
        lines.append(f"  {'FAIL' if check in failed_checks else 'pass'}  {check} ({count})")
    if result.created:
        lines.append(f"Created on the target: {len(result.created)} resource(s)")
        lines += [f"  {item}" for item in result.created[:50]]
        if len(result.created) > 50:
            lines.append(f"  … and {len(result.created) - 50} more (see the JSON report)")
    if result.cleanup:
        lines.append("Clean-up:")
        lines += [f"  {item}" for item in result.cleanup[:50]]
    lines += [f"note: {note}" for note in result.notes]
    lines += [f"error: {error}" for error in result.errors]
    verdict = "CONFORMS" if result.exit_code == 0 else "DOES NOT CONFORM" if result.exit_code == 1 else "ERROR"
    seed = f", seed {result.seed}" if result.seed is not None else ""
    lines.append(
        f"{verdict}: {result.target} — {result.cases} requests, {len(result.minimal_findings())} distinct "
        f"failure(s) in {result.seconds:.1f}s{seed}"
    )
    return "\n".join(lines)


# -- files ----------------------------------------------------------------------------------------
def to_json(result: RunResult, *, secrets: Iterable[str] = (), auth_env: tuple[str, str] | None = None) -> str:
    secrets = tuple(secrets)
    data = {
        "target": result.target,
        "seed": result.seed,
        "exit_code": result.exit_code,
        "requests": result.cases,
        "seconds": round(result.seconds, 3),
        "operations": {
            op: {"requests": n, "status": "fail" if op in result.failed_operations() else "pass"}
            for op, n in sorted(result.operations.items())
        },
        "rules": dict(sorted(result.rules.items())),
        "checks": dict(sorted(result.checks.items())),
        "failures": [
            {
                "check": f.check,
                "rule": f.rule,
                "operation": f.exchange.operation,
                "message": redact(f.message, secrets),
                "curl": as_curl(f.exchange, secrets=secrets, auth_env=auth_env),
                "response": {
                    "status": f.exchange.status,
                    "content_type": f.exchange.content_type,
                    "body": redact(_body_text(f.exchange.response_body), secrets),
                },
            }
            for f in result.minimal_findings()
        ],
        "created": result.created,
        "cleanup": result.cleanup,
        "notes": result.notes,
        "errors": result.errors,
    }
    return json.dumps(data, indent=2, ensure_ascii=False)


def to_junit(result: RunResult, *, secrets: Iterable[str] = (), auth_env: tuple[str, str] | None = None) -> str:
    """One testcase per operation and per rule; a failure element per distinct finding."""
    secrets = tuple(secrets)
    findings = result.minimal_findings()
    suite = ET.Element("testsuite", name="contract-kit run", time=f"{result.seconds:.3f}")
    cases = 0
    failures = 0
    for op in sorted(result.operations):
        case = ET.SubElement(suite, "testcase", classname="operations", name=op)
        cases += 1
        mine = [f for f in findings if f.exchange.operation == op]
        for finding in mine:
            failure = ET.SubElement(case, "failure", message=f"{finding.check}: {finding.message}"[:500],
                                    type=finding.rule or finding.check)
            failure.text = redact(
                f"{finding.message}\n{as_curl(finding.exchange, secrets=secrets, auth_env=auth_env)}\n"
                f"HTTP {finding.exchange.status}\n{_body_text(finding.exchange.response_body)}",
                secrets,
            )
        failures += bool(mine)
    failed_rules = {f.rule for f in result.findings if f.rule}
    for rule, verdict in sorted(result.rules.items()):
        case = ET.SubElement(suite, "testcase", classname="rules", name=rule)
        cases += 1
        if rule in failed_rules or verdict == "fail":
            ET.SubElement(case, "failure", message=f"rule {rule} is not enforced as the contract says", type=rule)
            failures += 1
        elif verdict != "pass":
            ET.SubElement(case, "skipped", message=verdict)
    for error in result.errors:
        case = ET.SubElement(suite, "testcase", classname="run", name="error")
        ET.SubElement(case, "error", message=redact(error, secrets))
        cases += 1
    suite.set("tests", str(cases))
    suite.set("failures", str(failures))
    suite.set("errors", str(len(result.errors)))
    ET.indent(suite)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suite, encoding="unicode")


def write_reports(
    result: RunResult, directory: str, *, secrets: Iterable[str] = (), auth_env: tuple[str, str] | None = None
) -> list[Path]:
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    secrets = tuple(secrets)
    junit = target / "junit.xml"
    report = target / "report.json"
    junit.write_text(to_junit(result, secrets=secrets, auth_env=auth_env), encoding="utf-8")
    report.write_text(to_json(result, secrets=secrets, auth_env=auth_env), encoding="utf-8")
    return [junit, report]
