"""Our checks: small named functions over one exchange, each saying what it defends.

Every check takes an `Exchange` (a request and its response, whoever sent it) and returns the
findings it has (none when the exchange conforms). They all derive from the contract model: the
verdict on a request is `validate.validate_request` (the one verdict of contract-kit, shared with
the mock and the cassette checker), response shapes are the document's response schemas as
`contract.Contract` compiles them. `engine.register` makes them one Schemathesis check too, so the
same code judges generated cases and our targeted ones.

What a server is failed for: breaking what the vendor states, or a protocol fact. Our stricter
readings (rules of basis `ours`) are advice: a server may accept a request that only they forbid
(the run notes it) or reject it with 400; both conform.

Why `contract_verdict` replaces Schemathesis' `positive_data_acceptance` and
`negative_data_rejection`: Schemathesis decides "valid" with its own reading of the schema, and
it cannot read the conditional rules (`if`/`then`), so it would call payloads valid that the
contract forbids. The contract's validator is the oracle here.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ..contract import Contract, Operation
from ..responses import ResponseChecker
from ..validate import Report, Violation, validate_request, validator_for
from .hostile import cut_at, response_size
from .report import Exchange, Finding

Check = Callable[["CheckEnv", Exchange], list[Finding]]


@dataclass
class CheckEnv:
    """What the checks of one run share: the contract, and where findings and notes go."""

    contract: Contract
    findings: list[Finding] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    operations: dict[str, int] = field(default_factory=dict)
    rules_seen_rejected: set[str] = field(default_factory=set)
    stricter_accepted: set[str] = field(default_factory=set)
    """Rules of our stricter reading that the server accepted a request breaking (which conforms)."""
    notes: dict[str, str] = field(default_factory=dict)
    """Notes for the report, one per key (see `note`)."""
    strict: bool = False
    """`run --strict`: our stricter readings are errors of the verdict (a 400 is demanded)."""
    setup: dict[str, int] = field(default_factory=dict)
    """Requests sent as set-up to operations outside the run's scope (operationId -> count)."""
    lock: threading.Lock = field(default_factory=threading.Lock)
    on_exchange: Callable[[Exchange], None] | None = None

    def operation(self, exchange: Exchange) -> Operation:
        return self.contract.operation(exchange.operation)

    def note(self, text: str, key: str | None = None) -> None:
        """Add a note to the report, once per `key` (the text itself by default); thread-safe.

        Of several texts under one key the smallest is kept, so the note does not depend on which
        of several concurrent requests came first."""
        key = text if key is None else key
        with self.lock:
            known = self.notes.get(key)
            if known is None or text < known:
                self.notes[key] = text

    def note_texts(self) -> list[str]:
        """The notes, in a stable order (by key)."""
        with self.lock:
            return [self.notes[key] for key in sorted(self.notes)]

    def record_setup(self, exchange: Exchange) -> None:
        """A set-up request to an operation the run does not test: counted and kept for clean-up,
        never judged."""
        with self.lock:
            self.setup[exchange.operation] = self.setup.get(exchange.operation, 0) + 1
        if self.on_exchange is not None:
            self.on_exchange(exchange)

    def evaluate(self, exchange: Exchange, checks: Mapping[str, Check] | None = None) -> list[Finding]:
        """Run `checks` (all of ours by default) on one exchange and record what they find."""
        found: list[Finding] = []
        if exchange.status == 0:  # no response at all: only "the service answers" can be judged
            checks = {"no_server_error": CHECKS["no_server_error"]}
        elif cut_at(exchange.response_body) is not None:  # a body cut at the cap: only its size is judged
            checks = {"response_size": CHECKS["response_size"]}
        for name, check in (checks or CHECKS).items():
            found += check(self, exchange)
            with self.lock:
                self.counts[name] = self.counts.get(name, 0) + 1
        with self.lock:
            self.operations[exchange.operation] = self.operations.get(exchange.operation, 0) + 1
            self.findings += found
        if self.on_exchange is not None:
            self.on_exchange(exchange)
        return found


# -- helpers --------------------------------------------------------------------------------------
def verdict(env: CheckEnv, exchange: Exchange) -> Report | None:
    """The contract's verdict on the request as it travelled (`validate.validate_request`: its body,
    or its query string, and its Content-Type); None when the operation takes neither."""
    op = env.operation(exchange)
    if not op.has_request:
        return None
    return validate_request(
        op,
        body=exchange.request_body,
        query=urlsplit(exchange.url).query,
        content_type=_header(exchange.request_headers, "content-type"),
        strict=env.strict,
        contract=env.contract,
    )


