"""A run that survives a hostile server: bounded bodies, timeouts that name the request, clear
transport errors, and a server that dies (or hangs) mid-run as one finding.

Flex answers are small, so a body past `MAX_RESPONSE_BYTES` is a finding (`response_size`), and
reading stops there: memory stays bounded whatever the server sends. Our client (`client.Client`)
reads through `read_capped` and keeps the start of a cut body with a marker (`cut_body`, `cut_at`).
Schemathesis' requests get the same cap from a `requests` response hook (`cap_response`) that a
global `before_call` hook adds to the keyword arguments of every case it sends (`before_call` has
no schema scope; `binding.bound_to` limits it to contract-kit runs); an over-cap body raises
`ResponseOverCap` there, so no check of Schemathesis' re-sends it, and `engine_error` turns it into
the cut exchange.

Out of reach of every hook and config key (Schemathesis 4.32): the probing phase (two GETs of the
base URL, `engine/run/probes.py`, on a session of its own) reads bodies whole and follows
same-host redirects, and requests Schemathesis re-sends through `schema.transport.send` with its own
transport kwargs (`ignored_auth` without credentials after a 2xx, a coverage content-type control
after a 5xx) read bodies whole. `suite.run_suite` therefore stops a run whose first answer (our
probe) is over the cap, before Schemathesis starts (`ResponseTooLarge`).
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests

from .report import Exchange, Finding
from .target import UsageError

if TYPE_CHECKING:
    from .checks import CheckEnv

MAX_RESPONSE_BYTES = 1 << 20
"""Bytes of a response body read at most (1 MiB); Flex answers are a few KiB."""
KEPT_BYTES = 4096
"""Bytes of a body over the cap that its exchange keeps."""
CHUNK_BYTES = 64 * 1024
TIMEOUT_OPTION = "--request-timeout SECONDS"
TIMEOUT_KIND = "timeout"
"""How `describe` starts a timeout."""
_CUT = b"\n[contract-kit: response body cut at %d bytes]"
_CUT_RE = re.compile(rb"\n\[contract-kit: response body cut at (\d+) bytes\]\Z")
HUNG_AFTER = 3
"""Timeouts in a row (on more than one operation, no answer between) that make a server hung."""
_CONFIRM_ATTEMPTS = 3
_CONFIRM_INTERVAL = 0.2


# -- bodies ---------------------------------------------------------------------------------------
class BodyTimeout(TimeoutError):
    """The body kept coming past the request timeout (a server trickling bytes never trips a read timeout)."""


def read_capped(chunks: Iterable[bytes], cap: int, deadline: float | None = None) -> tuple[bytes, bool]:
    """The body `chunks` make and False, or, past `cap` bytes, the body cut (`cut_body`) and True;
    reading stops there (or raises `BodyTimeout` past `deadline`, a `time.monotonic()` value), so
    memory stays bounded."""
    body = bytearray()
    for chunk in chunks:
        body += chunk
        if len(body) > cap:
            return cut_body(bytes(body[:KEPT_BYTES]), cap), True
        if deadline is not None and time.monotonic() > deadline:
            raise BodyTimeout("the body did not complete in time")
    return bytes(body), False


def cut_body(prefix: bytes, cap: int) -> bytes:
    """A body read up to `cap` bytes and no further, as kept: its first `KEPT_BYTES` (what a report
    shows; a run keeps the exchanges its findings name, so a cut body must not cost the cap each)
    and the marker `cut_at` recognises."""
    return prefix[:KEPT_BYTES] + _CUT % cap


def cut_at(body: bytes) -> int | None:
    """The cap a body was cut at (`cut_body`), or None for a complete body."""
    match = _CUT_RE.search(body[-80:])
    return int(match.group(1)) if match else None


def size_text(n: int) -> str:
    if n % (1 << 20) == 0:
        return f"{n >> 20} MiB"
    if n % 1024 == 0:
        return f"{n >> 10} KiB"
    return f"{n} bytes"


def response_size(env: CheckEnv, exchange: Exchange) -> list[Finding]:
    """Defends "Flex answers are small": a body past the cap is a finding (and was not read further)."""
    return _size_findings(exchange)


def _size_findings(exchange: Exchange) -> list[Finding]:
    cap = cut_at(exchange.response_body)
    if cap is None:
        return []
    declared = next((v for k, v in exchange.response_headers.items() if k.lower() == "content-length"), None)
    said = f"; Content-Length says {declared} bytes" if declared and declared.isdigit() else ""
    return [Finding("response_size", f"HTTP {exchange.status} body exceeds {size_text(cap)} (Flex answers are "
                                     f"small); reading stopped there{said}", exchange)]


# -- transport errors -----------------------------------------------------------------------------
def request_label(operation: str, method: str, path: str) -> str:
    return f"{operation} ({method} {urlsplit(path).path or path})"


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """`exc` and what it wraps (causes, contexts, urllib3's `reason`, requests' wrapped args)."""
    pending: list[object] = [exc]
    seen: set[int] = set()
    while pending:
        current = pending.pop(0)
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending += [current.__cause__, current.__context__, getattr(current, "reason", None), *current.args]


def _named(exc: BaseException, *names: str) -> bool:
    return any(klass.__name__ in names for klass in type(exc).__mro__)


def refused(exc: BaseException) -> bool:
    return any(isinstance(e, ConnectionRefusedError) for e in _chain(exc))


def never_connected(exc: BaseException) -> bool:
    """The request failed before a connection existed (refused, DNS, connect timeout)."""
    return any(isinstance(e, (ConnectionRefusedError, socket.gaierror)) or
               _named(e, "ConnectError", "ConnectTimeout", "ConnectTimeoutError", "NewConnectionError")
               for e in _chain(exc))


def _shown(text: str) -> str:
    """`bytearray(b'...')` (h11's wording) as `b'...'`."""
    match = re.search(r"bytearray\((b['\"].*['\"])\)", text)
    return match.group(1) if match else repr(text.strip())[:120]


def describe(exc: BaseException, timeout: float | None = None) -> str:
    """What went wrong with a request (httpx or requests), as `kind: what the server did`; the
    kind (before the colon) is what reports group by."""
    chain = list(_chain(exc))
    limit = f"{timeout:g} s" if timeout else "the time limit"
    advice = f"(raise the limit with {TIMEOUT_OPTION})"
    if any(isinstance(e, ConnectionRefusedError) for e in chain):
        return "connection refused"
    if any(_named(e, "ConnectTimeout", "ConnectTimeoutError") for e in chain):
        return f"{TIMEOUT_KIND}: could not connect within {limit} {advice}"
    if any(isinstance(e, BodyTimeout) for e in chain):
        return f"{TIMEOUT_KIND}: the body did not complete within {limit} {advice}"
    if any(isinstance(e, TimeoutError) or _named(e, "TimeoutException", "Timeout", "ReadTimeoutError")
           for e in chain):
        return f"{TIMEOUT_KIND}: no response within {limit} {advice}"
    for e in chain:
        name, text = type(e).__name__, str(e)
        if name == "BadStatusLine" or text.startswith("illegal status line"):
            line = repr(e.args[0].strip()) if name == "BadStatusLine" and e.args else _shown(text)
            return f"malformed status line: {line[:120]} is not an HTTP status line"
        if name == "InvalidChunkLength" or text.startswith("illegal chunk header"):
            line = repr(e.args[1].strip()) if name == "InvalidChunkLength" and len(e.args) > 1 else _shown(text)
            return f"invalid chunk: size line {line[:120]} in a chunked body"
        if name == "IncompleteRead":
            partial, expected = getattr(e, "partial", 0), getattr(e, "expected", None)
            got = len(partial) if isinstance(partial, bytes | bytearray) else int(partial or 0)
            more = f" of {got + int(expected)}" if isinstance(expected, int) else ""
            return f"connection closed mid-body: {got}{more} bytes received"
        if text.startswith("peer closed connection without sending complete message body"):
            detail = text.partition("(")[2].rstrip(")")  # "received 8 bytes, expected 1000"
            return f"connection closed mid-body: {detail or 'incomplete body'}"
        if text.startswith("illegal header line") or name in ("LineTooLong", "HeaderParsingError"):
            return f"malformed header: {_shown(text) if 'bytearray' in text else text[:120]}"
        if name == "RemoteDisconnected" or text.startswith("Server disconnected without sending a response"):
            return "connection closed without an answer"
        if isinstance(e, ConnectionResetError):
            return "connection reset"
    return f"{type(exc).__name__}: {str(exc)[:200]}"


def first_request_error(base_url: str, label: str, exc: BaseException, timeout: float | None) -> str:
    """The usage error (exit 2) for a target whose very first request got no usable answer."""
    what = describe(exc, timeout)
    if never_connected(exc):
        return f"cannot reach {base_url}: {label}: {what}"
    return f"{base_url} gave no usable answer to the first request, {label}: {what}"


# -- a run that cannot go on ----------------------------------------------------------------------
class StopRun(Exception):
    """The run cannot usefully go on: it ends with the one finding `finding` gives, and sends nothing more."""

    note = "the run stopped early"

    def finding(self, last_answered: Exchange | None) -> Finding:
        raise NotImplementedError

    def record(self, env: CheckEnv, last_answered: Exchange | None) -> None:
        """Add the one finding to `env` (`last_answered`: the last exchange the server answered)."""
        found = self.finding(last_answered)
        with env.lock:
            env.findings.append(found)
            env.counts[found.check] = env.counts.get(found.check, 0) + 1


class ResponseTooLarge(StopRun):
    """The first answer was over the cap: nothing a Flex client can use, and Schemathesis' probes
    (which no hook reaches) would read such bodies whole."""

    note = "the run stopped after its first request: the target's answer exceeds the response size cap"

    def __init__(self, exchange: Exchange) -> None:
        super().__init__(f"{exchange.operation}: response body over the cap")
        self.exchange = exchange

    def finding(self, last_answered: Exchange | None) -> Finding:
        return _size_findings(self.exchange)[0]

    def record(self, env: CheckEnv, last_answered: Exchange | None) -> None:
        super().record(env, last_answered)
        with env.lock:  # the one request of the run (not judged by `CheckEnv.evaluate`)
            env.operations[self.exchange.operation] = env.operations.get(self.exchange.operation, 0) + 1


class ServerDied(StopRun):
    """The server stopped accepting connections after having answered: one finding, no more requests."""

    note = "the run stopped when the server stopped answering: no clean-up, nothing more sent"

    def __init__(self, detail: str, exchange: Exchange) -> None:
        super().__init__(detail)
        self.detail = detail
        self.exchange = exchange
        """The request that found the server gone (no response)."""

    def finding(self, last_answered: Exchange | None) -> Finding:
        e = last_answered
        if e is None:
            return Finding("server_alive", f"the server stopped answering ({self.detail})", self.exchange)
        return Finding("server_alive", f"the server stopped answering ({self.detail}); the last request it "
                                       f"answered, {e.method} {urlsplit(e.url).path} (HTTP {e.status}, "
                                       f"{e.operation}), is the likely cause; the run stopped there", e)


def accepts_connections(base_url: str) -> bool:
    """Whether the target accepts a TCP connection again (a refused request may be a restart's blip)."""
    parts = urlsplit(base_url)
    address = (parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80))
    for attempt in range(_CONFIRM_ATTEMPTS):
        if attempt:
            time.sleep(_CONFIRM_INTERVAL)
        try:
            socket.create_connection(address, timeout=1.0).close()
        except OSError:
            continue
        return True
    return False


