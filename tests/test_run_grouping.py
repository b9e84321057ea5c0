"""Findings grouped by cause (`RunResult.causes`): a server answering everything with HTTP 307
reads as one entry per check, not one per rule or request, while distinct defects stay apart;
the text, report.json and junit.xml show the same grouping."""

from __future__ import annotations

import json
import random
import re
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contract_kit.run import Exchange, Finding, RunOptions, RunResult, run_suite
from contract_kit.run.report import (
    Cause,
    as_curl,
    normalise_message,
    render_text,
    signature,
    to_json,
    to_junit,
)

BASE = "http://mock.invalid"
KD = "KD" + "a" * 32
UO = "UO" + "b" * 32
FORM = "application/x-www-form-urlencoded"


def _exchange(operation: str, body: bytes, status: int, *, path: str = "/v1/Interactions",
              method: str = "POST") -> Exchange:
    return Exchange(
        operation=operation, method=method, url=BASE + path, request_headers={"Content-Type": FORM},
        request_body=body, status=status, response_headers={"Location": "/elsewhere"} if 300 <= status < 400
        else {"Content-Type": "application/json"}, response_body=b"" if 300 <= status < 400 else b"{}",
        origin="targeted",
    )


def _rejected_307(index: int, body: bytes, path: str = "/v1/Interactions") -> Finding:
    """What `contract_verdict` reports for a request breaking rule `rule.<index>` answered with 307."""
    rule = f"rule.{index:02d}"
    message = (f"a request breaking rule {rule} (/Channel/participants/{index}: got \"v{index}\" for "
               f"KD{index:032x}) got HTTP 307, expected 400")
    return Finding("contract_verdict", message, _exchange("CreateInteraction", body, 307, path=path), rule)


def _result(findings: list[Finding], operations: dict[str, int] | None = None) -> RunResult:
    ops = operations or {}
    for finding in findings:
        ops.setdefault(finding.exchange.operation, 0)
        ops[finding.exchange.operation] += 1
    return RunResult(target=BASE, seed=1, findings=findings, operations=ops, cases=len(findings))


def _blocks(text: str) -> int:
    return len(re.findall(r"^FAILED \d+\. ", text, re.MULTILINE))


def _summary_causes(text: str) -> int:
    match = re.search(r"— (\d+) requests, (\d+) failure cause\(s\)", text.splitlines()[-1])
    assert match, text.splitlines()[-1]
    return int(match.group(2))


# -- the 307 server, by hand ---------------------------------------------------------------------
def test_fifty_307s_across_rules_of_one_operation_are_one_cause() -> None:
    findings = [_rejected_307(i, b"Channel=" + b"x" * (10 + i)) for i in range(47)]
    # valid requests (named by their cell) answered 307 too: the same cause
    findings += [Finding("contract_verdict", "a request the contract accepts got HTTP 307, expected 2xx",
                         _exchange("CreateInteraction", b"Channel=" + b"y" * 80, 307), f"cell:sms/{who}")
                 for who in ("agent", "api")]
    # the smallest body, twice: the shorter URL of the two reproduces it
    findings += [_rejected_307(47, b"C=1", path="/v1/Interactions?Retry=true"), _rejected_307(48, b"C=1")]
    findings += [_rejected_307(49, b"C=12")]
    result = _result(findings)
    assert len(findings) == 52 and len(result.minimal_findings()) == 52  # the old view: one per rule

    [cause] = result.causes()
    assert (cause.check, cause.signature, cause.requests) == ("contract_verdict", "HTTP 307", 52)
    assert cause.operations == ("CreateInteraction",)
    assert len(cause.rules) == 52 and "cell:sms/api" in cause.rules
    assert cause.representative is findings[-2]  # body b"C=1" with the shorter URL

    text = render_text(result)
    assert _blocks(text) == 1 and _summary_causes(text) == 1
    assert "FAILED 1. contract_verdict [rules cell:sms/agent, cell:sms/api, rule.00 and 49 more] — " \
           "CreateInteraction (52 requests)" in text
    assert as_curl(findings[-2].exchange) in text
    assert "    cause: HTTP 307" in text
    assert result.exit_code == 1


