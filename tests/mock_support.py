"""Shared by the tests/test_mock_*.py modules: valid payloads per cell, and a recorder that checks
every response the tests see against the contract's response schemas."""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from contract_kit.contract import Contract
from contract_kit.responses import ResponseChecker as LibraryResponseChecker

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
    """Every recorded response against the document (`contract_kit.responses` does the checking)."""

    def __init__(self, contract: Contract | None = None) -> None:
        self._checker = LibraryResponseChecker(contract)

    def problems(self, seen: Seen) -> list[str]:
        where = f"{seen.method} {seen.path} -> {seen.status}"
        found = self._checker.problems(seen.method, seen.path, seen.status, seen.content_type, seen.body)
        return [f"{where}: {problem}" for problem in found]
