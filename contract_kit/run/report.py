"""What a run found, for people (summary, curl), CI systems (JUnit XML) and programs (JSON)."""

from __future__ import annotations

import json
import re
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
        """One finding per (check, rule, operation): the one with the smallest request.

        Finer than `causes` (a server answering everything with 307 gives one per rule); the
        reports use `causes`."""
        best: dict[tuple[str, str | None, str], Finding] = {}
        for finding in self.findings:
            known = best.get(finding.key)
            if known is None or _size(finding) < _size(known):
                best[finding.key] = finding
        return list(best.values())

    def causes(self) -> list[Cause]:
        """The findings grouped by what went wrong (`signature`), one entry per cause.

        First level: check × operation × signature. Second level: when every finding of a check
        has the same signature and they span several operations, the operation is evidently not
        the cause (a server answering everything with 307 fails `contract_verdict` the same way
        everywhere), so they make one cause listing the operations. A check that failed in two
        ways keeps one cause per operation and signature, so a distinct defect is never folded
        into another operation's entry. The result does not depend on the order of `findings`."""
        groups: dict[tuple[str, str, str], list[Finding]] = {}
        for finding in self.findings:
            groups.setdefault((finding.check, finding.exchange.operation, signature(finding)), []).append(finding)
        signatures: dict[str, set[str]] = {}
        for check, _, sig in groups:
            signatures.setdefault(check, set()).add(sig)
        merged: dict[tuple[str, str, str], list[Finding]] = {}
        for (check, operation, sig), found in groups.items():
            scope = "" if len(signatures[check]) == 1 else operation
            merged.setdefault((check, scope, sig), []).extend(found)
        causes = [Cause.of(check, sig, found) for (check, _, sig), found in merged.items()]
        return sorted(causes, key=lambda c: (c.operations, c.check, c.signature))

    def failed_operations(self) -> set[str]:
        return {f.exchange.operation for f in self.findings}


def _size(finding: Finding) -> tuple[int, int]:
    return (len(finding.exchange.request_body), len(finding.exchange.url))


def _smallest(findings: Iterable[Finding]) -> Finding:
    """The finding with the smallest request (body, then URL); ties broken by `sort_key`, so the
    choice does not depend on which concurrent request completed first."""
    return min(findings, key=lambda f: (_size(f), f.sort_key))


# -- causes ---------------------------------------------------------------------------------------
_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s'\"()<>]+", re.IGNORECASE)
_SID = re.compile(r"\b[A-Z]{2}[0-9a-fA-F]{32}\b")
_QUOTED = re.compile(r"""(?<!\w)b?(?:'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")|`[^`\n]*`""")
_NUMBER = re.compile(r"\d+")
_SPACE = re.compile(r"\s+")


def normalise_message(message: str) -> str:
    """`message` without what varies from one request to the next: URLs, SIDs, quoted values
    (`'x'`, `"x"`, `b''`, and Schemathesis' backquoted ones, `` `GET /v1/Interactions/{Sid}` ``)
    and numbers become `<url>`, `<sid>`, `<v>`, `<n>`. What is left is the check's own wording and
    the pointers it names (`/Channel/participants/<n>/address`), which is what tells one defect
    from another."""
    text = _URL.sub("<url>", message)
    text = _SID.sub("<sid>", text)
    text = _QUOTED.sub("<v>", text)
    text = _NUMBER.sub("<n>", text)
    return _SPACE.sub(" ", text).strip()


def _judged(status: int) -> bool:
    """Whether the status is a judgement on what the request held: accepted (2xx) or rejected (400)."""
    return 200 <= status < 300 or status == 400


