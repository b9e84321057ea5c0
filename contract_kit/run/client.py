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
        credentials = self.target.credentials.auth if auth is DEFAULT and self.target.credentials else auth
        url = path + (("?" + urlencode(dict(query))) if query else "")
        try:
            response = self._http.request(
                method, url, content=body if body or method != "GET" else None, headers=headers,
                auth=credentials if credentials else None,
            )
        except httpx.HTTPError as exc:
            raise UsageError(f"cannot reach {self.target.base_url}: {exc}") from exc
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
