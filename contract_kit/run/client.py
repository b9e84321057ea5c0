"""Sending our own requests (targeted cases, scenarios, clean-up) and keeping them as `Exchange`s.

Against a hostile server (`hostile`): bodies are read up to `hostile.MAX_RESPONSE_BYTES` (a longer
one is cut, with a marker the `response_size` check sees), each request has `timeout` seconds,
redirects are never followed (a 3xx is the answer under test), a transport error names the request,
and a server that stops accepting connections after answering raises `hostile.ServerDied` once;
nothing more is sent to it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import httpx

from . import hostile
from .report import Exchange
from .target import DEFAULT_REQUEST_TIMEOUT, Target, UsageError

DEFAULT = object()
"""`auth=DEFAULT`: the run's credentials."""


class Client:
    """An HTTP client bound to the target: in process (ASGI) for the embedded mock, else httpx."""

    def __init__(self, target: Target, timeout: float = DEFAULT_REQUEST_TIMEOUT,
                 max_response_bytes: int = hostile.MAX_RESPONSE_BYTES, watch: hostile.LastAnswered | None = None
                 ) -> None:
        self.target = target
        self.watch = watch
        """The run's view of every exchange (`CheckEnv.on_exchange`): a hung server stops `send`."""
        self.timeout = timeout
        self.max_response_bytes = max_response_bytes
        self.answered = False
        """Whether the target has answered once: after that a dropped connection is the target's
        fault on that request (a finding), not a target we cannot reach (a usage error)."""
        self._dead: hostile.ServerDied | None = None
        self._dead_lock = threading.Lock()
        self._http: httpx.Client
        if target.app is not None:
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                from starlette.testclient import TestClient

            self._http = TestClient(target.app, base_url=target.base_url, raise_server_exceptions=False,
                                    follow_redirects=False)
        else:
            self._http = httpx.Client(base_url=target.base_url, timeout=timeout, follow_redirects=False)

    def close(self) -> None:
        self._http.close()

    def send(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        form: Mapping[str, str] | None = None,
        content: bytes | None = None,
        content_type: str | None = None,
        query: Mapping[str, str] | None = None,
        auth: Any = DEFAULT,
        resources_exist: bool = False,
    ) -> Exchange:
        headers: dict[str, str] = {}
        body = b""
        if form is not None:
            body = urlencode(dict(form)).encode("ascii")
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif content is not None:
            body = content
            headers["Content-Type"] = content_type or "application/x-www-form-urlencoded"
        if auth is DEFAULT:
            auth = self.target.credentials.auth if self.target.credentials else None
        credentials = auth
        url = path + (("?" + urlencode(dict(query))) if query else "")
        if self._dead is None and self.watch is not None:
            self._dead = self.watch.hung()
        if self._dead is not None:  # a dead server is one finding, not one per request left
            raise hostile.ServerDied(self._dead.detail, self._dead.exchange)
        try:
            with self._http.stream(
                method, url, content=body if body or method != "GET" else None, headers=headers,
                auth=credentials if credentials else None,
            ) as response:
                # the body gets the timeout again: a server trickling bytes never trips a read timeout
                received, _ = hostile.read_capped(response.iter_bytes(), self.max_response_bytes,
                                                  time.monotonic() + self.timeout)
        except (httpx.HTTPError, hostile.BodyTimeout) as exc:
            label = hostile.request_label(operation, method, path)
            if not self.answered:
                raise UsageError(hostile.first_request_error(self.target.base_url, label, exc, self.timeout)) from exc
            failed = Exchange(
                operation=operation,
                method=method,
                url=str(self._http.base_url).rstrip("/") + url,
                request_headers=headers,
                request_body=body,
                status=0,
                response_headers={},
                response_body=b"",
                authenticated=bool(credentials),
                resources_exist=resources_exist,
                origin="targeted",
                transport_error=hostile.describe(exc, self.timeout),
            )
            if hostile.refused(exc):
                self._died(label, failed)
            return failed
        self.answered = True
        return Exchange(
            operation=operation,
            method=method,
            url=str(response.request.url),
            request_headers=headers,
            request_body=body,
            status=response.status_code,
            response_headers=dict(response.headers),
            response_body=received,  # cut past the cap (`hostile.cut_at` says so)
            authenticated=bool(credentials),
            resources_exist=resources_exist,
            origin="targeted",
        )

    def _died(self, label: str, exchange: Exchange) -> None:
        """A refused connection after answers: if the target still refuses, it is dead (`ServerDied`,
        raised once and again on every later `send`, which sends nothing)."""
        with self._dead_lock:
            if self._dead is None and not hostile.accepts_connections(self.target.base_url):
                self._dead = hostile.ServerDied(f"connection refused on {label}", exchange)
            if self._dead is not None:
                raise hostile.ServerDied(self._dead.detail, self._dead.exchange)