def signature(finding: Finding) -> str:
    """What went wrong, as a key: findings with the same check, operation and signature are one cause.

    * With a status by which the server judged the request's content (2xx accepted, 400
      rejected), the server read the request and disagreed with the contract about it: each rule
      it got wrong is a defect of its own (`HTTP 2xx, rule channel.sid`), and without a rule the
      check's normalised message tells defects apart (`HTTP 2xx: /url is <v>, not an absolute URL`).
    * With any other status (a redirect, 401/403/404, 405, 422, 5xx) or no response at all, the
      server answered without judging the content: which rule the request broke or which cell
      it was is incidental, the status is the cause and any one request reproduces it
      (`HTTP 307`; `no response (ReadTimeout)`, by the transport error's kind). That is what turns
      50 requests of a server answering 307 into one entry per check instead of one per rule.

    2xx is one class (a rule accepted with 200 or with 201 is the same defect)."""
    status = finding.exchange.status
    if status == 0:  # a timeout and a dropped connection are different defects
        kind = finding.exchange.transport_error.split(":", 1)[0].strip()
        return f"no response ({kind})" if kind else "no response"
    if not _judged(status):
        return f"HTTP {status}"
    shown = "HTTP 2xx" if status < 300 else f"HTTP {status}"
    if finding.rule:
        return f"{shown}, rule {finding.rule}"
    return f"{shown}: {normalise_message(finding.message)}"


@dataclass(frozen=True)
class Cause:
    """One thing that went wrong: the findings it explains and the smallest request reproducing it."""

    check: str
    signature: str
    findings: tuple[Finding, ...]
    """In `sort_key` order."""
    representative: Finding
    """The finding with the smallest request: its curl is the one printed."""

    @classmethod
    def of(cls, check: str, signature: str, findings: Iterable[Finding]) -> Cause:
        ordered = tuple(sorted(findings, key=lambda f: f.sort_key))
        return cls(check, signature, ordered, _smallest(ordered))

    @property
    def requests(self) -> int:
        """How many requests failed this way (a check finds at most once per request)."""
        return len(self.findings)

    @property
    def operations(self) -> tuple[str, ...]:
        return tuple(sorted({f.exchange.operation for f in self.findings}))

    @property
    def rules(self) -> tuple[str, ...]:
        return tuple(sorted({f.rule for f in self.findings if f.rule}))

    def representative_of(self, operation: str) -> Finding:
        """The smallest request of this cause on `operation` (JUnit reproduces each operation's own)."""
        return _smallest(f for f in self.findings if f.exchange.operation == operation)


def _names(names: tuple[str, ...], limit: int = 3) -> str:
    shown = ", ".join(names[:limit])
    return shown if len(names) <= limit else f"{shown} and {len(names) - limit} more"


def _count(n: int) -> str:
    return f"{n} request{'s' if n != 1 else ''}"


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


def _response_line(exchange: Exchange) -> str:
    """`HTTP 400 application/json`, or why no response came (never a made-up `HTTP 0`)."""
    if exchange.transport_error:
        return f"none ({exchange.transport_error})"
    return f"HTTP {exchange.status} {exchange.content_type or '(no content type)'}"


def _body_text(data: bytes) -> str:
    text = data.decode("utf-8", "backslashreplace")
    return text if len(text) <= _BODY_LIMIT else text[:_BODY_LIMIT] + "…"


# -- text -----------------------------------------------------------------------------------------
QUIET, NORMAL, VERBOSE = -1, 0, 1
"""`render_text` verbosities: `run -q`, `run`, `run -v`."""


def render_text(result: RunResult, *, secrets: Iterable[str] = (), auth_env: tuple[str, str] | None = None,
                verbosity: int = NORMAL, reports: Iterable[Path] = ()) -> str:
    """The run for people: a block per failure cause, then a summary, then the verdict line.

    `verbosity` QUIET: the blocks, errors and the verdict only. NORMAL: a summary of a screen at
    most (counts, every FAIL row pointing at the block that explains it, the rules not exercised
    grouped by reason, notes once each). VERBOSE: every operation, rule and check, every resource
    created and every clean-up line. `reports`: the files written (`write_reports`), named only
    when they exist."""
    secrets = tuple(secrets)
    lines: list[str] = []
    causes = result.causes()
    for index, cause in enumerate(causes, 1):
        lines += _block(index, cause, secrets, auth_env)
    if verbosity > QUIET:
        lines += _summary(result, causes, verbose=verbosity >= VERBOSE, reports=tuple(reports))
    lines += [f"error: {redact(error, secrets)}" for error in result.errors]
    verdict = "CONFORMS" if result.exit_code == 0 else "DOES NOT CONFORM" if result.exit_code == 1 else "ERROR"
    seed = f", seed {result.seed}" if result.seed is not None else ""
    lines.append(
        f"{verdict}: {result.target} — {result.cases} requests, {len(causes)} failure cause(s) "
        f"in {result.seconds:.1f}s{seed}"
    )
    return "\n".join(lines)


