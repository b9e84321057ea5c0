"""Re-validating recorded traffic against the contract.

Each recorded interaction is matched to its operation by method and path (`contract_kit.routes`,
derived from the document's paths). Then:

* the request, as it travelled (form body, JSON body or query string, and its Content-Type), is
  judged by `contract_kit.validate.validate_request`, the one request verdict; a request the
  contract rejects is a problem when it was answered 2xx (the server accepted what the contract
  forbids), or always with `strict_requests` (a recording of a client that must only send valid
  requests); with `strict`, our stricter readings (basis `ours`) are errors too, as under
  `validate --strict`;
* a request the contract accepts but the server answered 400 is a problem (the contract is looser
  than the server), unless the request breaks one of our stricter readings (basis `ours`, such as
  a field sent twice): a server may accept such a request or reject it, and either conforms;
* the response must conform (`contract_kit.responses`): a declared status, JSON, the schema;
* a secret anywhere in the recording is a problem (`contract_kit.cassettes.secrets`).

`check_cassette(path)` reads a cassette file; `check_interactions(pairs)` takes vcrpy's in-memory
`(Request, response)` pairs (what the pytest plugin checks at the end of a test).
"""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from ..contract import Contract, Operation, default_contract
from ..responses import ResponseChecker
from ..validate import Report, Violation, validate_request
from ..yamlload import YamlError, load_yaml
from .secrets import SENSITIVE_HEADERS, Scrubber

ProblemKind = Literal[
    "accepted-invalid", "invalid-request", "rejected-valid", "response", "secret", "unknown-operation"
]
CASSETTE_PATTERNS = ("*.yaml", "*.yml")


class CassetteError(Exception):
    """A cassette file that cannot be read or is not a vcrpy cassette."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a recorded interaction (or a cassette)."""

    kind: ProblemKind
    message: str
    rule: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "message": self.message, "rule": self.rule}


@dataclass(frozen=True)
class InteractionReport:
    """The verdict on one recorded request and its response."""

    index: int
    method: str
    uri: str
    status: int
    operation: str | None
    violations: tuple[Violation, ...] = ()
    """The request's violations of the contract (also those of requests rightly rejected)."""
    problems: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def path(self) -> str:
        return urlsplit(self.uri).path

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "method": self.method,
            "uri": self.uri,
            "status": self.status,
            "operation": self.operation,
            "ok": self.ok,
            "violations": [v.to_dict() for v in self.violations],
            "problems": [p.to_dict() for p in self.problems],
        }


@dataclass(frozen=True)
class CassetteReport:
    """The verdict on one cassette: every interaction, and what concerns the file as a whole."""

    source: str
    interactions: tuple[InteractionReport, ...] = ()
    problems: tuple[Problem, ...] = ()
    error: str | None = None
    """Why the cassette could not be read (then nothing else was checked)."""

    @property
    def readable(self) -> bool:
        return self.error is None

    @property
    def ok(self) -> bool:
        return self.readable and not self.problems and all(i.ok for i in self.interactions)

    def all_problems(self) -> Iterator[tuple[InteractionReport | None, Problem]]:
        yield from ((None, p) for p in self.problems)
        for interaction in self.interactions:
            yield from ((interaction, p) for p in interaction.problems)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "readable": self.readable,
            "error": self.error,
            "ok": self.ok,
            "problems": [p.to_dict() for p in self.problems],
            "interactions": [i.to_dict() for i in self.interactions],
        }

    def describe(self) -> list[str]:
        """One line per problem, as a person reads them (empty when the cassette is clean)."""
        if self.error is not None:
            return [f"{self.source}: unreadable: {self.error}"]
        lines = []
        for interaction, problem in self.all_problems():
            if interaction is None:
                lines.append(f"{self.source}: {problem.kind}: {problem.message}")
            else:
                op = interaction.operation or "no operation"
                where = f"{self.source}#{interaction.index} {interaction.method} {interaction.path} ({op})"
                lines.append(f"{where} -> {interaction.status}: {problem.kind}: {problem.message}")
        return lines


