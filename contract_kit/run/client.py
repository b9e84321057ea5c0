"""Sending our own requests (targeted cases, scenarios, clean-up) and keeping them as `Exchange`s."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import httpx

from .report import Exchange
from .target import Target, UsageError

DEFAULT = object()
"""`auth=DEFAULT`: the run's credentials."""


class Client:
    """An HTTP client bound to the target: in process (ASGI) for the embedded mock, else httpx."""

    def __init__(self, target: Target, timeout: float = 30.0) -> None:
        self.target = target
        self.answered = False
        """Whether the target has answered once: after that a dropped connection is the target's
        fault on that request (a finding), not a target we cannot reach (a usage error)."""
        self._http: httpx.Client
        if target.app is not None:
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                from starlette.testclient import TestClient

            self._http = TestClient(target.app, base_url=target.base_url, raise_server_exceptions=False)
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
        try:
            response = self._http.request(
                method, url, content=body if body or method != "GET" else None, headers=headers,
                auth=credentials if credentials else None,
            )
        except httpx.HTTPError as exc:
            if not self.answered:
                raise UsageError(f"cannot reach {self.target.base_url}: {exc}") from exc
            return Exchange(
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
                transport_error=f"{type(exc).__name__}: {exc}",
            )
        self.answered = True
        return Exchange(
            operation=operation,
            method=method,
            url=str(response.request.url),
            request_headers=headers,
            request_body=body,
            status=response.status_code,
            response_headers=dict(response.headers),
            response_body=response.content,
            authenticated=bool(credentials),
            resources_exist=resources_exist,
            origin="targeted",
        )
