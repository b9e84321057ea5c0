"""`run --record DIR`: every exchange the run sends, as vcrpy cassettes, one per operation.

The exchanges are kept as the run judges them (`CheckEnv.on_exchange`) and written when the run
ends, in vcrpy's YAML cassette format, through the same scrubbers `flex_vcr()` applies: no
credential header, token, API secret or Basic credential reaches the disk, in a URL, a header or
a body; with `scrub_pii`, customers' numbers, addresses and names become deterministic fakes. A
recording of a conforming server then passes `contract-kit cassettes check DIR`, and becomes a
regression suite (`cassettes replay`, `flex_cassette` tests).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path

from ..cassettes.secrets import SENSITIVE_HEADERS, Scrubber
from .report import Exchange

UNKNOWN = "unknown-operation"
"""The cassette of exchanges whose operation the run could not name."""


@dataclass
class Recording:
    """The exchanges of one run, in the order they were judged; thread-safe."""

    secrets: Iterable[str] = ()
    scrub_pii: bool = False
    then: Callable[[Exchange], None] | None = None
    """What else sees each exchange (the run's ledger)."""
    _exchanges: list[Exchange] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, exchange: Exchange) -> None:
        if exchange.status or exchange.response_body:  # no response: nothing a cassette could replay
            with self._lock:
                self._exchanges.append(exchange)
        if self.then is not None:
            self.then(exchange)

    def write(self, directory: str | Path) -> list[Path]:
        """One `<OperationId>.yaml` per operation the run sent requests to; the paths written."""
        from vcr.request import Request
        from vcr.serialize import serialize
        from vcr.serializers import yamlserializer

        scrubber = Scrubber(self.secrets)
        pii = None
        if self.scrub_pii:
            from ..cassettes.pii import PiiScrubber

            pii = PiiScrubber()
        by_operation: dict[str, tuple[list[object], list[object]]] = {}
        with self._lock:
            exchanges = list(self._exchanges)
        for exchange in exchanges:
            request = Request(exchange.method, exchange.url, exchange.request_body or None,
                              {k: v for k, v in exchange.request_headers.items() if k.lower() not in SENSITIVE_HEADERS})
            response = {
                "status": {"code": exchange.status, "message": _reason(exchange.status)},
                "headers": {k: [v] for k, v in exchange.response_headers.items()},
                "body": {"string": exchange.response_body},
            }
            if pii is not None:
                request, response = pii.request(request), pii.response(response)
            request, response = scrubber.request(request), scrubber.response(response)
            requests, responses = by_operation.setdefault(exchange.operation or UNKNOWN, ([], []))
            requests.append(request)
            responses.append(response)
        folder = Path(directory)
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for operation, (requests, responses) in sorted(by_operation.items()):
            path = folder / f"{operation}.yaml"
            path.write_text(serialize({"requests": requests, "responses": responses}, yamlserializer),
                            encoding="utf-8")
            written.append(path)
        return written


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