def test_different_checks_stay_separate() -> None:
    """Both failed on the same 307s, but each check names something else to fix."""
    rejected = [_rejected_307(i, b"x" * (i + 1)) for i in range(5)]
    not_json = [Finding("response_conforms", "HTTP 307: the body is not JSON: b''", f.exchange) for f in rejected]
    causes = _result(rejected + not_json).causes()
    assert [(c.check, c.signature, c.requests) for c in causes] == [
        ("contract_verdict", "HTTP 307", 5), ("response_conforms", "HTTP 307", 5)]


def test_two_rules_accepted_with_200_are_two_defects() -> None:
    """A server that reads the request and accepts what a rule forbids has a defect per rule: the
    grouping keeps the rule when the status says the server judged the content (2xx, 400)."""
    path = f"/v1/Interactions/{KD}/Channels/{UO}"

    def accepted(rule: str, body: bytes, status: int = 200) -> Finding:
        return Finding("contract_verdict", f"a request breaking rule {rule} (/Status: ...) got HTTP {status}, "
                       "expected 400", _exchange("UpdateInteractionChannel", body, status, path=path), rule)

    findings = [accepted("channel_update.status", b"Status=bogus"),
                accepted("channel_update.status", b"Status=x", status=201),  # 200 or 201: the same defect
                accepted("channel_update.routing_status", b"Status=closed&RoutingStatus=nope")]
    causes = _result(findings).causes()
    assert [(c.signature, c.requests) for c in causes] == [
        ("HTTP 2xx, rule channel_update.routing_status", 1), ("HTTP 2xx, rule channel_update.status", 2)]
    assert causes[1].representative is findings[1]  # b"Status=x" is the smaller request
    # the same two rules answered 307 instead: the status is the cause, not the rules
    redirected = [Finding(f.check, f.message, _exchange(f.exchange.operation, f.exchange.request_body, 307,
                                                        path=path), f.rule) for f in findings]
    [cause] = _result(redirected).causes()
    assert cause.signature == "HTTP 307" and cause.rules == ("channel_update.routing_status", "channel_update.status")


def test_rule_less_findings_are_told_apart_by_their_normalised_message() -> None:
    def relative(pointer: str, value: str, operation: str = "FetchInteraction") -> Finding:
        return Finding("absolute_urls", f"{pointer} is {value!r}, not an absolute URL",
                       _exchange(operation, b"", 200, path=f"/v1/Interactions/{KD}", method="GET"))

    findings = [relative("/url", f"/v1/Interactions/KD{i:032x}") for i in range(4)]
    findings += [relative("/links/channels", "/v1/Interactions/x/Channels")]
    causes = _result(findings).causes()
    assert [(c.signature, c.requests) for c in causes] == [
        ("HTTP 2xx: /links/channels is <v>, not an absolute URL", 1),
        ("HTTP 2xx: /url is <v>, not an absolute URL", 4)]


def test_no_response_is_told_apart_by_the_kind_of_transport_error() -> None:
    def dropped(error: str, body: bytes) -> Finding:
        exchange = replace(_exchange("CreateInteraction", body, 0), transport_error=error)
        return Finding("no_server_error", f"the server dropped the connection without answering ({error})", exchange)

    findings = [dropped("ReadTimeout: timed out after 10.0s", b"a"), dropped("ReadTimeout: timed out", b"ab"),
                dropped("RemoteProtocolError: Server disconnected without sending a response.", b"abc")]
    causes = _result(findings).causes()
    assert [(c.signature, c.requests) for c in causes] == [
        ("no response (ReadTimeout)", 2), ("no response (RemoteProtocolError)", 1)]


def test_one_signature_for_a_whole_check_merges_its_operations() -> None:
    ops = ("CreateInteraction", "FetchInteraction", "UpdateInteraction")
    findings = [Finding("contract_verdict", f"a request the contract accepts got HTTP 307, expected 2xx ({i})",
                        _exchange(op, b"a" * (3 - i), 307, path=f"/v1/{op}"), None) for i, op in enumerate(ops)]
    [cause] = _result(findings).causes()
    assert cause.operations == ops and cause.requests == 3
    assert cause.representative is findings[2]  # the smallest body, on UpdateInteraction
    assert cause.representative_of("CreateInteraction") is findings[0]
    # once the check also failed another way, the operation may matter: one cause per operation
    findings.append(Finding("contract_verdict", "a request breaking rule r (/x) got HTTP 200, expected 400",
                            _exchange("UpdateInteraction", b"x=1", 200), "r"))
    causes = _result(findings).causes()
    assert [(c.operations, c.signature) for c in causes] == [
        (("CreateInteraction",), "HTTP 307"), (("FetchInteraction",), "HTTP 307"),
        (("UpdateInteraction",), "HTTP 2xx, rule r"), (("UpdateInteraction",), "HTTP 307")]


