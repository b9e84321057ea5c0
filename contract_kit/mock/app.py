"""The Starlette application: one route per path of the contract, one pipeline for every operation.

A request goes: auth (401/20003) -> path parameters against the document's parameter schemas
(404/20404) -> body size (413) -> the one verdict, `contract_kit.validate.validate_request` on the
body (or query string) and its Content-Type (400/20001 iff the report has errors, naming the first
violation's rule id and pointer; every error in `details`) -> the operation's behaviour in
`resources` (404/20404 for what the account does not have). The mock holds no rule of its own:
every check above is the contract's.

Strict by default, lenient on request (`create_app(lenient=True)`, `contract-kit mock --lenient`).
By default the mock enforces every rule of the contract, our stricter readings (rules of basis
`ours`) included, so a client tested against it sends what any server accepts. Lenient, it
enforces only what the vendor states and, where the vendor is silent, accepts what a real server
may: a field sent twice (the last value wins), a field the operation does not name (ignored),
bytes that are not UTF-8 in a field the schema does not constrain, a body sent with another
Content-Type, a `Routing.properties.queue_sid` off its pattern outside agent-initiated
interactions, ... It is the conforming server `contract-kit run` must not fail.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..contract import Contract, Operation, default_contract
from ..validate import PayloadValidator, Report, Violation, validate_request, validator_for
from ..wire import Decoded
from . import errors
from .auth import Accounts
from .faults import Faults
from .resources import HANDLERS, Call, NotFound
from .store import Store

MAX_BODY = 1024 * 1024
"""Largest request body accepted (1 MiB); larger ones get 413 with a vendor error body."""

_HOST = re.compile(r"^[A-Za-z0-9.\-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$")


@dataclass
class MockState:
    """Everything a request needs, shared by all routes of one app (`app.state.mock`)."""

    contract: Contract
    accounts: Accounts
    faults: Faults
    store: Store
    settle_delay: float
    max_body: int
    lenient: bool = False
    """Enforce only the vendor's rules: accept what only our stricter readings (basis `ours`) forbid."""


LENIENT_SETTLE_DELAY = 0.5
"""Seconds a channel of the lenient mock stays in `setup` by default."""


def create_app(
    contract: Contract | None = None,
    *,
    accounts: Accounts | None = None,
    faults: Iterable[str] | Faults = (),
    store: Store | None = None,
    settle_delay: float | None = None,
    max_body: int = MAX_BODY,
    lenient: bool = False,
) -> Starlette:
    """The mock as an ASGI app.

    `faults` are catalogue names (`faults.CATALOGUE`), optionally `name:argument`; `accounts`
    default to `Accounts.defaults()`; `settle_delay` is how long a channel stays in `setup` (by
    default 0: the first read; lenient, `LENIENT_SETTLE_DELAY`: a real service settles a channel
    asynchronously, and a client must wait for it).
    By default every rule of the contract is enforced, ours included; `lenient=True` answers 400
    only to what the vendor's rules reject, and accepts what only our stricter readings forbid (a
    duplicated field: the last value wins; an unknown field: ignored; ...).
    """
    contract = contract or default_contract()
    state = MockState(
        contract=contract,
        accounts=accounts or Accounts.defaults(),
        faults=faults if isinstance(faults, Faults) else Faults(faults),
        store=store or Store(),
        settle_delay=settle_delay if settle_delay is not None else LENIENT_SETTLE_DELAY if lenient else 0.0,
        max_body=max_body,
        lenient=lenient,
    )
    by_path: dict[str, dict[str, Operation]] = {}
    for op in contract.operations.values():
        by_path.setdefault(op.path, {})[op.method] = op
    routes = [Route(path, _endpoint(state, ops), methods=sorted(ops)) for path, ops in by_path.items()]
    app = Starlette(
        routes=routes,
        exception_handlers={HTTPException: _http_error, Exception: _server_error},
    )
    app.state.mock = state
    return app


