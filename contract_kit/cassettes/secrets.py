"""Keeping credentials out of cassettes: scrub them when recording, find them when checking.

What counts as a secret: the credential headers (`SENSITIVE_HEADERS`: Authorization, cookies,
token headers), HTTP Basic credentials anywhere (`Basic <base64 of user:secret>`), user:password
in a URL, and every known secret value: those of `SECRET_ENV` in the environment (the auth token
or API secret a suite runs with) and any given explicitly. Account SIDs are not secrets and stay.

Reports name what was found and where, never the secret itself, so CI logs stay clean.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

SECRET_ENV = ("TWILIO_AUTH_TOKEN", "TWILIO_API_SECRET")
"""Environment variables whose values must never reach a cassette."""

SENSITIVE_HEADERS = (
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-auth-token",
    "x-api-key",
    "x-twilio-signature",
)
"""Headers removed from recorded requests and responses (compared case-insensitively)."""

FILTERED = "[FILTERED]"
MIN_SECRET_LENGTH = 6
"""Shorter values are not scrubbed: replacing every `abc` in a cassette would hide nothing and
corrupt the bodies."""

_BASIC = re.compile(r"(?i)\bbasic\s+([A-Za-z0-9+/]{4,}={0,2})")
_USERINFO = re.compile(r"(?<=://)[^/@\s:]+:[^/@\s]+@")


def env_secrets(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """`{variable: value}` of the `SECRET_ENV` variables that are set (long enough to scrub)."""
    env = os.environ if environ is None else environ
    return {name: env[name] for name in SECRET_ENV if len(env.get(name, "")) >= MIN_SECRET_LENGTH}


def _is_basic_credential(encoded: str) -> bool:
    try:
        return b":" in base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return False


class Scrubber:
    """Removes secrets from what vcrpy records; `find` reports those left in a recording.

    `secrets` are extra values to treat as secret; the `SECRET_ENV` values are added when
    `from_env` is true (read when the scrubber is built).
    """

    def __init__(self, secrets: Iterable[str] = (), *, from_env: bool = True) -> None:
        named = env_secrets() if from_env else {}
        self._named: dict[str, str] = {value: f"the value of ${name}" for name, value in named.items()}
        for value in secrets:
            if len(value) >= MIN_SECRET_LENGTH:
                self._named.setdefault(value, "a known secret")
        # longest first, so a secret that contains another is replaced whole
        self._values = sorted(self._named, key=len, reverse=True)

    # -- scrubbing ----------------------------------------------------------------------------
    def scrub_text(self, text: str) -> str:
        for value in self._values:
            text = text.replace(value, FILTERED)
        text = _BASIC.sub(lambda m: f"Basic {FILTERED}" if _is_basic_credential(m.group(1)) else m.group(0), text)
        return _USERINFO.sub(f"{FILTERED}@", text)

    def scrub_bytes(self, data: bytes) -> bytes:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            for value in self._values:
                data = data.replace(value.encode("utf-8"), FILTERED.encode())
            return data
        scrubbed = self.scrub_text(text)
        return data if scrubbed == text else scrubbed.encode("utf-8")

    def request(self, request: Any) -> Any:
        """A vcrpy `before_record_request` hook (vcrpy hands it a copy of the request)."""
        for name in list(request.headers):
            if name.lower() in SENSITIVE_HEADERS:
                del request.headers[name]
            elif isinstance(request.headers[name], str):
                request.headers[name] = self.scrub_text(request.headers[name])
        request.uri = self.scrub_text(request.uri)
        body = request.body
        if isinstance(body, bytes):
            request.body = self.scrub_bytes(body)
        elif isinstance(body, str):
            request.body = self.scrub_text(body)
        return request

    def response(self, response: dict[str, Any]) -> dict[str, Any]:
        """A vcrpy `before_record_response` hook (vcrpy hands it a copy of the response)."""
        headers = response.get("headers") or {}
        for name in list(headers):
            if name.lower() in SENSITIVE_HEADERS:
                del headers[name]
            else:
                headers[name] = [self.scrub_text(v) if isinstance(v, str) else v for v in headers[name]]
        body = response.get("body") or {}
        if isinstance(body.get("string"), bytes):
            body["string"] = self.scrub_bytes(body["string"])
        elif isinstance(body.get("string"), str):
            body["string"] = self.scrub_text(body["string"])
        return response

    # -- finding ------------------------------------------------------------------------------
    def find(self, text: str, where: str) -> list[str]:
        """What secrets `text` holds, each described without its value."""
        found = [f"{description} in {where}" for value, description in self._named.items() if value in text]
        if any(_is_basic_credential(m.group(1)) for m in _BASIC.finditer(text)):
            found.append(f"HTTP Basic credentials in {where}")
        if _USERINFO.search(text):
            found.append(f"user:password credentials in a URL in {where}")
        return found

    def find_in_headers(self, headers: Mapping[str, Any], where: str) -> list[str]:
        found = [f"header {name} in {where}" for name in headers if name.lower() in SENSITIVE_HEADERS]
        for name, value in headers.items():
            if name.lower() in SENSITIVE_HEADERS:
                continue  # reported above, whatever it holds
            values = value if isinstance(value, (list, tuple)) else [value]
            for item in values:
                if isinstance(item, str):
                    found += self.find(item, f"header {name} of {where}")
        return found
