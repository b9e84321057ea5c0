"""Vendor error bodies: `{code, message, more_info, status}`, never `type` with `title`.

The vendor's Python client reads a body carrying `type`, `title`, `status` and `code` as RFC 9457
(`TwilioServiceException`); every other body as `TwilioRestException(status, code, message)`.
The mock answers the latter, as Flex does.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

INVALID_PARAMETER = 20001
AUTHENTICATE = 20003
NOT_FOUND = 20404
METHOD_NOT_ALLOWED = 20004
TOO_LARGE = 20413
INTERNAL = 20500

_REASONS = {
    INVALID_PARAMETER: "Invalid parameter",
    AUTHENTICATE: "Authenticate",
    NOT_FOUND: "The requested resource was not found",
    METHOD_NOT_ALLOWED: "Method not allowed",
    TOO_LARGE: "Request entity too large",
    INTERNAL: "Internal server error",
}


def more_info(code: int) -> str:
    return f"https://www.twilio.com/docs/errors/{code}"


def error_body(status: int, code: int, message: str, details: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The vendor's error body; `details` (optional) is what the vendor client exposes as `.details`."""
    body: dict[str, Any] = {"code": code, "message": message, "more_info": more_info(code), "status": status}
    if details:
        body["details"] = dict(details)
    return body


def vendor_error(
    status: int,
    code: int,
    message: str | None = None,
    *,
    details: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """An `application/json` response holding the vendor's error body."""
    body = error_body(status, code, message or _REASONS.get(code, "Error"), details)
    return Response(json.dumps(body), status, headers=dict(headers or {}), media_type="application/json")


def problem_details(status: int, message: str) -> Response:
    """An RFC 9457 body without the vendor's `code`/`more_info`: what the `non-vendor-error` fault sends."""
    body = {"type": "about:blank", "title": _title(status), "status": status, "detail": message}
    return Response(json.dumps(body), status, media_type="application/problem+json")


def _title(status: int) -> str:
    return {400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 413: "Payload Too Large"}.get(status, "Error")
