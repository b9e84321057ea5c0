"""Running the mock: uvicorn in the foreground, in a background thread, or in process.

with MockServer(faults=["lost-state"]) as server:   # a free 127.0.0.1 port, in a thread
    httpx.get(server.url + "/v1/Interactions/KD...", auth=server.auth)

async with in_process_client(create_app()) as client:  # no socket at all (ASGI transport)
    await client.get("/v1/Interactions/KD...")
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterable
from types import TracebackType
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette

from .app import create_app
from .auth import Accounts, Credential
from .faults import Faults

LOOPBACK = "127.0.0.1"


def _config(app: Starlette, host: str, port: int) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_keep_alive=30,
    )


def serve(app: Starlette, host: str = LOOPBACK, port: int = 8080) -> None:
    """Serve in the foreground until interrupted (what `contract-kit mock` does)."""
    uvicorn.Server(_config(app, host, port)).run()


class MockServer:
    """The mock on a free loopback port, in a daemon thread; a context manager.

    Pass an app, or the keyword arguments of `create_app` (faults, accounts, store, lenient, ...):
    `MockServer(lenient=True)` accepts what only our stricter readings forbid, as a real server may.
    """

    def __init__(self, app: Starlette | None = None, *, host: str = LOOPBACK, **options: Any) -> None:
        self.app = app if app is not None else create_app(**options)
        self.host = host
        self.port = 0
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def accounts(self) -> Accounts:
        accounts: Accounts = self.app.state.mock.accounts
        return accounts

    @property
    def faults(self) -> Faults:
        faults: Faults = self.app.state.mock.faults
        return faults

    @property
    def credential(self) -> Credential:
        return self.accounts.primary()

    @property
    def auth(self) -> tuple[str, str]:
        """(username, secret) of the first account, for httpx/requests."""
        return self.credential.username, self.credential.secret

    def start(self, timeout: float = 10.0) -> MockServer:
        if self._thread is not None:
            raise RuntimeError("this MockServer is already running")
        # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY on accepted sockets only for that proto, and
        # without it Nagle's algorithm holds each response body ~40 ms on keep-alive connections.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, 0))
        self.port = sock.getsockname()[1]
        server = uvicorn.Server(_config(self.app, self.host, self.port))
        self._server = server
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name=f"contract-kit-mock:{self.port}", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                sock.close()
                raise RuntimeError(f"the mock did not start on {self.url}")
            time.sleep(0.01)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
        self._server = self._thread = None

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


def in_process_client(
    app: Starlette | None = None,
    *,
    auth: tuple[str, str] | None = None,
    faults: Iterable[str] = (),
    lenient: bool = False,
) -> httpx.AsyncClient:
    """An `httpx.AsyncClient` talking to the app in process (ASGI transport), as the first account.

    Without `app`, a new one with `faults` switched on, strict or `lenient` (see `create_app`)."""
    app = app if app is not None else create_app(faults=faults, lenient=lenient)
    credential = app.state.mock.accounts.primary()
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://mock.invalid",
        auth=auth or (credential.username, credential.secret),
    )