def _header(headers: Mapping[str, str], name: str) -> str | None:
    return next((value for key, value in headers.items() if key.lower() == name), None)


def _finding(check: str, exchange: Exchange, message: str, rule: str | None = None) -> list[Finding]:
    return [Finding(check, message, exchange, rule)]


def _first_error(validator: Any, instance: Any) -> str:
    for error in validator.iter_errors(instance):
        where = "/" + "/".join(str(p) for p in error.instance_path)
        return f"at {where}: {error.message}"[:300]
    return "does not match"


# -- the checks -----------------------------------------------------------------------------------
STRICTER_NOTE = "the server accepts what only our stricter reading forbids"


def contract_verdict(env: CheckEnv, exchange: Exchange) -> list[Finding]:
    """Defends every error rule of `components.x-rules`: a request that breaks a rule the vendor
    states gets 400 (never 2xx), and a request the contract accepts is accepted (2xx); warnings
    never reject. A request whose only violations are our stricter readings (basis `ours`: a field
    sent twice, bytes that are not UTF-8, ...) may be accepted (2xx: a note, once per rule) or
    rejected (400): both conform. A 404 is the right answer for a SID the account does not have,
    unless the run created it."""
    if not exchange.authenticated:
        return []
    report = verdict(env, exchange)
    if report is None:
        return []
    status = exchange.status
    has_path = bool(env.operation(exchange).path_parameters)
    if status == 404 and has_path and not exchange.resources_exist:
        return []
    if status >= 500:
        return []  # no_server_error reports it
    if report.errors:
        rules = sorted({v.rule for v in report.errors})
        if status == 400:
            with env.lock:
                env.rules_seen_rejected.update(rules)
            return []
        first = report.errors[0]
        return _finding(
            "contract_verdict",
            exchange,
            f"a request breaking rule {first.rule} ({first.pointer or '/'}: {first.message}) "
            f"got HTTP {status}, expected 400",
            rules[0] if len(rules) == 1 else first.rule,
        )
    if report.stricter:
        return _stricter_only(env, exchange, report.stricter)
    if 200 <= status < 300:
        return []
    return _finding(
        "contract_verdict",
        exchange,
        f"a request the contract accepts got HTTP {status}, expected 2xx"
        + (f" ({len(report.warnings)} warning(s): warnings never make a payload invalid)" if report.warnings else ""),
        cell_name(exchange, env),
    )


def _stricter_only(env: CheckEnv, exchange: Exchange, stricter: tuple[Violation, ...]) -> list[Finding]:
    """A request only our stricter readings forbid: 2xx (noted) and 400 both conform."""
    status = exchange.status
    rules = sorted({v.rule for v in stricter})
    if 200 <= status < 300:
        with env.lock:
            env.stricter_accepted.update(rules)
        for violation in stricter:
            env.note(
                f"{STRICTER_NOTE}: {violation.rule} at {violation.pointer or '/'} ({exchange.operation}); "
                "a server may accept it or reject it with 400, both conform",
                key=f"stricter:{violation.rule}",
            )
        return []
    if status == 400:
        with env.lock:
            env.rules_seen_rejected.update(rules)
        return []
    first = stricter[0]
    return _finding(
        "contract_verdict",
        exchange,
        f"a request breaking only our stricter reading {first.rule} ({first.pointer or '/'}) got HTTP {status}, "
        "expected 2xx (accepted) or 400 (rejected with the vendor's error body)",
        first.rule,
    )


def cell_name(exchange: Exchange, env: CheckEnv) -> str | None:
    """`cell:type/initiated_by` of a CreateInteraction request, for naming a rejected valid cell."""
    if exchange.operation != "CreateInteraction":
        return None
    validator = validator_for(exchange.operation, env.contract)
    data = validator.decoder.decode(exchange.request_body).instance
    channel = data.get("Channel") if isinstance(data, dict) else None
    if isinstance(channel, dict):
        return f"cell:{channel.get('type')}/{channel.get('initiated_by')}"
    return None


def no_server_error(env: CheckEnv, exchange: Exchange) -> list[Finding]:
    """Defends "never 5xx": whatever the request, the service answers it (400 for junk)."""
    if exchange.transport_error:
        return _finding(
            "no_server_error", exchange,
            f"no usable answer: {exchange.transport_error}",
        )
    if exchange.status >= 500:
        return _finding("no_server_error", exchange, f"HTTP {exchange.status}: the server failed on this request")
    return []


