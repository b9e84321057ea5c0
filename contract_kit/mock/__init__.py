"""A stateful mock of the Flex Interactions API, derived from the contract document.

`create_app()` builds the ASGI app, `MockServer` runs it on a free loopback port in a thread,
`in_process_client()` talks to it without a socket; `faults.CATALOGUE` lists the server bugs it can
be told to have. Starlette and uvicorn are imported here, never on the CLI's start-up path.
"""

from .app import MAX_BODY, create_app
from .auth import (
    DEFAULT_ACCOUNT_SID,
    DEFAULT_API_KEY_SECRET,
    DEFAULT_API_KEY_SID,
    DEFAULT_AUTH_TOKEN,
    OTHER_ACCOUNT_SID,
    OTHER_AUTH_TOKEN,
    Accounts,
)
from .faults import CATALOGUE, Fault, Faults, UnknownFaultError
from .server import MockServer, in_process_client, serve
from .store import FAILING_SIDS, Store

__all__ = [
    "CATALOGUE",
    "DEFAULT_ACCOUNT_SID",
    "DEFAULT_API_KEY_SECRET",
    "DEFAULT_API_KEY_SID",
    "DEFAULT_AUTH_TOKEN",
    "FAILING_SIDS",
    "MAX_BODY",
    "OTHER_ACCOUNT_SID",
    "OTHER_AUTH_TOKEN",
    "Accounts",
    "Fault",
    "Faults",
    "MockServer",
    "Store",
    "UnknownFaultError",
    "create_app",
    "in_process_client",
    "serve",
]
