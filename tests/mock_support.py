"""Shared by the tests/test_mock_*.py modules: valid payloads per cell, and a recorder that checks
every response the tests see against the contract's response schemas."""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from helpers import valid_cell

from contract_kit.contract import Contract
from contract_kit.responses import ResponseChecker as LibraryResponseChecker

TYPES = ("sms", "whatsapp", "web", "chat", "email", "messenger", "gbm")
INITIATED_BY = ("customer", "agent", "api")
CELLS = [(t, i) for t in TYPES for i in INITIATED_BY]

WS = "WS" + "1" * 32
ROUTING = {"properties": {"workspace_sid": WS}}


def valid_payload(kind: str, initiated_by: str) -> dict[str, Any]:
    """A decoded CreateInteraction payload the contract accepts for one cell: the shipped example."""
    payload: dict[str, Any] = valid_cell(kind, initiated_by)
    return payload


# -- response conformance -------------------------------------------------------------------------
@dataclass
class Seen:
    method: str
    path: str
    status: int
    content_type: str
    body: bytes
    """The response body."""
    request_body: bytes = b""
    user_agent: str = ""


class ResponseRecorder:
    """ASGI middleware that records every exchange, in order: the request's body and user agent, the
    response's status, content type and body (tests then check them against the document)."""

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
        received: list[bytes] = []
        more = True
        while more:
            message = await receive()
            received.append(message.get("body", b""))
            more = bool(message.get("more_body"))
        request_body = b"".join(received)
        replayed = False

        async def replay() -> Any:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": request_body, "more_body": False}

        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: Any) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        await self.app(scope, replay, capture)
        request_headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        headers = {k.decode().lower(): v.decode() for k, v in start.get("headers", [])}
        with self._lock:
            self.seen.append(
                Seen(
                    scope["method"],
                    scope["path"],
                    start.get("status", 0),
                    headers.get("content-type", ""),
                    b"".join(chunks),
                    request_body,
                    request_headers.get("user-agent", ""),
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
