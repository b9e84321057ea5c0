"""Replaying recorded traffic against a server, and reporting what changed against the recording.

A cassette recorded against one build is a regression suite for the next: `replay_cassettes`
re-sends each recorded request, in the recorded order (so an update followed by a fetch still
shows whether the update took), to `base_url`, and compares each answer with the recorded one:

* `status`: the HTTP status;
* `error-code`: the `code` of a vendor error body (`{"code": 20404, "message": ...}`);
* `conformance`: the response's problems against the contract (`contract_kit.responses`), those
  that appeared and those that went away;
* `verdict`: the request's verdict (`validate_request`) against the answer, as `cassettes check`
  reads it (`accepted-invalid`, `rejected-valid`, ...);
* `secret`: a credential (the one replayed with, Basic credentials, user:password URLs) that now
  appears in an answer;
* `body`: the response body's values, when the status is the same (`VALUE_RULE`).

What a server assigns afresh is not a change. The SIDs a server returns are learned as the replay
goes: in every 2xx answer, a SID at the place where the recording had another one (of the same
two-letter prefix) maps recorded -> new, unless the recorded request itself sent that SID (an
input, such as a workspace SID, must come back as sent). Later URLs and bodies are sent with the
mapped SIDs, so a fetch of what a create made fetches what the new server made.

Credentials come from the environment only, as for `run` (`contract_kit.run.target`); the recorded
`Authorization` header (scrubbed anyway) is never re-sent. Off loopback at most `max_writes` write
requests go out unless `allow_writes`; the first write kept back is reported `not sent (write
budget)`, and the rest of its cassette is not sent either (it would be compared with a state the
server never reached). A write the contract rejects and the recording shows rejected (4xx) is sent
freely, as `run` sends negative cases: it changes nothing.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args
from urllib.parse import urlsplit

import httpx

from ..contract import Contract, default_contract
from ..run import hostile
from ..run.safety import WRITE_METHODS, WriteBudget
from ..run.target import DEFAULT_MAX_WRITES, DEFAULT_REQUEST_TIMEOUT, RunOptions, Target, UsageError, resolve_url_target
from .check import CassetteChecker, CassetteError, InteractionReport, _bytes, cassette_files, load_cassette
from .secrets import SENSITIVE_HEADERS

ChangeKind = Literal["no-answer", "status", "error-code", "verdict", "conformance", "secret", "body"]
"""What changed, in the order a report lists them."""

SID = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}[0-9a-f]{32}(?![A-Za-z0-9])")
"""A Twilio SID inside a text: two capital letters and 32 lowercase hex digits."""
_WHOLE_SID = re.compile(r"[A-Z]{2}[0-9a-f]{32}\Z")
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?\Z")
_SID_BYTES = re.compile(rb"(?<![A-Za-z0-9])[A-Z]{2}[0-9a-f]{32}(?![A-Za-z0-9])")
VOLATILE_KEYS = frozenset({"url", "links"})
"""Members whose value a server makes up for its own host and ids (also `*_url` and `date_*`)."""
_NOT_RESENT = frozenset({*SENSITIVE_HEADERS, "host", "content-length", "transfer-encoding", "connection"})
MAX_BODY_CHANGES = 10
"""Body changes listed per interaction; the rest are counted."""

VALUE_RULE = (
    "Response bodies are compared member by member when the status is the same. Ignored: the values of "
    "`url`, `links`, `*_url` and `date_*` members (only null against non-null counts) and ISO-8601 "
    "date-times against date-times. A SID value (^[A-Z]{2}[0-9a-f]{32}$) must be the new server's SID for the "
    "recorded one (learned from 2xx answers as the replay goes; a SID the request sent must come back as "
    "sent); SIDs inside other text are mapped before comparing. The `code` of an error body is reported as "
    "an error-code change. Everything else must be equal, type included."
)


@dataclass(frozen=True)
class Change:
    """One difference between the recorded answer and the new one."""

    kind: ChangeKind
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "message": self.message}


@dataclass(frozen=True)
class ReplayedInteraction:
    """One recorded interaction re-sent (or not), and what changed."""

    index: int
    method: str
    uri: str
    """As recorded."""
    operation: str | None
    recorded_status: int
    path: str | None = None
    """Path and query as sent (with the new server's SIDs); None when not sent."""
    status: int | None = None
    """The new status; None when not sent or not answered."""
    not_sent: str | None = None
    """Why the request was not sent (`write budget`, or the interaction it depends on)."""
    changes: tuple[Change, ...] = ()

    @property
    def sent(self) -> bool:
        return self.not_sent is None

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    def where(self, source: str) -> str:
        return f"{source}#{self.index} {self.method} {urlsplit(self.uri).path} ({self.operation or 'no operation'})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "method": self.method,
            "uri": self.uri,
            "operation": self.operation,
            "recorded_status": self.recorded_status,
            "sent": self.sent,
            "path": self.path,
            "status": self.status,
            "not_sent": self.not_sent,
            "changed": self.changed,
            "changes": [c.to_dict() for c in self.changes],
        }


