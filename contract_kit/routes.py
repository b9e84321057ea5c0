"""Which operation a request is: method + path matched against the document's path templates.

The routes are derived from `paths` (no operation is listed by hand): `{Name}` in a template
matches one path segment. Query strings and hosts are ignored, so a recorded URL of any server
(the vendor's, a staging host, the mock on a loopback port) finds its operation.
"""

from __future__ import annotations

import functools
import re
from urllib.parse import urlsplit

from .contract import Contract, Operation, default_contract

_PARAMETER = re.compile(r"\{[^}/]+\}")


class Routes:
    """The operations of a contract, by method and path template."""

    def __init__(self, contract: Contract) -> None:
        self.contract = contract
        self._routes = [
            (op.method, re.compile("^" + _template(op.path) + "/?$"), op) for op in contract.operations.values()
        ]

    def match(self, method: str, url_or_path: str) -> Operation | None:
        """The operation a request is for, or None when the document has no such method and path."""
        path = urlsplit(url_or_path).path if "://" in url_or_path else url_or_path.split("?", 1)[0]
        wanted = "GET" if method.upper() == "HEAD" else method.upper()
        return next((op for m, rx, op in self._routes if m == wanted and rx.match(path)), None)


def _template(path: str) -> str:
    parts = _PARAMETER.split(path)
    return "[^/]+".join(re.escape(p) for p in parts)


@functools.lru_cache(maxsize=8)
def routes_for(contract: Contract | None = None) -> Routes:
    """The routes of a contract (the packaged one by default), built once per process."""
    return Routes(contract or default_contract())


def match_operation(method: str, url_or_path: str, contract: Contract | None = None) -> Operation | None:
    """`match_operation("POST", "https://flex-api.twilio.com/v1/Interactions")` -> CreateInteraction."""
    return routes_for(contract).match(method, url_or_path)