# -- the reports ----------------------------------------------------------------------------------
def _mixed() -> RunResult:
    findings = [_rejected_307(i, b"b" * (i + 2)) for i in range(12)]
    findings += [Finding("response_conforms", "HTTP 307: the body is not JSON: b''", f.exchange) for f in findings[:3]]
    path = f"/v1/Interactions/{KD}/Channels/{UO}"
    findings += [Finding("contract_verdict", "a request breaking rule channel_update.status (/Status) got HTTP 200, "
                         "expected 400", _exchange("UpdateInteractionChannel", b"Status=bogus", 200, path=path),
                         "channel_update.status")]
    findings += [Finding("no_server_error", "HTTP 500: the server failed on this request",
                         _exchange(op, b"", 500, path=f"/v1/{op}", method="GET"))
                 for op in ("FetchInteraction", "ListInteractionChannel")]
    return _result(findings, {"FetchInteractionChannel": 3})


def test_json_failures_are_the_causes() -> None:
    result = _mixed()
    causes = result.causes()
    report = json.loads(to_json(result))
    failures = report["failures"]
    assert len(failures) == len(causes) == 4
    assert sum(f["requests"] for f in failures) == len(result.findings)
    for failure, cause in zip(failures, causes, strict=True):
        assert {"check", "rule", "operation", "message", "curl", "response", "requests", "operations",
                "rules", "cause"} <= failure.keys()
        rep = cause.representative
        assert (failure["check"], failure["cause"], failure["requests"]) == (cause.check, cause.signature,
                                                                             cause.requests)
        assert (failure["operation"], failure["rule"], failure["message"]) == (rep.exchange.operation, rep.rule,
                                                                               rep.message)
        assert failure["operations"] == list(cause.operations) and failure["rules"] == list(cause.rules)
        assert failure["curl"] == as_curl(rep.exchange) and failure["response"]["status"] == rep.exchange.status
    server_error = next(f for f in failures if f["check"] == "no_server_error")
    assert server_error["operations"] == ["FetchInteraction", "ListInteractionChannel"]
    assert report["operations"]["FetchInteractionChannel"]["status"] == "pass"


def test_junit_has_a_failure_per_cause_under_each_operation_it_covers() -> None:
    result = _mixed()
    causes = result.causes()
    suite = ET.fromstring(to_junit(result))
    seen: dict[str, list[str]] = {}
    for case in suite.iter("testcase"):
        if case.get("classname") == "operations":
            seen[case.get("name", "")] = [f.get("message", "") for f in case.iter("failure")]
    expected = {op: [f"{c.check} ({c.requests} request{'s' if c.requests > 1 else ''}; {c.signature}): "
                     f"{c.representative_of(op).message}"[:500] for c in causes if op in c.operations]
                for op in result.operations}
    assert seen == expected
    assert seen["FetchInteractionChannel"] == [] and len(seen["CreateInteraction"]) == 2
    # each operation's failure replays that operation's own request
    bodies = {case.get("name"): [f.text or "" for f in case.iter("failure")] for case in suite.iter("testcase")}
    assert "/v1/ListInteractionChannel" in bodies["ListInteractionChannel"][0]
    assert "2 requests in all, 1 on ListInteractionChannel" in bodies["ListInteractionChannel"][0]
    assert suite.get("failures") == "4"  # failed operation testcases; no rules in this result


def test_text_json_and_junit_count_the_same_causes() -> None:
    result = _mixed()
    text = render_text(result)
    n = len(result.causes())
    assert _summary_causes(text) == n == _blocks(text)
    assert len(json.loads(to_json(result))["failures"]) == n
    junit_causes = {m.split("): ")[0] for f in ET.fromstring(to_junit(result)).iter("failure")
                    if (m := f.get("message", "")) and "):" in m}
    assert len(junit_causes) == n


# -- properties -----------------------------------------------------------------------------------
_CHECKS = ("contract_verdict", "response_conforms", "no_server_error")
_OPS = ("CreateInteraction", "FetchInteraction", "UpdateInteraction")
_STATUSES = (0, 200, 201, 307, 400, 404, 500)