def _block(index: int, cause: Cause, secrets: tuple[str, ...], auth_env: tuple[str, str] | None) -> list[str]:
    finding = cause.representative
    ex = finding.exchange
    rules = cause.rules
    rule = f" [rule {rules[0]}]" if len(rules) == 1 else f" [rules {_names(rules)}]" if rules else ""
    return [
        f"FAILED {index}. {cause.check}{rule} — {_names(cause.operations)} ({_count(cause.requests)})",
        f"    {redact(finding.message, secrets)}",
        f"    cause: {redact(cause.signature, secrets)}"
        + (f", on {', '.join(cause.operations)}" if len(cause.operations) > 3 else ""),
        "    reproduce:",
        f"      {as_curl(ex, secrets=secrets, auth_env=auth_env)}",
        f"    response: {_response_line(ex)}",
        f"      {redact(_body_text(ex.response_body), secrets)}",
        "",
    ]


def rule_verdicts(result: RunResult) -> dict[str, str]:
    """rule id -> "pass", "fail" or "n/a: why": a rule a finding names fails, whatever the targeted
    request breaking it got (a generated case may have broken it and been accepted)."""
    failed = {f.rule for f in result.findings if f.rule}
    return {rule: "fail" if rule in failed else verdict for rule, verdict in sorted(result.rules.items())}


def _see(indices: Iterable[int]) -> str:
    shown = list(indices)
    return f" — see {', '.join(map(str, shown))}" if shown else ""


def _summary(result: RunResult, causes: list[Cause], *, verbose: bool, reports: tuple[Path, ...]) -> list[str]:
    """Operations, rules and checks (every row with `verbose`, else counts and the FAIL rows, each
    naming the failure blocks that explain it), what the run created and cleaned up, the notes."""
    numbered = list(enumerate(causes, 1))
    lines: list[str] = []

    failed_ops = result.failed_operations() & set(result.operations)
    ops = sorted(result.operations.items())
    tally = _tally(len(ops) - len(failed_ops), 0, len(failed_ops))
    lines.append("Operations:" if verbose else f"Operations: {len(ops)} tested, {result.cases} requests: {tally}")
    for op, count in ops:
        if op in failed_ops:
            lines.append(f"  FAIL  {op} ({count} requests){_see(i for i, c in numbered if op in c.operations)}")
        elif verbose:
            lines.append(f"  pass  {op} ({count} requests)")

    verdicts = rule_verdicts(result)
    failing = [rule for rule, verdict in verdicts.items() if verdict == "fail"]
    skipped: dict[str, list[str]] = {}
    for rule, verdict in verdicts.items():
        if verdict not in ("pass", "fail"):
            skipped.setdefault(verdict.removeprefix("n/a: ").removeprefix("n/a"), []).append(rule)
    title = "Rules (each broken alone on purpose, plus what Schemathesis generated)"
    passed = sum(1 for verdict in verdicts.values() if verdict == "pass")
    tally = _tally(passed, len(verdicts) - passed - len(failing), len(failing))
    lines.append(f"{title}:" if verbose else f"{title}: {tally}")
    for rule, verdict in verdicts.items():
        if verdict == "fail":
            refs = [i for i, c in numbered if rule in c.rules]
            lines.append(f"  FAIL  {rule}{_see(refs) if refs else ' — not enforced (no request recorded)'}")
        elif verbose:
            lines.append(f"  pass  {rule}" if verdict == "pass"
                         else f"  n/a   {rule} ({verdict.removeprefix('n/a: ').removeprefix('n/a')})")
    if not verbose:
        for why, rules in sorted(skipped.items(), key=lambda item: (-len(item[1]), item[0])):
            lines.append(f"  n/a   {len(rules)} rule{'s' if len(rules) != 1 else ''}, {why or 'not judged'}: "
                         f"{', '.join(rules)}")

    failed_checks = {c.check for c in causes}
    checks = dict(result.checks)
    for check in failed_checks - set(checks):
        checks[check] = 0  # a Schemathesis built-in: its evaluations are not counted
    lines.append("Checks:" if verbose else f"Checks: {_tally(len(checks) - len(failed_checks), 0, len(failed_checks))}")
    for check, count in sorted(checks.items()):
        shown = f"{check} ({count})" if count else f"{check} (Schemathesis)"
        if check in failed_checks:
            lines.append(f"  FAIL  {shown}{_see(i for i, c in numbered if c.check == check)}")
        elif verbose:
            lines.append(f"  pass  {shown}")

    if result.created:
        json_report = next((str(p) for p in reports if p.suffix == ".json"), None)
        if verbose:
            lines.append(f"Created on the target: {len(result.created)} resource(s)")
            lines += [f"  {item}" for item in result.created]
        else:
            lines.append(f"Created on the target: {len(result.created)} resource(s) (-v lists them"
                         + (f", as does {json_report})" if json_report else ")"))
    if result.cleanup:
        problems = [item for item in result.cleanup[:-1] if not item.startswith(("closed channel", "channel "))]
        steps = result.cleanup[:-1] if verbose else problems
        lines.append(f"Clean-up: {result.cleanup[-1].removeprefix('clean-up: ')}")
        lines += [f"  {item}" for item in steps]
    lines += [f"note: {note}" + (f" ({n} times)" if n > 1 else "") for note, n in _once(result.notes)]
    return lines