class LastAnswered:
    """`CheckEnv.on_exchange` that also remembers the last exchange the server answered (the likely
    cause when it dies) and the timeouts since (a hung server), then passes every exchange on to `then`."""

    def __init__(self, then: Callable[[Exchange], None] | None = None) -> None:
        self.then = then
        self.last: Exchange | None = None
        self._silence: list[Exchange] = []
        """Requests that timed out since the last answer (the last `HUNG_AFTER`)."""
        self._lock = threading.Lock()

    def seen(self, exchange: Exchange) -> None:
        with self._lock:
            if not exchange.transport_error:
                self.last = exchange
                self._silence.clear()
            elif exchange.transport_error.startswith(TIMEOUT_KIND + ":"):
                self._silence = [*self._silence[1 - HUNG_AFTER:], exchange]

    def hung(self) -> ServerDied | None:
        """`HUNG_AFTER` timeouts in a row, on more than one operation, and no answer between: the
        server hangs (not one slow operation), and each request left would cost a timeout more."""
        with self._lock:
            silence = list(self._silence)
        if len(silence) < HUNG_AFTER or len({e.operation for e in silence}) < 2:
            return None
        e = silence[-1]
        why = e.transport_error.removeprefix(TIMEOUT_KIND + ": ").split(" (")[0]
        return ServerDied(f"{len(silence)} requests in a row timed out ({why}), the last "
                          f"{request_label(e.operation, e.method, e.url)}; if it is only slow, raise "
                          f"{TIMEOUT_OPTION}", e)

    def __call__(self, exchange: Exchange) -> None:
        self.seen(exchange)
        if self.then is not None:
            self.then(exchange)