@dataclass
class CassetteChecker:
    """Checks recorded interactions against a contract; reusable across cassettes."""

    contract: Contract = field(default_factory=default_contract)
    secrets: Iterable[str] = ()
    strict_requests: bool = False
    """Every request must satisfy the contract, even one the server rightly rejected."""
    strict: bool = False
    """Our stricter readings (rules of basis `ours`) are errors, as under `validate --strict`."""

    def __post_init__(self) -> None:
        self.responses = ResponseChecker(self.contract)
        self.scrubber = Scrubber(self.secrets)

    def check_file(self, path: str | os.PathLike[str]) -> CassetteReport:
        source = os.fspath(path)
        try:
            text, pairs = load_cassette(path)
        except CassetteError as exc:
            return CassetteReport(source, error=str(exc))
        report = self.check_interactions(pairs, source)
        if not any(p.kind == "secret" for _, p in report.all_problems()):
            leaked = self.scrubber.find(text, "the cassette file")
            if leaked:
                extra = tuple(Problem("secret", message) for message in leaked)
                return CassetteReport(source, report.interactions, report.problems + extra)
        return report

    def check_interactions(self, pairs: Iterable[tuple[Any, Mapping[str, Any]]], source: str) -> CassetteReport:
        """Check vcrpy `(Request, response dict)` pairs."""
        return CassetteReport(source, tuple(self.check_one(i, req, resp) for i, (req, resp) in enumerate(pairs)))

    def check_one(self, index: int, request: Any, response: Mapping[str, Any]) -> InteractionReport:
        method = str(request.method).upper()
        uri = str(request.uri)
        status = int((response.get("status") or {}).get("code", 0))
        headers = _headers(response.get("headers"))
        body = _bytes((response.get("body") or {}).get("string"))
        request_body = _bytes(request.body)
        secrets = [Problem("secret", message) for message in self._leaks(request, uri, request_body, headers, body)]
        op = self.responses.routes.match(method, uri)
        if op is None:
            unknown = Problem("unknown-operation", f"{method} {urlsplit(uri).path} is no operation of the contract")
            return InteractionReport(index, method, uri, status, None, (), (unknown, *secrets))
        request_type = _first(_headers(dict(request.headers)), "content-type") or None
        verdict = validate_request(
            op,
            body=request_body,
            query=urlsplit(uri).query,
            content_type=request_type,
            strict=self.strict,
            contract=self.contract,
        )
        problems = self._verdict(op, status, verdict)
        content_type = _first(headers, "content-type")
        problems += [
            Problem("response", message)
            for message in self.responses.problems(method, uri, status, content_type, body, operation=op)
        ]
        problems += secrets
        return InteractionReport(index, method, uri, status, op.operation_id, verdict.violations, tuple(problems))

    def _leaks(
        self, request: Any, uri: str, request_body: bytes, headers: dict[str, list[str]], body: bytes
    ) -> list[str]:
        """The secrets of one interaction, each named with where it is. One search of all its parts
        together first: nearly every interaction holds none, and that search finds whatever a part holds
        (no pattern spans the line breaks joining them), so the parts are searched only when it finds one."""
        request_headers = dict(request.headers)
        request_text, body_text = request_body.decode("utf-8", "replace"), body.decode("utf-8", "replace")
        named = [*request_headers, *headers]
        values = [str(v) for vs in (*request_headers.values(), *headers.values()) for v in _listed(vs)]
        joined = "\n".join([uri, request_text, body_text, *values])
        if not any(n.lower() in SENSITIVE_HEADERS for n in named) and not self.scrubber.find(joined, ""):
            return []
        return (
            self.scrubber.find_in_headers(request_headers, "the request")
            + self.scrubber.find(uri, "the request URL")
            + self.scrubber.find(request_text, "the request body")
            + self.scrubber.find_in_headers(headers, "the response")
            + self.scrubber.find(body_text, "the response body")
        )

    def _verdict(self, op: Operation, status: int, report: Report) -> list[Problem]:
        """The request's verdict against the server's answer (`report` is read under `strict`)."""
        errors = report.errors
        if errors and self.strict_requests:
            lead = f"the request breaks the contract (answered {status})"
            return [Problem("invalid-request", f"{lead}: {_show(v)}", v.rule) for v in errors]
        if errors and 200 <= status < 300:
            lead = f"answered {status} to a request that breaks the contract"
            return [Problem("accepted-invalid", f"{lead}: {_show(v)}", v.rule) for v in errors]
        if not errors and status == 400 and not report.stricter:
            # a request breaking only a reading of ours may be rejected: both answers conform
            return [Problem("rejected-valid", f"answered 400 to a request the contract accepts for {op.operation_id}")]
        return []


