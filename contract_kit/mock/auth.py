"""HTTP Basic auth against configured accounts: Account SID + auth token, or API key SID + secret.

An API key belongs to one account; a request made with it acts as that account. Every resource is
owned by the account that created it (see `store`), so another account's credentials find nothing.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
import threading
from dataclasses import dataclass

ACCOUNT_SID_PATTERN = re.compile(r"^AC[0-9a-fA-F]{32}$")
API_KEY_SID_PATTERN = re.compile(r"^SK[0-9a-fA-F]{32}$")

# Fixed, documented, obviously fake credentials (printed by `contract-kit mock` at start-up).
DEFAULT_ACCOUNT_SID = "ACdeadbeefdeadbeefdeadbeefdeadbeef"
DEFAULT_AUTH_TOKEN = "contract-kit-mock-token"
DEFAULT_API_KEY_SID = "SKdeadbeefdeadbeefdeadbeefdeadbeef"
DEFAULT_API_KEY_SECRET = "contract-kit-mock-secret"
# A second account, so that isolation (and the cross-account-leak fault) can be observed.
OTHER_ACCOUNT_SID = "ACfeedfacefeedfacefeedfacefeedface"
OTHER_AUTH_TOKEN = "contract-kit-mock-token-2"


class CredentialError(ValueError):
    """A credential that cannot be configured (wrong SID shape, empty secret, unknown account)."""


@dataclass(frozen=True)
class Credential:
    username: str
    secret: str
    account_sid: str


def parse_account(spec: str) -> tuple[str, str]:
    """`AC...:TOKEN` -> (sid, token); the CLI's `--account` value."""
    sid, sep, token = spec.partition(":")
    if not sep or not ACCOUNT_SID_PATTERN.match(sid) or not token:
        raise CredentialError(f"expected ACCOUNT_SID:TOKEN with an AC + 32 hex SID, got {spec!r}")
    return sid, token


def parse_api_key(spec: str) -> tuple[str, str, str]:
    """`SK...:SECRET:AC...` -> (key sid, secret, account sid); the CLI's `--api-key` value."""
    key, _, rest = spec.partition(":")
    secret, _, account = rest.rpartition(":")
    if not API_KEY_SID_PATTERN.match(key) or not secret or not ACCOUNT_SID_PATTERN.match(account):
        raise CredentialError(f"expected SK...:SECRET:AC... (API key, secret, its account), got {spec!r}")
    return key, secret, account


class Accounts:
    """The configured credentials; thread-safe."""

    def __init__(self) -> None:
        self._by_username: dict[str, Credential] = {}
        self._lock = threading.Lock()

    @classmethod
    def defaults(cls) -> Accounts:
        """The two fake accounts and the default account's API key."""
        accounts = cls()
        accounts.add_account(DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN)
        accounts.add_api_key(DEFAULT_API_KEY_SID, DEFAULT_API_KEY_SECRET, DEFAULT_ACCOUNT_SID)
        accounts.add_account(OTHER_ACCOUNT_SID, OTHER_AUTH_TOKEN)
        return accounts

    def add_account(self, sid: str, token: str) -> None:
        if not ACCOUNT_SID_PATTERN.match(sid) or not token:
            raise CredentialError(f"an account needs an AC + 32 hex SID and a token, got {sid!r}")
        with self._lock:
            self._by_username[sid] = Credential(sid, token, sid)

    def add_api_key(self, key_sid: str, secret: str, account_sid: str) -> None:
        if not API_KEY_SID_PATTERN.match(key_sid) or not secret:
            raise CredentialError(f"an API key needs an SK + 32 hex SID and a secret, got {key_sid!r}")
        with self._lock:
            if account_sid not in self._by_username:
                raise CredentialError(f"API key {key_sid} names unknown account {account_sid}")
            self._by_username[key_sid] = Credential(key_sid, secret, account_sid)

    @property
    def account_sids(self) -> list[str]:
        with self._lock:
            return sorted({c.account_sid for c in self._by_username.values()})

    def primary(self) -> Credential:
        """The first account configured (what the CLI prints and `MockServer.client` uses)."""
        with self._lock:
            for cred in self._by_username.values():
                if cred.username == cred.account_sid:
                    return cred
        raise CredentialError("no account configured")

    def authenticate(self, authorization: str | None) -> str | None:
        """The account SID an `Authorization` header authenticates, or None."""
        if not authorization:
            return None
        scheme, _, encoded = authorization.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
        username, sep, secret = decoded.partition(":")
        if not sep:
            return None
        cred = self._by_username.get(username)
        if cred is None or not hmac.compare_digest(cred.secret.encode(), secret.encode()):
            return None
        return cred.account_sid
