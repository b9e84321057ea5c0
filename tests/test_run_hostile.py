"""`run` against hostile servers on loopback: a huge body, no answer, a connection closed mid-body,
a malformed status line, a server that dies or hangs mid-run, redirects. Each is a small raw-socket
server; the run must end with a clear finding or usage error naming the request, and stay bounded."""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import threading
import tracemalloc
from collections.abc import Callable, Iterator

import pytest
from click.testing import CliRunner

from contract_kit.cli import main
from contract_kit.contract import default_contract
from contract_kit.mock import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN
from contract_kit.run import RunOptions, RunResult, Target, UsageError, checks, hostile, run_suite
from contract_kit.run.client import Client

FETCH = "/v1/Interactions/KD" + "0" * 32
"""The path of the run's first request (its probe) with FetchInteraction selected."""
BODY = (b'{"code": 20404, "message": "The requested resource was not found", '
        b'"more_info": "https://www.twilio.com/docs/errors/20404", "status": 404}')
NOT_FOUND = (b"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
             b"Connection: close\r\n\r\n%s") % (len(BODY), BODY)
HUGE = 50 * 1024 * 1024
ONLY_FETCH = ("FetchInteraction",)
WITH_CREATE = ("CreateInteraction", "FetchInteraction")
"""The targeted part judges what it sends to the selected operations (set-up requests are not judged)."""

Handler = Callable[[socket.socket, str, int], None]
"""Answers one connection: the socket, the request's path, and how many requests came before."""


class Hostile:
    """A loopback HTTP server that misbehaves as `handler` says; it stops accepting connections
    (they are refused) after `answers` of them. `paths` lists the requests it received, in order."""

    def __init__(self, handler: Handler, answers: int | None = None) -> None:
        self.handler, self.answers = handler, answers
        self.paths: list[str] = []
        self.stop = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            if self.answers is not None and len(self.paths) + 1 >= self.answers:
                self.listener.close()  # dead before it answers the last one: later connections are refused
            path = _read_request(conn)
            self.paths.append(path)
            threading.Thread(target=self._one, args=(conn, path, len(self.paths) - 1), daemon=True).start()

    def _one(self, conn: socket.socket, path: str, index: int) -> None:
        with conn, contextlib.suppress(OSError):  # the client hung up (a body it stopped reading)
            self.handler(conn, path, index)

    def close(self) -> None:
        self.stop.set()
        self.listener.close()


def _read_request(conn: socket.socket) -> str:
    """The request's path, after reading the whole request (headers and Content-Length body)."""
    conn.settimeout(10)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return ""
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = next((int(v) for k, _, v in (line.partition(":") for line in lines[1:])
                   if k.strip().lower() == "content-length"), 0)
    while len(body) < length and (chunk := conn.recv(65536)):
        body += chunk
    return lines[0].split(" ")[1]


@pytest.fixture
def serve() -> Iterator[Callable[..., Hostile]]:
    servers: list[Hostile] = []

    def start(handler: Handler, answers: int | None = None) -> Hostile:
        servers.append(Hostile(handler, answers))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", DEFAULT_ACCOUNT_SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", DEFAULT_AUTH_TOKEN)
    for name in ("TWILIO_API_KEY", "TWILIO_API_SECRET"):
        monkeypatch.delenv(name, raising=False)


def _run(url: str, timeout: float = 30.0, operation_ids: tuple[str, ...] = ONLY_FETCH) -> RunResult:
    """A short run; the timeout is generous unless a test is about it (a loaded machine is slow)."""
    return run_suite(RunOptions(base_url=url, seed=1, max_examples=1, request_timeout=timeout,
                                operation_ids=operation_ids))


# -- handlers -------------------------------------------------------------------------------------
def not_found(conn: socket.socket, path: str, index: int) -> None:
    conn.sendall(NOT_FOUND)