# -- Schemathesis' side ---------------------------------------------------------------------------
def cap_response(response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
    """A `requests` response hook: read at most `MAX_RESPONSE_BYTES` of the body (more raises
    `ResponseOverCap`; the rest is never read, the connection closed), within the request timeout;
    an error while reading names the request."""
    if response._content is not False or "text/event-stream" in response.headers.get("Content-Type", ""):
        return response  # read already (in process), or a stream Schemathesis bounds itself
    timeout = kwargs.get("timeout")
    seconds = timeout[1] if isinstance(timeout, tuple) else timeout
    deadline = time.monotonic() + seconds if isinstance(seconds, int | float) and seconds > 0 else None
    try:
        body, cut = read_capped(response.iter_content(CHUNK_BYTES), MAX_RESPONSE_BYTES, deadline)
    except BodyTimeout as exc:
        response.close()
        raise requests.exceptions.ReadTimeout(str(exc), request=response.request, response=response) from exc
    except requests.RequestException as exc:
        if exc.request is None:
            exc.request = response.request
        raise
    if cut:
        response.close()  # the rest stays unread; the connection is not reused
        raise ResponseOverCap(body, request=response.request, response=response)
    response._content = body
    response._content_consumed = True
    return response


class ResponseOverCap(requests.exceptions.RequestException):
    """A Schemathesis request whose body is over the cap, raised instead of answering it: no check
    of Schemathesis' runs on it, so none re-sends it (`ignored_auth`, content-type controls send
    through no hook and would read the whole body); `engine_error` turns it into the exchange."""

    def __init__(self, body: bytes, *, request: Any, response: requests.Response) -> None:
        super().__init__(f"HTTP {response.status_code} body over {size_text(MAX_RESPONSE_BYTES)}",
                         request=request, response=response)
        self.body = body


def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    """Schemathesis' `before_call`: the requests of a contract-kit run over the network get `cap_response`."""
    from .binding import bound_to

    if bound_to(case) is None or getattr(case.operation, "app", None) is not None:
        return  # not ours, or in process (the embedded mock): nothing to bound
    hooks = kwargs.setdefault("hooks", {})
    existing = hooks.get("response") or []
    existing = [existing] if callable(existing) else list(existing)
    if cap_response not in existing:
        hooks["response"] = [*existing, cap_response]


def register_schemathesis() -> None:
    """Register `before_call` with Schemathesis (global: `before_call` has no schema scope); once,
    whatever the number of calls (Schemathesis' registry says whether it is there)."""
    from .binding import register_global_hook

    register_global_hook("before_call", before_call)


def engine_error(error: Exception, label: str, base_url: str, labels: dict[str, str], timeout: float | None,
                 *, answered: bool) -> Exchange | ServerDied | UsageError | None:
    """What a Schemathesis `NonFatalError` means for the run: the server died (`ServerDied`), one
    request got no usable answer (an `Exchange` with `transport_error`, for `CheckEnv.evaluate`),
    a target that never `answered` gives nothing usable (`UsageError`), or not a network problem (None);
    a body over the cap (`ResponseOverCap`) is the exchange with its body cut, for `response_size`."""
    if type(error).__name__ == "ServerUnavailable":  # Schemathesis saw answers, then refusals
        detail = str(error).split(". Last request", 1)[0]  # not the curl commands that follow (credentials)
        return ServerDied(detail, _no_response(None, "", base_url, "", detail))
    network = next((e for e in _chain(error) if isinstance(e, requests.RequestException)), None)
    if network is None:
        return None
    method, _, path = label.partition(" ")
    operation = labels.get(label, label)
    if isinstance(network, ResponseOverCap) and network.response is not None:  # answered, too long
        cut = _no_response(network.request, operation, base_url, label, "")
        return replace(cut, status=network.response.status_code, response_headers=dict(network.response.headers),
                       response_body=network.body)
    if not answered:
        return UsageError(first_request_error(base_url, request_label(operation, method, path), network, timeout))
    exchange = _no_response(network.request, operation, base_url, label, describe(network, timeout))
    if refused(network) and not accepts_connections(base_url):
        return ServerDied(f"connection refused on {request_label(operation, method, path)}", exchange)
    return exchange


def _no_response(request: Any, operation: str, base_url: str, label: str, why: str) -> Exchange:
    """The exchange of a Schemathesis request that got no usable answer (`label`: "METHOD /path")."""
    method, _, path = label.partition(" ")
    body = getattr(request, "body", None) or b""
    headers = dict(getattr(request, "headers", None) or {})
    return Exchange(
        operation=operation or "(server)",
        method=str(getattr(request, "method", None) or method or "GET"),
        url=str(getattr(request, "url", None) or base_url.rstrip("/") + path),
        request_headers={k: v for k, v in headers.items() if k.lower() != "authorization"},
        request_body=body.encode("utf-8") if isinstance(body, str) else bytes(body),
        status=0,
        response_headers={},
        response_body=b"",
        authenticated="authorization" in {k.lower() for k in headers},
        transport_error=why,
    )
