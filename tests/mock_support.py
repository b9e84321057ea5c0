"""Shared by the tests/test_mock_*.py modules: valid payloads per cell, and a recorder that checks
every response the tests see against the contract's response schemas."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

import jsonschema_rs

from contract_kit.contract import Contract, default_contract

TYPES = ("sms", "whatsapp", "web", "chat", "email", "messenger", "gbm")
INITIATED_BY = ("customer", "agent", "api")
CELLS = [(t, i) for t in TYPES for i in INITIATED_BY]

WS = "WS" + "1" * 32
WQ = "WQ" + "2" * 32
WK = "WK" + "3" * 32
CH = "CH" + "4" * 32
ROUTING = {"properties": {"workspace_sid": WS}}

_PARTICIPANTS = {
    "sms": {"address": "+15555550123", "proxy_address": "+15555550100"},
    "whatsapp": {"address": "whatsapp:+15555550123", "proxy_address": "whatsapp:+15555550100"},
    "web": {"identity": "customer-1"},
    "chat": {"identity": "customer-1"},
    "email": {"level": "to", "address": "customer@example.com", "name": "A Customer"},
    "messenger": {"address": "messenger:1234"},
    "gbm": {"address": "gbm:1234"},
}


def valid_payload(kind: str, initiated_by: str) -> dict[str, Any]:
    """A decoded CreateInteraction payload that the contract accepts for one cell."""
    properties: dict[str, Any] = {}
    channel: dict[str, Any] = {"type": kind, "initiated_by": initiated_by, "properties": properties}
    routing: dict[str, Any] = {"properties": {"workspace_sid": WS}}
    if initiated_by == "customer":
        properties["media_channel_sid"] = CH
    if kind == "email" and initiated_by in ("agent", "api"):
        properties.update({"from": "support@example.com", "from_name": "Support"})
    if initiated_by == "agent":
        channel["participants"] = [_PARTICIPANTS[kind]]
        routing["properties"].update({"queue_sid": WQ, "worker_sid": WK})
    return {"Channel": channel, "Routing": routing}


# -- response conformance -------------------------------------------------------------------------
@dataclass
class Seen:
    method: str
    path: str
    status: int
    content_type: str
    body: bytes


class ResponseRecorder:
    """ASGI middleware that records every response (tests then check them against the document)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.seen: list[Seen] = []
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:  # `state` and friends of the wrapped app
        return getattr(self.app, name)

    async def __call__(
        self,
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[Any]],
        send: Callable[[Any], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: Any) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, capture)
        headers = {k.decode().lower(): v.decode() for k, v in start.get("headers", [])}
        with self._lock:
            self.seen.append(
                Seen(
                    scope["method"],
                    scope["path"],
                    start.get("status", 0),
                    headers.get("content-type", ""),
                    b"".join(chunks),
                )
            )


class ResponseChecker:
    """Every response against the document: a declared status, JSON, and the declared schema."""

    def __init__(self, contract: Contract | None = None) -> None:
        self.contract = contract or default_contract()
        self._routes = [
            (op.method, re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", op.path) + "$"), op)
            for op in self.contract.operations.values()
        ]
        self._compiled: dict[str, Any] = {}

    def problems(self, seen: Seen) -> list[str]:
        where = f"{seen.method} {seen.path} -> {seen.status}"
        op = next((o for m, rx, o in self._routes if m == seen.method and rx.match(seen.path)), None)
        try:
            body = json.loads(seen.body)
        except ValueError:
            return [f"{where}: body is not JSON: {seen.body[:80]!r}"]
        if not seen.content_type.startswith("application/json"):
            return [f"{where}: content type {seen.content_type!r}"]
        if op is None:  # not an operation of the document: must still be a vendor error
            return self._against(where, "/components/schemas/VendorError", body)
        responses = self.contract.document["paths"][op.path][op.method.lower()]["responses"]
        if str(seen.status) not in responses:
            if seen.status in (405, 413):
                return self._against(where, "/components/schemas/VendorError", body)
            return [f"{where}: status not declared for {op.operation_id}"]
        response = responses[str(seen.status)]
        pointer = (
            response["$ref"][1:]
            if "$ref" in response
            else f"/paths/{_escape(op.path)}/{op.method.lower()}/responses/{seen.status}"
        )
        return self._against(where, pointer + "/content/application~1json/schema", body)

    def _against(self, where: str, pointer: str, body: Any) -> list[str]:
        validator = self._compiled.get(pointer)
        if validator is None:
            node = self.contract.resolve(pointer)
            root = {**node, "components": self.contract.document["components"]}
            validator = jsonschema_rs.Draft202012Validator(root, validate_formats=True)
            self._compiled[pointer] = validator
        return [f"{where}: {e.instance_path}: {e.message}" for e in validator.iter_errors(body)]


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")