@dataclass(frozen=True)
class ReplayedCassette:
    source: str
    interactions: tuple[ReplayedInteraction, ...] = ()

    @property
    def changed(self) -> bool:
        return any(i.changed for i in self.interactions)

    def describe(self) -> list[str]:
        """One line per change and per request not sent."""
        lines = []
        for i in self.interactions:
            where = i.where(self.source)
            if not i.sent:
                lines.append(f"{where}: not sent ({i.not_sent})")
            for change in i.changes:
                status = "no answer" if i.status is None else str(i.status)
                lines.append(f"{where} {i.recorded_status} -> {status}: {change.kind}: {change.message}")
        return lines

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "changed": self.changed,
            "interactions": [i.to_dict() for i in self.interactions],
        }


@dataclass(frozen=True)
class ReplayReport:
    """What `replay_cassettes` found: exit code 0 when nothing changed, 1 when something did."""

    base_url: str
    cassettes: tuple[ReplayedCassette, ...]
    write_limit: int | None
    """The write budget (None: unbounded, on loopback or with `allow_writes`)."""
    writes_sent: int = 0
    stopped: str | None = None
    """Why the replay stopped early (the server stopped accepting connections)."""

    @property
    def interactions(self) -> list[ReplayedInteraction]:
        return [i for c in self.cassettes for i in c.interactions]

    @property
    def changed(self) -> list[ReplayedInteraction]:
        return [i for i in self.interactions if i.changed]

    @property
    def not_sent(self) -> list[ReplayedInteraction]:
        return [i for i in self.interactions if not i.sent]

    @property
    def exit_code(self) -> int:
        return 1 if self.changed else 0

    def summary(self) -> dict[str, Any]:
        return {
            "cassettes": len(self.cassettes),
            "interactions": len(self.interactions),
            "sent": len(self.interactions) - len(self.not_sent),
            "changed": len(self.changed),
            "not_sent": len(self.not_sent),
            "writes_sent": self.writes_sent,
            "write_limit": self.write_limit,
        }

    def describe(self) -> list[str]:
        lines = [line for c in self.cassettes for line in c.describe()]
        if self.stopped:
            lines.append(f"stopped early: {self.stopped}")
        s = self.summary()
        budget = "no write limit" if self.write_limit is None else f"write budget {self.write_limit}"
        lines.append(
            f"{s['cassettes']} cassette(s), {s['interactions']} interaction(s) replayed against {self.base_url}: "
            f"{s['changed']} changed, {s['not_sent']} not sent ({s['writes_sent']} write(s) sent, {budget})"
        )
        return lines

    def to_dict(self) -> dict[str, Any]:
        return {
            "base_url": self.base_url,
            "value_rule": VALUE_RULE,
            "stopped": self.stopped,
            "cassettes": [c.to_dict() for c in self.cassettes],
            "summary": self.summary(),
        }


_ABSENT = object()
"""A body that is not JSON (its bytes are compared instead)."""


@dataclass
class _Session:
    """The state one cassette's replay carries from request to request."""

    sids: dict[str, str] = field(default_factory=dict)
    """Recorded SID -> the new server's SID."""
    gap: int | None = None
    """The first write the budget kept back: what follows it would be compared with a state the
    server never reached, so it is not sent."""

    def map_text(self, text: str) -> str:
        return SID.sub(lambda m: self.sids.get(m[0], m[0]), text) if self.sids else text

    def map_bytes(self, data: bytes) -> bytes:
        if not self.sids:
            return data
        return _SID_BYTES.sub(lambda m: self.sids.get(m[0].decode(), m[0].decode()).encode(), data)