def _tally(passed: int, skipped: int, failed: int) -> str:
    if not failed and not skipped:
        return f"all {passed} pass"
    parts = [f"{passed} pass"] + ([f"{skipped} n/a"] if skipped else []) + ([f"{failed} FAIL"] if failed else [])
    return ", ".join(parts)


def _once(notes: Iterable[str]) -> list[tuple[str, int]]:
    """Each distinct note once, in the order first given, with how many times it was given."""
    counts: dict[str, int] = {}
    for note in notes:
        counts[note] = counts.get(note, 0) + 1
    return list(counts.items())


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
                "check": c.check,
                "rule": c.representative.rule,
                "operation": c.representative.exchange.operation,
                "message": redact(c.representative.message, secrets),
                "curl": as_curl(c.representative.exchange, secrets=secrets, auth_env=auth_env),
                "response": {
                    "status": c.representative.exchange.status or None,
                    "transport_error": c.representative.exchange.transport_error or None,
                    "content_type": c.representative.exchange.content_type,
                    "body": redact(_body_text(c.representative.exchange.response_body), secrets),
                },
                "cause": redact(c.signature, secrets),
                "requests": c.requests,
                "operations": list(c.operations),
                "rules": list(c.rules),
            }
            for c in result.causes()
        ],
        "created": result.created,
        "cleanup": result.cleanup,
        "notes": result.notes,
        "errors": result.errors,
    }
    return json.dumps(data, indent=2, ensure_ascii=False)


def to_junit(result: RunResult, *, secrets: Iterable[str] = (), auth_env: tuple[str, str] | None = None) -> str:
    """One testcase per operation and per rule; a failure element per cause (`RunResult.causes`).

    A cause that spans several operations is a failure under each of their testcases, with that
    operation's own smallest request to reproduce: every failed operation shows red in CI, and
    its failure replays against that operation. The message says how many requests the cause
    covers in all and on this operation."""
    secrets = tuple(secrets)
    causes = result.causes()
    suite = ET.Element("testsuite", name="contract-kit run", time=f"{result.seconds:.3f}")
    cases = 0
    failures = 0
    for op in sorted(result.operations):
        case = ET.SubElement(suite, "testcase", classname="operations", name=op)
        cases += 1
        mine = [c for c in causes if op in c.operations]
        for cause in mine:
            finding = cause.representative_of(op)
            here = sum(1 for f in cause.findings if f.exchange.operation == op)
            rules = cause.rules
            failure = ET.SubElement(
                case, "failure", type=rules[0] if len(rules) == 1 else cause.check,
                message=redact(f"{cause.check} ({_count(cause.requests)}; {cause.signature}): {finding.message}",
                               secrets)[:500],
            )
            failure.text = redact(
                f"{finding.message}\n"
                f"cause: {cause.signature}; {_count(cause.requests)} in all, {here} on {op}"
                + (f"; operations: {', '.join(cause.operations)}" if len(cause.operations) > 1 else "")
                + (f"; rules: {', '.join(rules)}" if rules else "")
                + f"\n{as_curl(finding.exchange, secrets=secrets, auth_env=auth_env)}\n"
                f"{_response_line(finding.exchange)}\n{_body_text(finding.exchange.response_body)}",
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