# -- the pipeline ---------------------------------------------------------------------------------
def _endpoint(state: MockState, ops: Mapping[str, Operation]) -> Callable[[Request], Awaitable[Response]]:
    pipelines = {method: _Pipeline(state, op) for method, op in ops.items()}

    async def endpoint(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        return await pipelines[method](request)

    return endpoint


class _Pipeline:
    """The request pipeline of one operation, with its compiled checks."""

    def __init__(self, state: MockState, op: Operation) -> None:
        self.state = state
        self.op = op
        self.validator: PayloadValidator | None = (
            validator_for(op.operation_id, state.contract) if op.has_request else None
        )
        self.path_checks = [(name, state.contract.validator(pointer)) for name, pointer in op.path_parameters]
        self.handler = HANDLERS.get(op.operation_id)

    async def __call__(self, request: Request) -> Response:
        state, faults = self.state, self.state.faults
        account = state.accounts.authenticate(request.headers.get("authorization"))
        if account is None:
            if "no-auth-check" not in faults:
                return errors.vendor_error(
                    401,
                    errors.AUTHENTICATE,
                    "Authenticate: the Account SID or API key and its secret (HTTP Basic) are missing or wrong",
                    headers={"WWW-Authenticate": 'Basic realm="Twilio API"'},
                )
            account = state.accounts.primary().account_sid
        for name, check in self.path_checks:
            if not check.is_valid(request.path_params.get(name, "")):
                return self._not_found(request, f"{name} {request.path_params.get(name)!r} is not a valid SID")
        body: bytes | None = None
        query: bytes | None = None
        if self.op.body_pointer:
            body = await _read_body(request, state.max_body)
            if body is None:
                return errors.vendor_error(
                    413, errors.TOO_LARGE, f"The request body is larger than {state.max_body} bytes"
                )
        elif self.op.query_parameters:
            query = request.scope.get("query_string", b"")
        data: Mapping[str, Any] = {}
        if self.validator is not None:
            decoded = self.validator.decoder.decode(self._payload(body, query))
            if "crash-on-junk" in faults and body is not None and _is_junk(decoded):
                return Response("Internal Server Error", 500, media_type="text/plain")
            report = validate_request(
                self.op,
                body=body,
                query=query,
                content_type=request.headers.get("content-type"),
                strict=not state.lenient,
                contract=state.contract,
            )
            report = self._without_accepted(report)
            if report.errors:
                return self._invalid(report.errors)
            data = decoded.instance if isinstance(decoded.instance, dict) else {}
        if "crash-on-edge" in faults and (data.get("PageSize") == 1000 or data.get("WebhookTtid") == ""):
            return errors.vendor_error(500, errors.INTERNAL, "Internal server error")
        if (
            "reject-cell" in faults
            and self.op.operation_id == "CreateInteraction"
            and _in_cell(data, faults.argument("reject-cell") or "")
        ):
            return self._error(400, errors.INVALID_PARAMETER, "Invalid parameter: Channel is not supported")
        if self.handler is None:  # pragma: no cover - a test checks every operation has a handler
            return errors.vendor_error(501, errors.INTERNAL, f"{self.op.operation_id} is not implemented")
        call = Call(
            operation_id=self.op.operation_id,
            account=account,
            params=request.path_params,
            data=data,
            base=_base_url(request),
            weight=len(body or query or b""),
            faults=faults,
            store=state.store,
            contract=state.contract,
            settle_delay=state.settle_delay,
        )
        try:
            with state.store.lock:
                status, payload = self.handler(call)
        except NotFound as exc:
            return self._not_found(request, f"{exc.what} was not found")
        if "wrong-status" in faults and status in (200, 201) and self.op.operation_id.startswith("Create"):
            status = 202
        media_type = "text/html" if "wrong-content-type" in faults else "application/json"
        return Response(json.dumps(payload), status, media_type=media_type)

    def _payload(self, body: bytes | None, query: bytes | None) -> bytes:
        """What the verdict decodes (`validate_request`'s reading): an empty optional JSON body is `{}`."""
        if body is None:
            return query or b""
        if not body.strip() and not self.op.body_required and self.op.is_json_body:
            return b"{}"
        return body

    # -- answers ----------------------------------------------------------------------------------
    def _without_accepted(self, report: Report) -> Report:
        accepted = self.state.faults.argument("accept-rule") if "accept-rule" in self.state.faults else None
        if accepted is None or not report.errors:
            return report
        if all(v.rule == accepted for v in report.errors):
            return Report(report.operation, report.warnings)
        return report

    def _invalid(self, problems: tuple[Violation, ...]) -> Response:
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        message = f"Invalid parameter: [{first.rule}] at {first.pointer or '/'}: {first.message}{more}"
        details = {"violations": [v.to_dict() for v in problems]}
        return self._error(400, errors.INVALID_PARAMETER, message, details)

    def _not_found(self, request: Request, why: str) -> Response:
        code = errors.INVALID_PARAMETER if "wrong-error-code" in self.state.faults else errors.NOT_FOUND
        return self._error(404, code, f"The requested resource {request.url.path} was not found: {why}")

    def _error(self, status: int, code: int, message: str, details: Mapping[str, Any] | None = None) -> Response:
        if "non-vendor-error" in self.state.faults:
            return errors.problem_details(status, message)
        return errors.vendor_error(status, code, message, details=details)


# -- helpers --------------------------------------------------------------------------------------
async def _read_body(request: Request, limit: int) -> bytes | None:
    """The body, or None when it is larger than `limit` (read no further than that)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _is_junk(decoded: Decoded) -> bool:
    """A malformed body: a value the decoder could not read, bytes that are not UTF-8, a field sent
    twice, or something other than an object. (A well-formed field the operation does not name is
    not junk.)"""
    return (
        bool(decoded.notes)
        or any(note.kind != "unknown" for note in decoded.wire)
        or not isinstance(decoded.instance, dict)
    )


def _in_cell(data: Mapping[str, Any], cell: str) -> bool:
    channel = data.get("Channel")
    kind, _, initiated_by = cell.partition("/")
    return isinstance(channel, dict) and channel.get("type") == kind and channel.get("initiated_by") == initiated_by


def _base_url(request: Request) -> str:
    """`scheme://host[:port]` of the request, from its Host header when sane, else the socket."""
    scheme = request.scope.get("scheme", "http")
    host = request.headers.get("host", "")
    if not _HOST.match(host):
        server = request.scope.get("server") or ("127.0.0.1", None)
        host = server[0] if server[1] is None else f"{server[0]}:{server[1]}"
    return f"{scheme}://{host}"


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    headers = dict(exc.headers or {}) if isinstance(exc, HTTPException) else {}
    if status == 404:
        return errors.vendor_error(404, errors.NOT_FOUND, f"The requested resource {request.url.path} was not found")
    if status == 405:
        return errors.vendor_error(
            405, errors.METHOD_NOT_ALLOWED, f"Method {request.method} not allowed", headers=headers
        )
    return errors.vendor_error(status, status * 100 if status < 1000 else status, str(exc), headers=headers)


async def _server_error(request: Request, exc: Exception) -> Response:
    return errors.vendor_error(500, errors.INTERNAL, "Internal server error")