@dataclass
class Replayer:
    """Re-sends recorded interactions to a target and compares the answers; one per replay."""

    target: Target
    budget: WriteBudget
    contract: Contract = field(default_factory=default_contract)
    timeout: float = DEFAULT_REQUEST_TIMEOUT
    progress: Callable[[str], None] | None = None
    answered: bool = False
    stopped: str | None = None

    def __post_init__(self) -> None:
        self.checker = CassetteChecker(self.contract, self.target.secrets)
        self.http = httpx.Client(timeout=self.timeout, follow_redirects=False)

    def close(self) -> None:
        self.http.close()

    def replay(self, source: str, pairs: list[tuple[Any, dict[str, Any]]]) -> ReplayedCassette:
        session = _Session()
        done = [self._one(session, index, request, response) for index, (request, response) in enumerate(pairs)]
        if self.progress:
            changed = sum(i.changed for i in done)
            self.progress(f"{source}: {len(done)} interaction(s) replayed, {changed} changed")
        return ReplayedCassette(source, tuple(done))

    def _one(self, session: _Session, index: int, request: Any, response: Mapping[str, Any]) -> ReplayedInteraction:
        recorded = self.checker.check_one(index, request, response)
        method, uri, recorded_status = recorded.method, recorded.uri, recorded.status
        body = _bytes(request.body)
        request_text = uri + "\n" + body.decode("utf-8", "replace")
        recorded_body = _bytes((response.get("body") or {}).get("string"))
        recorded_json = _json(recorded_body)

        def withhold(reason: str) -> ReplayedInteraction:
            return ReplayedInteraction(index, method, uri, recorded.operation, recorded_status, not_sent=reason)

        if self.stopped:
            return withhold(f"the replay stopped: {self.stopped}")
        if session.gap is not None:  # the server's state has left the recording's: nothing left to compare
            return withhold(f"follows #{session.gap}, a write not sent")
        harmless = any(v.severity == "error" for v in recorded.violations) and recorded_status >= 400
        if method in WRITE_METHODS and not harmless and not self.budget.take():
            session.gap = index
            return withhold("write budget")
        parts = urlsplit(uri)
        path = session.map_text(parts.path + (f"?{parts.query}" if parts.query else ""))
        content = session.map_bytes(body)
        headers = {k: str(v) for k, v in dict(request.headers).items() if k.lower() not in _NOT_RESENT}
        try:
            status, new_headers, new_body = self._send(method, path, content, headers)
        except (httpx.HTTPError, hostile.BodyTimeout) as exc:
            label = hostile.request_label(recorded.operation or "no operation", method, path)
            if not self.answered:
                raise UsageError(hostile.first_request_error(self.target.base_url, label, exc, self.timeout)) from exc
            if hostile.refused(exc) and not hostile.accepts_connections(self.target.base_url):
                self.stopped = f"{self.target.base_url} stopped accepting connections at {label}"
            change = Change("no-answer", f"no answer: {hostile.describe(exc, self.timeout)}")
            return ReplayedInteraction(index, method, uri, recorded.operation, recorded_status, path, None,
                                       changes=(change,))
        self.answered = True
        new_json = _json(new_body)
        if 200 <= status < 300 and 200 <= recorded_status < 300:
            _learn(recorded_json, new_json, session.sids, set(SID.findall(request_text)))
        sent = _Sent(method, self.target.base_url + path, content, headers)
        answer = {"status": {"code": status}, "headers": new_headers, "body": {"string": new_body}}
        now = self.checker.check_one(index, sent, answer)
        changes = _changes(recorded, now)
        recorded_leaks = self._leaks(response.get("headers"), recorded_body)
        changes += [Change("secret", f"now leaks {m}") for m in self._leaks(new_headers, new_body) - recorded_leaks]
        changes += _answer_changes(
            recorded_status, status, (recorded_body, recorded_json), (new_body, new_json), session
        )
        order = get_args(ChangeKind)
        changes.sort(key=lambda c: order.index(c.kind))
        # a body value may be a secret the server echoed: reports name it, never show it
        shown = tuple(Change(c.kind, self.checker.scrubber.scrub_text(c.message)) for c in changes)
        return ReplayedInteraction(index, method, uri, recorded.operation, recorded_status, path, status,
                                   changes=shown)

    def _leaks(self, headers: Any, body: bytes) -> set[str]:
        """Known secret values (the credentials replayed with, Basic credentials, user:password URLs) in an
        answer. Header names are not judged: a recording never keeps a Set-Cookie a live server sends."""
        values = [str(v) for vs in (headers or {}).values() for v in (vs if isinstance(vs, list) else [vs])]
        found = self.checker.scrubber.find("\n".join(values), "the response headers")
        return set(found + self.checker.scrubber.find(body.decode("utf-8", "replace"), "the response body"))

    def _send(self, method: str, path: str, content: bytes, headers: dict[str, str]
              ) -> tuple[int, dict[str, list[str]], bytes]:
        credentials = self.target.credentials
        with self.http.stream(
            method, self.target.base_url + path, content=content or None, headers=headers,
            auth=credentials.auth if credentials else None,
        ) as response:
            received, _ = hostile.read_capped(response.iter_bytes(), hostile.MAX_RESPONSE_BYTES,
                                              time.monotonic() + self.timeout)
            answer_headers: dict[str, list[str]] = {}
            for key, value in response.headers.multi_items():
                answer_headers.setdefault(key, []).append(value)
            return response.status_code, answer_headers, received


