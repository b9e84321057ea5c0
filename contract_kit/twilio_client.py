"""The vendor's Python client (`twilio`), pointed at a Flex base URL: the mock, staging or Flex.

`TWILIO_REGION` and `TWILIO_EDGE` are ignored (they rewrite the host, so the client would never
reach the base URL given). Credentials come from arguments or from the environment: an Account
SID and its auth token, or an API key SID, its secret and the Account SID. `twilio` is imported
when a client is built (it is in the `test` extra, not a core dependency).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from typing import Any

HOST_ENV = ("TWILIO_REGION", "TWILIO_EDGE")


class CredentialsError(ValueError):
    """No usable Twilio credentials in the environment."""


def env_credentials(environ: Mapping[str, str] | None = None) -> tuple[str, str, str | None]:
    """(username, secret, account SID) from TWILIO_API_KEY/TWILIO_API_SECRET (with
    TWILIO_ACCOUNT_SID) or, failing that, TWILIO_ACCOUNT_SID/TWILIO_AUTH_TOKEN."""
    env = os.environ if environ is None else environ
    account = env.get("TWILIO_ACCOUNT_SID") or None
    key, key_secret = env.get("TWILIO_API_KEY"), env.get("TWILIO_API_SECRET")
    if key and key_secret:
        if account is None:
            raise CredentialsError("TWILIO_API_KEY needs TWILIO_ACCOUNT_SID too (the account the key belongs to)")
        return key, key_secret, account
    token = env.get("TWILIO_AUTH_TOKEN")
    if account and token:
        return account, token, account
    raise CredentialsError(
        "set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN, or TWILIO_API_KEY, TWILIO_API_SECRET and TWILIO_ACCOUNT_SID"
    )


def twilio_client(
    base_url: str | None,
    username: str,
    secret: str,
    account_sid: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
) -> Any:
    """A `twilio.rest.Client` whose Flex API is at `base_url` (None keeps the vendor's)."""
    client_class: Any = importlib.import_module("twilio.rest").Client  # untyped package: no stubs
    env = dict(os.environ if environ is None else environ)
    for name in HOST_ENV:
        env.pop(name, None)
    client = client_class(username, secret, account_sid=account_sid, environment=env)
    if base_url is not None:
        client.flex_api.base_url = base_url.rstrip("/")
    return client