@st.composite
def _findings(draw: st.DrawFn) -> list[Finding]:
    items = draw(st.lists(st.tuples(
        st.sampled_from(_CHECKS), st.sampled_from(_OPS), st.sampled_from(_STATUSES),
        st.sampled_from((None, "rule.a", "rule.b")), st.integers(0, 10**6), st.binary(max_size=6),
        st.sampled_from(("/x", "/x?y=1", "/longer/path")), st.sampled_from(("/url", "/sid")),
    ), max_size=30))
    return [Finding(check, f"at {pointer}: got {number} for KD{number:032x}", _exchange(op, body, status, path=path),
                    rule)
            for check, op, status, rule, number, body, path, pointer in items]


def _view(causes: list[Cause]) -> list[tuple[object, ...]]:
    return [(c.check, c.signature, c.operations, c.rules, c.requests, c.representative.sort_key) for c in causes]


@given(_findings(), st.randoms(use_true_random=False))
def test_causes_partition_the_findings_whatever_their_order(findings: list[Finding], rnd: random.Random) -> None:
    causes = _result(list(findings)).causes()
    grouped = [f for c in causes for f in c.findings]
    assert sorted(map(id, grouped)) == sorted(map(id, findings))  # each finding in exactly one cause
    for cause in causes:
        assert {f.check for f in cause.findings} == {cause.check}  # checks never share a cause
        assert {signature(f) for f in cause.findings} == {cause.signature}
        sizes = [(len(f.exchange.request_body), len(f.exchange.url)) for f in cause.findings]
        rep = cause.representative.exchange
        assert (len(rep.request_body), len(rep.url)) == min(sizes)
    shuffled = list(findings)
    rnd.shuffle(shuffled)
    assert _view(_result(shuffled).causes()) == _view(causes)


@given(st.integers(0, 10**9), st.integers(0, 2**128 - 1), st.text(alphabet="abcXYZ _-/.:", max_size=12),
       st.sampled_from(("http", "https")))
def test_normalised_message_ignores_what_varies_per_request(number: int, sid: int, value: str, scheme: str) -> None:
    template = "HTTP 400 at /Channel/participants/{n}: got {q} for KD{sid:032x}, see {scheme}://example.com/{n}/x"
    reference = normalise_message(template.format(n=1, q="'a'", sid=0, scheme="https"))
    varied = normalise_message(template.format(n=number, q=repr(value), sid=sid, scheme=scheme))
    assert varied == reference == "HTTP <n> at /Channel/participants/<n>: got <v> for <sid>, see <url>"
    assert normalise_message(varied) == varied
    assert normalise_message("the vendor's error body, it's") == "the vendor's error body, it's"


# -- end to end -----------------------------------------------------------------------------------
class _Redirector(BaseHTTPRequestHandler):
    """Answers every request, whatever its method, with 307 to /elsewhere."""

    def _redirect(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(307)
        self.send_header("Location", "/elsewhere")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def __getattr__(self, name: str) -> Callable[[], None]:
        if name.startswith("do_"):
            return self._redirect
        raise AttributeError(name)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def redirecting_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Redirector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_server_answering_307_to_everything_reads_as_a_handful_of_causes(redirecting_server: str) -> None:
    """Over the network path, every operation. The bound: every finding is a 307, so each
    failing check is one cause (`HTTP 307`, merged across the operations), never one per rule,
    request or operation; at most one per check that can fail on a bodiless 3xx: ours
    (`contract_verdict`, `response_conforms`) and Schemathesis' `status_code_conformance`,
    `missing_required_header`, `unsupported_method` and `ignored_auth`, so 6 at most."""
    result = run_suite(RunOptions(base_url=redirecting_server, seed=1, max_examples=2, env={}))
    assert result.exit_code == 1, result.errors
    causes = result.causes()
    assert len(result.minimal_findings()) >= 40  # one per rule, cell and operation: what the report used to list
    assert {c.signature for c in causes} == {"HTTP 307"}
    assert len(causes) == len({c.check for c in causes}) <= 6
    assert sum(c.requests for c in causes) == len(result.findings)
    verdict = next(c for c in causes if c.check == "contract_verdict")
    assert verdict.requests >= 40 and len(verdict.rules) >= 20 and len(verdict.operations) > 1
    text = render_text(result)
    assert _summary_causes(text) == len(causes) == _blocks(text)
    assert as_curl(verdict.representative.exchange) in text
    report = json.loads(to_json(result))
    assert [(f["check"], f["requests"]) for f in report["failures"]] == [(c.check, c.requests) for c in causes]