@dataclass(frozen=True)
class _Sent:
    """The request as re-sent, in the shape `CassetteChecker.check_one` reads (a vcrpy `Request`'s)."""

    method: str
    uri: str
    body: bytes
    headers: dict[str, str]


def replay_cassettes(
    paths: Iterable[str | os.PathLike[str]],
    base_url: str,
    *,
    max_writes: int = DEFAULT_MAX_WRITES,
    allow_writes: bool = False,
    timeout: float = DEFAULT_REQUEST_TIMEOUT,
    env: Mapping[str, str] | None = None,
    contract: Contract | None = None,
    progress: Callable[[str], None] | None = None,
) -> ReplayReport:
    """Replay the cassettes of `paths` (files, or directories of `*.yaml`/`*.yml`) against `base_url`.

    Raises `contract_kit.run.UsageError` before sending anything for a cassette that cannot be read,
    no cassette at all, or missing credentials (from `env`, `os.environ` by default, as for `run`),
    and when the first request gets no answer (an unreachable server).
    """
    named = [os.fspath(p) for p in paths]
    files = cassette_files(named)
    if not files:
        raise UsageError(f"no cassette (*.yaml, *.yml) in {' '.join(named)}")
    loaded = []
    for path in files:
        try:
            loaded.append((os.fspath(path), load_cassette(path)[1]))
        except CassetteError as exc:
            raise UsageError(f"{os.fspath(path)}: unreadable cassette: {exc}") from exc
    target = resolve_url_target(RunOptions(base_url=base_url, env=env, request_timeout=timeout))
    limit = None if target.loopback or allow_writes else max_writes
    replayer = Replayer(target, WriteBudget(limit), contract or default_contract(), timeout, progress)
    try:
        cassettes = tuple(replayer.replay(source, pairs) for source, pairs in loaded)
    finally:
        replayer.close()
    return ReplayReport(target.base_url, cassettes, limit, replayer.budget.used, replayer.stopped)


# -- comparing --------------------------------------------------------------------------------------
def _changes(recorded: InteractionReport, now: InteractionReport) -> list[Change]:
    """Problems (`cassettes check`'s) that appeared or went away: conformance and verdict (a secret
    is judged on the answer alone, `Replayer._leaks`: the recording's own are `check`'s concern)."""

    def keyed(report: InteractionReport) -> dict[tuple[str, str], str]:
        out: dict[tuple[str, str], str] = {}
        for p in report.problems:
            if p.kind == "secret":
                continue
            # a message may name SIDs a server made afresh; a verdict's names the status (reported apart)
            key = (p.kind, _masked(p.message) if p.kind == "response" else p.rule or "")
            out.setdefault(key, p.message)
        return out

    before, after = keyed(recorded), keyed(now)
    changes = []
    for key, message in after.items():
        if key not in before:
            changes.append(_problem_change(key[0], message, now=True))
    for key, message in before.items():
        if key not in after:
            changes.append(_problem_change(key[0], message, now=False))
    return changes


def _problem_change(kind: str, message: str, *, now: bool) -> Change:
    """A `cassettes check` problem that appeared (`now`) or went away, as a change."""
    if kind == "response":
        return Change("conformance", f"{'new problem' if now else 'problem gone'}: {message}")
    return Change("verdict", f"{'now' if now else 'no longer'} {kind}: {message}")


