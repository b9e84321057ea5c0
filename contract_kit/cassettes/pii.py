"""Keeping customers' data out of cassettes recorded against staging (`flex_vcr(scrub_pii=True)`).

Phone numbers (E.164), WhatsApp addresses, email addresses and participant names (`name`,
`identity`, `from_name`, `friendly_name`) are replaced by fakes of the same format, so the
contract still validates the cassette. A fake is a function of the real value (a keyed hash), so
the same number is the same fake in a request, its response and every later interaction, and
vcrpy, which applies `before_record_request` to live requests before matching them, finds the
recorded answer on replay.

Values are found where they travel: in JSON documents (walked, keys kept), in form bodies and
query strings (each field decoded, scrubbed, encoded again; JSON inside a field is walked), and in
plain text (by pattern). Fakes are fictional: `+1555` numbers, `example.com` addresses.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

NAME_KEYS = frozenset({"name", "identity", "from_name", "friendly_name"})
"""JSON keys whose string values name a person."""
FAKE_DOMAIN = "example.com"

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_PHONE = re.compile(r"\+[1-9][0-9]{7,14}")
_PHONE_ENCODED = re.compile(r"(?i)%2B([1-9][0-9]{7,14})")
_EMAIL_ENCODED = re.compile(r"(?i)[A-Za-z0-9._\-]+%40[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_FORM_TYPES = ("application/x-www-form-urlencoded",)


class PiiScrubber:
    """Deterministic fakes for personal data; `key` varies them between projects if wanted."""

    def __init__(self, key: str = "contract-kit") -> None:
        self._key = key.encode("utf-8")

    # -- fakes ----------------------------------------------------------------------------------
    def _digest(self, kind: str, value: str) -> str:
        return hashlib.blake2b(f"{kind}:{value}".encode(), key=self._key, digest_size=16).hexdigest()

    def phone(self, value: str) -> str:
        """`+1555` and seven digits: valid E.164, fictional, the same for the same number."""
        if value.startswith("+1555") and len(value) == 12:
            return value  # already a fake (or fictional): scrubbing twice changes nothing
        return "+1555" + str(int(self._digest("phone", value), 16) % 10**7).zfill(7)

    def email(self, value: str) -> str:
        if value.endswith("@" + FAKE_DOMAIN) and value.startswith("person-"):
            return value
        return f"person-{self._digest('email', value.lower())[:10]}@{FAKE_DOMAIN}"

    def name(self, value: str) -> str:
        if value.startswith("Person "):
            return value
        return f"Person {self._digest('name', value)[:8]}"

    # -- where values travel ----------------------------------------------------------------------
    def text(self, text: str) -> str:
        """Emails and phone numbers (WhatsApp addresses included) found by pattern."""
        text = _EMAIL.sub(lambda m: self.email(m.group(0)), text)
        return _PHONE.sub(lambda m: self.phone(m.group(0)), text)

    def raw(self, text: str) -> str:
        """Bytes no decoding could read (junk sent on purpose): patterns as they are and percent-encoded."""
        text = _EMAIL_ENCODED.sub(lambda m: quote(self.email(unquote(m.group(0))), safe=""), self.text(text))
        return _PHONE_ENCODED.sub(lambda m: quote(self.phone("+" + m.group(1)), safe=""), text)

    def value(self, node: Any, key: str | None = None) -> Any:
        """A decoded JSON value, walked: names by key, everything else by pattern."""
        if isinstance(node, dict):
            return {k: self.value(v, k) for k, v in node.items()}
        if isinstance(node, list):
            return [self.value(v, key) for v in node]
        if isinstance(node, str):
            if key in NAME_KEYS and node:
                return self.name(node)
            return self._string(node)
        return node

    def _string(self, text: str) -> str:
        """A string that may itself be JSON (a form field such as `Channel`): walked, else patterns."""
        stripped = text.lstrip()
        if stripped[:1] in ("{", "["):
            try:
                decoded = json.loads(text)
            except ValueError:
                return self.text(text)
            return json.dumps(self.value(decoded), separators=(",", ":"), ensure_ascii=False)
        return self.text(text)

    def form(self, body: str) -> str:
        """A urlencoded body (or query string): each field scrubbed, the order kept."""
        pairs = parse_qsl(body, keep_blank_values=True)
        return urlencode([(k, self.value(v, k)) for k, v in pairs])

    def body(self, data: bytes | str, content_type: str = "") -> bytes | str:
        """A body as it travels: JSON walked, a form decoded field by field, anything else by pattern."""
        if isinstance(data, bytes):
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:  # junk on purpose: its bytes kept, numbers and emails found by pattern
                scrubbed_junk = self.raw(data.decode("utf-8", "surrogateescape"))
                return scrubbed_junk.encode("utf-8", "surrogateescape")
        else:
            text = data
        media = content_type.split(";")[0].strip().lower()
        stripped = text.lstrip()
        if "json" in media or stripped[:1] in ("{", "["):
            try:
                scrubbed = json.dumps(self.value(json.loads(text)), ensure_ascii=False)
            except ValueError:  # not JSON after all: junk, searched as such
                scrubbed = self.raw(text)
        elif media in _FORM_TYPES or ("=" in text and not media):
            # field by field, then by pattern: `+1415…` read as a form is ` 1415…`, still a number to hide
            scrubbed = self.text(self.form(text))
        else:
            scrubbed = self.raw(text)
        if isinstance(data, bytes):
            return data if scrubbed == text else scrubbed.encode("utf-8")
        return scrubbed

    def url(self, uri: str) -> str:
        parts = urlsplit(uri)
        path = self.text(parts.path)
        query = self.form(parts.query) if parts.query else ""
        return urlunsplit((parts.scheme, parts.netloc, path, query, parts.fragment))

    # -- vcrpy hooks ------------------------------------------------------------------------------
    def request(self, request: Any) -> Any:
        """A vcrpy `before_record_request` hook (also applied to live requests before matching)."""
        request.uri = self.url(request.uri)
        for name in list(request.headers):
            if isinstance(request.headers[name], str):
                request.headers[name] = self.text(request.headers[name])
        content_type = _header(request.headers, "content-type")
        if request.body:
            request.body = self.body(request.body, content_type)
        return request

    def response(self, response: dict[str, Any]) -> dict[str, Any]:
        """A vcrpy `before_record_response` hook."""
        headers = response.get("headers") or {}
        content_type = _header(headers, "content-type")
        body = response.get("body") or {}
        if isinstance(body.get("string"), (bytes, str)) and body["string"]:
            body["string"] = self.body(body["string"], content_type)
        for name, values in headers.items():
            scrub = self.url if name.lower() == "location" else self.text
            headers[name] = [scrub(v) if isinstance(v, str) else v for v in values]
        return response


def _header(headers: Any, name: str) -> str:
    for key, value in dict(headers or {}).items():
        if key.lower() == name:
            return str(value[0] if isinstance(value, list) and value else value)
    return ""