def error_body(env: CheckEnv, exchange: Exchange) -> list[Finding]:
    """Defends the wire's error shape: 4xx are `application/json` `{code, message, more_info,
    status}` (never `type` with `title`), with the code the document gives that status."""
    status = exchange.status
    if not 400 <= status < 500:
        return []
    if exchange.content_type != "application/json":
        return _finding(
            "error_body", exchange, f"HTTP {status} error served as {exchange.content_type or 'no content type'}, "
            "expected application/json with the vendor's error body"
        )
    body = exchange.json()
    validator = env.contract.response_validator(exchange.operation, status)
    if validator is None:
        validator = env.contract.vendor_error_validator()
    if not validator.is_valid(body):
        return _finding(
            "error_body", exchange, f"HTTP {status} error body is not the vendor's: {_first_error(validator, body)}"
        )
    if isinstance(body, dict) and body.get("status") != status:
        return _finding("error_body", exchange, f"error body says status {body.get('status')!r}, HTTP says {status}")
    return []


def response_conforms(env: CheckEnv, exchange: Exchange) -> list[Finding]:
    """Defends the documented responses: a documented status, JSON, and the body its schema says
    (SID patterns, required members such as `links`). Errors are `error_body`'s; the judging is
    `contract_kit.responses`, shared with the cassette checks."""
    status = exchange.status
    if status >= 400:
        return []  # no_server_error / error_body
    problems = _response_checker(env.contract).problems(
        exchange.method, urlsplit(exchange.url).path, status, exchange.content_type, exchange.response_body,
        operation=env.operation(exchange),
    )
    return _finding("response_conforms", exchange, problems[0]) if problems else []


@functools.lru_cache(maxsize=4)
def _response_checker(contract: Contract) -> ResponseChecker:
    return ResponseChecker(contract)


def absolute_urls(env: CheckEnv, exchange: Exchange) -> list[Finding]:
    """Defends `format: uri` members (url, links, list meta): absolute, so that the vendor client
    can follow `next_page_url` exactly as given."""
    if not 200 <= exchange.status < 300 or exchange.content_type != "application/json":
        return []
    response = env.operation(exchange).response(exchange.status)
    if response is None or response.schema_pointer is None:
        return []
    schema = env.contract.resolve(response.schema_pointer)
    for pointer, value in _uri_values(env.contract, schema, exchange.json(), ""):
        parts = urlsplit(value)
        if not (parts.scheme in ("http", "https") and parts.netloc):
            return _finding("absolute_urls", exchange, f"{pointer or '/'} is {value!r}, not an absolute URL")
    return []


def _uri_values(contract: Contract, schema: Any, value: Any, pointer: str, depth: int = 0) -> Iterator[tuple[str, str]]:
    schema = contract.deref(schema)
    if not isinstance(schema, Mapping) or depth > 32:
        return
    for sub in schema.get("allOf", ()):
        yield from _uri_values(contract, sub, value, pointer, depth + 1)
    if schema.get("format") == "uri" and isinstance(value, str):
        yield pointer, value
    if isinstance(value, dict):
        for name, sub in (schema.get("properties") or {}).items():
            if name in value:
                yield from _uri_values(contract, sub, value[name], f"{pointer}/{name}", depth + 1)
    if isinstance(value, list):
        for index, item in enumerate(value[:20]):
            yield from _uri_values(contract, schema.get("items"), item, f"{pointer}/{index}", depth + 1)


def page_size_honoured(env: CheckEnv, exchange: Exchange) -> list[Finding]:
    """Defends `PageSize` on lists: a page holds at most PageSize items and says so in meta."""
    op = env.operation(exchange)
    if not any(name == "PageSize" for name, _ in op.query_parameters) or exchange.status != 200:
        return []
    query = dict(parse_qsl(urlsplit(exchange.url).query))
    size = query.get("PageSize", "")
    body = exchange.json()
    if not size.isdigit() or not isinstance(body, dict):
        return []
    meta = body.get("meta")
    key = meta.get("key") if isinstance(meta, dict) else None
    items = body.get(key) if isinstance(key, str) else None
    if isinstance(items, list) and len(items) > int(size):
        return _finding(
            "page_size_honoured", exchange, f"PageSize={size} but the page holds {len(items)} {key}"
        )
    return []


CHECKS: dict[str, Check] = {
    "contract_verdict": contract_verdict,
    "no_server_error": no_server_error,
    "error_body": error_body,
    "response_conforms": response_conforms,
    "absolute_urls": absolute_urls,
    "page_size_honoured": page_size_honoured,
    "response_size": response_size,
}
"""Our per-exchange checks, by the name a failure carries."""