def _answer_changes(
    recorded_status: int, status: int, recorded_body: tuple[bytes, Any], new_body: tuple[bytes, Any], session: _Session
) -> list[Change]:
    """Status, error code and (for the same status) body values; each body as (bytes, parsed)."""
    (old_bytes, recorded), (new_bytes, new) = recorded_body, new_body
    changes = []
    if status != recorded_status:
        changes.append(Change("status", f"recorded {recorded_status}, now {status}"))
    old_code, new_code = _error_code(recorded), _error_code(new)
    if old_code != new_code:
        changes.append(Change("error-code", f"recorded {_show(old_code)}, now {_show(new_code)}"))
    if status != recorded_status:
        return changes  # another kind of answer: its body is not the recorded one's to compare
    found: list[str] = []
    if recorded is _ABSENT and new is _ABSENT:
        if session.map_bytes(old_bytes) != new_bytes:
            found.append(f"the body (not JSON): recorded {_show(old_bytes.decode('utf-8', 'replace'))}, "
                         f"now {_show(new_bytes.decode('utf-8', 'replace'))}")
    elif recorded is _ABSENT or new is _ABSENT:
        found.append("the body: " + ("now JSON" if recorded is _ABSENT else "no longer JSON"))
    else:
        _diff(recorded, new, "", session, found, {"/code"} if old_code != new_code else set())
    changes += [Change("body", line) for line in found[:MAX_BODY_CHANGES]]
    if len(found) > MAX_BODY_CHANGES:
        changes.append(Change("body", f"and {len(found) - MAX_BODY_CHANGES} more body change(s)"))
    return changes


def _diff(old: Any, new: Any, pointer: str, session: _Session, out: list[str], skip: set[str]) -> None:
    """Append to `out` a line per difference of `new` from `old` under `VALUE_RULE`."""
    if pointer in skip:
        return
    where = pointer or "/"
    if isinstance(old, dict) and isinstance(new, dict):
        for key in [*old, *(k for k in new if k not in old)]:
            p = f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}"
            if key not in new:
                out.append(f"{p}: gone (recorded {_show(old[key])})")
            elif key not in old:
                out.append(f"{p}: new member ({_show(new[key])})")
            elif _volatile(str(key)):
                if (old[key] is None) != (new[key] is None):
                    out.append(f"{p}: recorded {_show(old[key])}, now {_show(new[key])}")
            else:
                _diff(old[key], new[key], p, session, out, skip)
        return
    if isinstance(old, list) and isinstance(new, list):
        if len(old) != len(new):
            out.append(f"{where}: {len(old)} item(s) recorded, {len(new)} now")
        for i, (a, b) in enumerate(zip(old, new, strict=False)):
            _diff(a, b, f"{pointer}/{i}", session, out, skip)
        return
    if isinstance(old, str) and isinstance(new, str):
        if _WHOLE_SID.match(old):
            same = new == session.sids.get(old, old)
        elif _DATE_TIME.match(old):
            same = bool(_DATE_TIME.match(new))
        else:
            same = session.map_text(old) == new
        if not same:
            out.append(f"{where}: recorded {_show(old)}, now {_show(new)}")
        return
    if (type(old) is not type(new) and not (_number(old) and _number(new))) or old != new:
        out.append(f"{where}: recorded {_show(old)}, now {_show(new)}")


def _learn(old: Any, new: Any, sids: dict[str, str], inputs: set[str]) -> None:
    """Map the recorded SIDs of a 2xx answer to the new server's, place by place (see the module)."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key, value in old.items():
            if key in new and not _volatile(str(key)):
                _learn(value, new[key], sids, inputs)
    elif isinstance(old, list) and isinstance(new, list):
        for a, b in zip(old, new, strict=False):
            _learn(a, b, sids, inputs)
    elif (
        isinstance(old, str) and isinstance(new, str) and old not in sids and old not in inputs
        and old[:2] == new[:2] and _WHOLE_SID.match(old) and _WHOLE_SID.match(new)
    ):
        sids[old] = new


def _volatile(key: str) -> bool:
    return key in VOLATILE_KEYS or key.endswith("_url") or key.startswith("date_")


def _error_code(body: Any) -> Any:
    """The `code` of a vendor error body, else None."""
    if isinstance(body, dict) and "code" in body and "message" in body:
        return body["code"]
    return None


def _masked(text: str) -> str:
    """`text` with every SID as its prefix, so messages naming fresh SIDs compare equal."""
    return SID.sub(lambda m: m[0][:2] + "…", text)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _show(value: Any, limit: int = 80) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return _ABSENT if body else None