def huge(conn: socket.socket, path: str, index: int) -> None:
    """50 MB of JSON-ish spaces, made as it is sent (the server holds 64 KiB at a time)."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % HUGE)
    block = b" " * 65536
    for _ in range(HUGE // len(block)):
        conn.sendall(block)


def huge_but_probes(conn: socket.socket, path: str, index: int) -> None:
    """Small answers to the run's probe and Schemathesis' probes (`GET /`, no hook reaches those),
    50 MB to every other request."""
    if path in (FETCH, "/") or "schemathesis-probe" in path:
        not_found(conn, path, index)
    else:
        huge(conn, path, index)


def mid_body(conn: socket.socket, path: str, index: int) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"sid\": ")


def malformed(conn: socket.socket, path: str, index: int) -> None:
    conn.sendall(b"HTTP/1.1 OK\r\n\r\n")


def after_first(handler: Handler) -> Handler:
    """Answers the first request properly, then `handler` for every other one."""
    return lambda conn, path, index: (not_found if index == 0 else handler)(conn, path, index)


# -- a huge body ----------------------------------------------------------------------------------
def _peak_mib(action: Callable[[], RunResult]) -> tuple[RunResult, float]:
    tracemalloc.start()
    try:
        result = action()
        return result, tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def test_a_huge_first_answer_ends_the_run_with_one_response_size_finding(serve: Callable[..., Hostile]) -> None:
    server = serve(huge)
    result, peak = _peak_mib(lambda: _run(server.url))
    assert [f.check for f in result.findings] == ["response_size"]
    assert "HTTP 200 body exceeds 1 MiB (Flex answers are small)" in result.findings[0].message
    assert result.exit_code == 1 and len(server.paths) == 1  # nothing sent after it
    assert peak < 16, f"{peak:.0f} MiB traced"  # one 50 MB body read whole would be more than three times that


HUGE_RUN = """
import json, os, resource, sys
from contract_kit.run import RunOptions, hostile, run_suite
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
result = run_suite(RunOptions(base_url=sys.argv[1], seed=1, max_examples=1, request_timeout=30.0,
                              operation_ids=("FetchInteraction",)))
grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - before
print(json.dumps({
    "grown": grown,
    "sized": [[f.exchange.origin, hostile.cut_at(f.exchange.response_body)] for f in result.findings
              if f.check == "response_size"],
    "longest": max((len(f.exchange.response_body) for f in result.findings), default=0),
}))
"""


def test_huge_bodies_from_schemathesis_requests_are_cut_and_memory_stays_bounded(
        serve: Callable[..., Hostile]) -> None:
    """In a process of its own: its peak RSS is the run's alone (tracemalloc would slow the run
    sevenfold), whatever earlier tests in this worker left behind."""
    server = serve(huge_but_probes)
    done = subprocess.run([sys.executable, "-c", HUGE_RUN, server.url], capture_output=True, text=True, timeout=300,
                          check=False, env={**os.environ, "TWILIO_ACCOUNT_SID": DEFAULT_ACCOUNT_SID,
                                            "TWILIO_AUTH_TOKEN": DEFAULT_AUTH_TOKEN})
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["sized"] and {origin for origin, _ in seen["sized"]} == {"schemathesis"}, seen
    assert all(cut == hostile.MAX_RESPONSE_BYTES for _, cut in seen["sized"])
    assert seen["longest"] < 8192  # a cut body keeps its start only
    # it grew by 1.3 GiB before the cap
    assert seen["grown"] < 256, f"peak RSS grew by {seen['grown']:.0f} MiB over {len(server.paths)} requests of 50 MB"


def test_our_client_cuts_a_huge_body_and_says_so(serve: Callable[..., Hostile]) -> None:
    server = serve(huge)
    client = Client(Target(server.url, credentials=None, loopback=True), timeout=5)
    tracemalloc.start()
    try:
        exchange = client.send("FetchInteraction", "GET", FETCH)
        peak = tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()
        client.close()
    assert exchange.status == 200 and not exchange.transport_error
    assert hostile.cut_at(exchange.response_body) == hostile.MAX_RESPONSE_BYTES
    assert exchange.response_body.startswith(b" " * hostile.KEPT_BYTES) and len(exchange.response_body) < 8192
    assert peak < 8, f"{peak:.1f} MiB traced"
    [finding] = hostile.response_size(checks.CheckEnv(default_contract()), exchange)
    assert finding.message.startswith("HTTP 200 body exceeds 1 MiB (Flex answers are small)")
    assert "Content-Length says 52428800 bytes" in finding.message


# -- no answer, a broken answer -------------------------------------------------------------------
def test_a_server_that_never_answers_is_a_usage_error_naming_the_request_and_the_option(
        serve: Callable[..., Hostile]) -> None:
    server = serve(lambda conn, path, index: server.stop.wait(10))
    with pytest.raises(UsageError) as raised:
        _run(server.url, timeout=0.5)
    message = str(raised.value)
    assert f"FetchInteraction (GET {FETCH}): timeout: no response within 0.5 s" in message
    assert "--request-timeout SECONDS" in message


def test_the_cli_exits_2_on_a_request_timeout_and_documents_the_option(serve: Callable[..., Hostile]) -> None:
    server = serve(lambda conn, path, index: server.stop.wait(10))
    result = CliRunner().invoke(main, ["run", "--base-url", server.url, "--operation-id", "FetchInteraction",
                                       "--request-timeout", "0.5"])
    assert result.exit_code == 2, result.output
    assert "no response within 0.5 s (raise the limit with --request-timeout SECONDS)" in result.output
    assert "Traceback" not in result.output
    assert "--request-timeout SECONDS" in CliRunner().invoke(main, ["run", "--help"]).output
    assert CliRunner().invoke(main, ["run", "--request-timeout", "0"]).exit_code == 2


@pytest.mark.parametrize(("handler", "words"), [
    (mid_body, "connection closed mid-body: received 8 bytes, expected 1000"),
    (malformed, "malformed status line: b'HTTP/1.1 OK' is not an HTTP status line"),
])
def test_a_broken_first_answer_is_a_usage_error_that_says_what_broke(
        serve: Callable[..., Hostile], handler: Handler, words: str) -> None:
    server = serve(handler)
    with pytest.raises(UsageError, match=re.escape(f"first request, FetchInteraction (GET {FETCH}): {words}")):
        _run(server.url)


@pytest.mark.parametrize(("handler", "words"), [
    (mid_body, re.compile(r"^connection closed mid-body: .*\b8\b.*\b1000\b")),  # httpx and requests word it apart
    (malformed, re.compile(r"^malformed status line: b?'HTTP/1\.1 OK' is not an HTTP status line$")),
])
def test_a_broken_answer_after_answers_is_a_finding_naming_the_request(
        serve: Callable[..., Hostile], handler: Handler, words: re.Pattern[str]) -> None:
    server = serve(after_first(handler))
    result = _run(server.url, operation_ids=WITH_CREATE)
    broken = [f for f in result.findings if f.exchange.transport_error]
    assert broken, [f.message for f in result.findings]
    assert {f.exchange.origin for f in broken} == {"schemathesis", "targeted"}  # either side says it clearly
    for finding in broken:
        assert finding.check == "no_server_error" and finding.exchange.status == 0
        assert words.search(finding.exchange.transport_error), finding.exchange.transport_error
        assert finding.exchange.url.startswith(server.url + "/v1/")
    assert not any(f.check == "server_alive" for f in result.findings)


# -- a server that dies or hangs ------------------------------------------------------------------
def test_a_server_that_dies_mid_run_is_one_finding_naming_the_last_request_it_answered(
        serve: Callable[..., Hostile]) -> None:
    server = serve(not_found, answers=6)
    result = _run(server.url)
    died = [f for f in result.findings if f.check == "server_alive"]
    assert len(died) == 1, [f.message for f in result.findings]
    assert result.exit_code == 1  # a contract failure, as the README's exit codes say, not a usage error
    last = died[0].exchange
    path = last.url.removeprefix(server.url)
    assert f"the last request it answered, {last.method} {path} (HTTP 404" in died[0].message
    assert path in server.paths[-3:]  # among the last it answered (its probes are never judged)
    assert not any("refused" in f.exchange.transport_error for f in result.findings)  # no page of refusals
    assert any("stopped answering" in note for note in result.notes)


def test_a_server_that_hangs_mid_run_is_one_finding_not_a_timeout_per_request(serve: Callable[..., Hostile]) -> None:
    server = serve(lambda conn, path, index: not_found(conn, path, index) if index == 0 else server.stop.wait(10))
    result = _run(server.url, timeout=0.3, operation_ids=("FetchInteraction", "ListInteractionChannel"))
    died = [f for f in result.findings if f.check == "server_alive"]
    assert len(died) == 1 and "requests in a row timed out (no response within 0.3 s)" in died[0].message
    assert len(server.paths) <= 24  # a timeout each for the probes and a few cases, not one per case of the run


def test_the_client_sends_nothing_more_to_a_dead_server(serve: Callable[..., Hostile]) -> None:
    server = serve(not_found, answers=1)
    client = Client(Target(server.url, credentials=None, loopback=True), timeout=2)
    assert client.send("FetchInteraction", "GET", FETCH).status == 404
    with pytest.raises(hostile.ServerDied, match=r"connection refused on FetchInteraction \(GET /v1/"):
        client.send("FetchInteraction", "GET", FETCH)
    with pytest.raises(hostile.ServerDied):  # at once: nothing sent, no new confirmation
        client.send("ListInteractionChannel", "GET", "/v1/Interactions/KD0/Channels")
    client.close()


# -- redirects ------------------------------------------------------------------------------------
def test_redirects_are_never_followed(serve: Callable[..., Hostile]) -> None:
    def redirect(conn: socket.socket, path: str, index: int) -> None:
        conn.sendall(b"HTTP/1.1 307 Temporary Redirect\r\nLocation: /elsewhere" + path.encode() +
                     b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

    server = serve(redirect)
    result = _run(server.url, operation_ids=WITH_CREATE)
    api = [p for p in server.paths if p.startswith("/v1/")]
    assert len(api) > 10 and {f.exchange.status for f in result.findings} == {307}
    followed = [p for p in server.paths if p.startswith("/elsewhere")]
    # Schemathesis' probing phase (two GETs of the base URL) follows same-host redirects, out of our reach
    assert all(re.fullmatch(r"(/elsewhere)+(/|/schemathesis-probe.*)", p) for p in followed), followed