def load_cassette(path: str | os.PathLike[str]) -> tuple[str, list[tuple[Any, dict[str, Any]]]]:
    """(raw text, [(vcrpy Request, response dict)]) of a cassette file; `CassetteError` if unreadable.

    The text is read by `contract_kit.yamlload.load_yaml` (so an alias bomb is refused before
    anything expands it), then handed to vcrpy's own cassette reading. Only a text `load_yaml`
    read safely but could not construct (vcrpy's `!!python/...` tags for old request bodies)
    is given to vcrpy's YAML loader as well, which constructs those tags.
    """
    import vcr.serializers.yamlserializer as vcr_yaml_loader
    from vcr.serialize import deserialize

    source = os.fspath(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CassetteError(f"cannot read {source}: {exc}") from exc
    serializer: Any
    with _collection_paused():
        try:
            serializer = _Parsed(load_yaml(text, source))
        except YamlError as exc:
            if not _vcrpy_tags_only(exc):
                raise CassetteError(str(exc).removeprefix(f"{source}: ")) from exc
            serializer = vcr_yaml_loader
        try:
            loaded = deserialize(text, serializer)
        except Exception as exc:  # yaml errors, missing keys, wrong types: anything that is no cassette
            reason = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
            raise CassetteError(f"not a vcrpy cassette: {reason}") from exc
    requests, responses = loaded[0], loaded[1]
    if not all(isinstance(r, dict) for r in responses):
        raise CassetteError("not a vcrpy cassette: a response is not a mapping")
    return text, list(zip(requests, responses, strict=True))


@contextlib.contextmanager
def _collection_paused() -> Iterator[None]:
    """Cyclic garbage collection off while a cassette loads: loading allocates a node and an object per
    YAML value, all alive until the end, and the collector's passes over them cost more than the load
    itself (a 10,000-interaction cassette: 4.6 s with, 1.8 s without; `benchmarks/cassettes.py`).
    Reference counting still frees as usual; cycles wait for the next pass."""
    if not gc.isenabled():  # paused by someone else, who resumes it
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class _Parsed:
    """A vcrpy serializer that hands over data `load_yaml` has already read."""

    def __init__(self, data: Any) -> None:
        self.data = data

    def deserialize(self, _text: str) -> Any:
        return self.data


def _vcrpy_tags_only(exc: YamlError) -> bool:
    """Whether `load_yaml` refused the text only for a tag its safe loader cannot construct
    (its size and alias checks passed: it composes the whole document before constructing)."""
    cause = exc.__cause__
    return type(cause).__name__ == "ConstructorError" and ",2002:python/" in str(cause)


def cassette_files(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Files named directly, and every `*.yaml`/`*.yml` beneath the directories named, sorted."""
    found: list[Path] = []
    for item in paths:
        path = Path(item)
        if path.is_dir():
            found += sorted({p for pattern in CASSETTE_PATTERNS for p in path.rglob(pattern) if p.is_file()})
        else:
            found.append(path)
    return found


def check_cassette(
    path: str | os.PathLike[str],
    *,
    contract: Contract | None = None,
    secrets: Iterable[str] = (),
    strict_requests: bool = False,
    strict: bool = False,
) -> CassetteReport:
    """Check every interaction of one cassette file against the contract (see `CassetteChecker`)."""
    checker = CassetteChecker(contract or default_contract(), secrets, strict_requests, strict)
    return checker.check_file(path)


def check_cassettes(
    paths: Iterable[str | os.PathLike[str]],
    *,
    contract: Contract | None = None,
    secrets: Iterable[str] = (),
    strict_requests: bool = False,
    strict: bool = False,
) -> list[CassetteReport]:
    """Check the cassettes of `paths` (files, or directories searched for `*.yaml`/`*.yml`)."""
    checker = CassetteChecker(contract or default_contract(), secrets, strict_requests, strict)
    return [checker.check_file(path) for path in cassette_files(paths)]


def _show(violation: Violation) -> str:
    return f"[{violation.rule}] {violation.pointer or '/'}: {violation.message}"


def _headers(raw: Any) -> dict[str, list[str]]:
    if not isinstance(raw, Mapping):
        return {}
    return {str(k): [str(v) for v in (vs if isinstance(vs, (list, tuple)) else [vs])] for k, vs in raw.items()}


def _listed(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _first(headers: Mapping[str, list[str]], name: str) -> str:
    for key, values in headers.items():
        if key.lower() == name and values:
            return values[0]
    return ""


def _bytes(value: Any) -> bytes:
    if value is None:
        return b""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    if hasattr(value, "getvalue"):
        data = value.getvalue()
        return data if isinstance(data, bytes) else str(data).encode("utf-8")
    return bytes(value) if isinstance(value, (bytearray, memoryview)) else b""
