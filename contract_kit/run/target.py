"""Where the suite runs and as whom: the embedded mock, or a URL with credentials from the environment."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

ENV_ACCOUNT_SID = "TWILIO_ACCOUNT_SID"
ENV_AUTH_TOKEN = "TWILIO_AUTH_TOKEN"
ENV_API_KEY = "TWILIO_API_KEY"
ENV_API_SECRET = "TWILIO_API_SECRET"
ENV_OTHER_ACCOUNT_SID = "CONTRACT_KIT_OTHER_ACCOUNT_SID"
ENV_OTHER_AUTH_TOKEN = "CONTRACT_KIT_OTHER_AUTH_TOKEN"
DEFAULT_MAX_WRITES = 5
"""Valid writes allowed against a non-loopback URL unless `--allow-writes` is given."""
DEFAULT_REQUEST_TIMEOUT = 30.0
"""Seconds a request may take (`--request-timeout`), connecting, waiting and reading the body each."""


class UsageError(Exception):
    """A run that cannot start: bad options, missing credentials, unreachable endpoint (exit 2)."""


@dataclass(frozen=True)
class RunOptions:
    """What a user asks for; the CLI's options one to one."""

    base_url: str | None = None
    operation_ids: tuple[str, ...] = ()
    max_examples: int = 10
    seed: int | None = None
    workers: int = 1
    report_dir: str | None = None
    max_writes: int = DEFAULT_MAX_WRITES
    allow_writes: bool = False
    faults: tuple[str, ...] = ()
    """Faults for the embedded mock (tests and demos); ignored with `base_url`."""
    strict: bool = False
    """Demand 400 for what only our stricter readings (rules of basis `ours`) forbid, too."""
    settle_timeout: float = 10.0
    """How long `channel_settles` waits for a new channel to leave `setup` (seconds)."""
    record_dir: str | None = None
    """Write every exchange as vcrpy cassettes here, one per operation (`run.record`)."""
    scrub_pii: bool = False
    """With `record_dir`: customers' numbers, addresses and names become fakes in the cassettes."""
    env: Mapping[str, str] | None = None
    """The environment credentials come from (`os.environ` when None)."""
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT
    """Seconds each request may take, ours and Schemathesis' (`--request-timeout`)."""

    def __post_init__(self) -> None:
        if not self.request_timeout > 0:
            raise UsageError(f"--request-timeout must be more than 0 seconds, got {self.request_timeout}")


@dataclass(frozen=True)
class Credentials:
    username: str
    secret: str
    account_sid: str
    username_env: str
    secret_env: str

    @property
    def auth(self) -> tuple[str, str]:
        return self.username, self.secret


@dataclass
class Target:
    """A resolved target: base URL, credentials, and whether writes are bounded."""

    base_url: str
    credentials: Credentials | None
    loopback: bool
    app: Any = None
    """The embedded mock's ASGI app when the suite runs it in process."""
    other_account: tuple[str, str] | None = None
    secrets: tuple[str, ...] = field(default=(), repr=False)

    @property
    def embedded(self) -> bool:
        return self.app is not None

    @property
    def bounded(self) -> bool:
        return not self.loopback


def is_loopback(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    if host in ("localhost", "mock.invalid") or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def credentials_from_env(env: Mapping[str, str]) -> Credentials | None:
    """Account SID + auth token, or API key + secret with the account SID; None when absent."""
    account = env.get(ENV_ACCOUNT_SID, "").strip()
    key, secret = env.get(ENV_API_KEY, "").strip(), env.get(ENV_API_SECRET, "")
    token = env.get(ENV_AUTH_TOKEN, "")
    if key and secret:
        if not account:
            raise UsageError(f"{ENV_API_KEY} and {ENV_API_SECRET} need {ENV_ACCOUNT_SID} (the key's account) too")
        return Credentials(key, secret, account, ENV_API_KEY, ENV_API_SECRET)
    if account and token:
        return Credentials(account, token, account, ENV_ACCOUNT_SID, ENV_AUTH_TOKEN)
    if key or secret or token:
        raise UsageError(
            f"incomplete credentials: set {ENV_ACCOUNT_SID} + {ENV_AUTH_TOKEN}, "
            f"or {ENV_API_KEY} + {ENV_API_SECRET} + {ENV_ACCOUNT_SID}"
        )
    return None


def resolve_url_target(options: RunOptions) -> Target:
    """The target for `--base-url`: credentials from the environment, required off loopback."""
    assert options.base_url is not None
    url = options.base_url.rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(f"--base-url must be an http(s) URL such as https://flex-api.twilio.com, got {url!r}")
    env = os.environ if options.env is None else options.env
    credentials = credentials_from_env(env)
    loopback = is_loopback(url)
    if credentials is None and not loopback:
        raise UsageError(
            f"no credentials for {url}: set {ENV_ACCOUNT_SID} and {ENV_AUTH_TOKEN} "
            f"(or {ENV_API_KEY} and {ENV_API_SECRET} with {ENV_ACCOUNT_SID}) in the environment; "
            "they are never taken from a command-line flag"
        )
    if credentials is None:
        from ..mock import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN

        credentials = Credentials(
            DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, DEFAULT_ACCOUNT_SID, ENV_ACCOUNT_SID, ENV_AUTH_TOKEN
        )
    other_sid, other_token = env.get(ENV_OTHER_ACCOUNT_SID, ""), env.get(ENV_OTHER_AUTH_TOKEN, "")
    other = (other_sid, other_token) if other_sid and other_token else None
    if other is None and loopback and credentials.account_sid.startswith("ACdeadbeef"):
        from ..mock import OTHER_ACCOUNT_SID, OTHER_AUTH_TOKEN

        other = (OTHER_ACCOUNT_SID, OTHER_AUTH_TOKEN)
    secrets = tuple(s for s in (credentials.secret, other[1] if other else "") if s)
    return Target(url, credentials, loopback, other_account=other, secrets=secrets)


def embedded_target(faults: tuple[str, ...]) -> Target:
    """The embedded mock, in process (ASGI), with its documented fake accounts."""
    from ..mock import (
        DEFAULT_ACCOUNT_SID,
        DEFAULT_AUTH_TOKEN,
        OTHER_ACCOUNT_SID,
        OTHER_AUTH_TOKEN,
        create_app,
    )

    credentials = Credentials(
        DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, DEFAULT_ACCOUNT_SID, ENV_ACCOUNT_SID, ENV_AUTH_TOKEN
    )
    return Target(
        "http://mock.invalid",
        credentials,
        True,
        app=create_app(faults=faults),
        other_account=(OTHER_ACCOUNT_SID, OTHER_AUTH_TOKEN),
        secrets=(DEFAULT_AUTH_TOKEN, OTHER_AUTH_TOKEN),
    )
