"""The pre-flight: two harmless reads that tell a set-up mistake from a server bug before the run starts.

A wrong auth token or a `--base-url` ending in `/v1` used to look like the server's fault: every request
got 401 or 404, and `run` reported dozens of "expected 400" failures. The pre-flight reads a resource no
account has (a made-up SID) once with the credentials and once without, and decides from the answers:

* with credentials 401/403: the credentials are wrong (exit 2, naming the variables they came from);
* the second account (`CONTRACT_KIT_OTHER_ACCOUNT_SID` + `_AUTH_TOKEN`), when given, refused: the same;
* no 401 without credentials, and the URL's path ends with the first segment of the document's paths
  (`/v1`), while the URL without it does answer 401: the suffix is the mistake (exit 2, with the URL to use);
* no 401 without credentials and a 404 that is not JSON: this is no Flex-like API root (exit 2);
* no 401 without credentials but a JSON 404: the server may simply not check credentials on a missing
  resource, which is the run's to judge (`auth_required`), so only a warning.

The reads are not judged and are not counted as the run's requests: the run sends its own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from ..contract import Contract, Operation
from .client import Client
from .report import Exchange
from .target import ENV_OTHER_ACCOUNT_SID, ENV_OTHER_AUTH_TOKEN, Target, UsageError


class SetupError(UsageError):
    """A set-up mistake the pre-flight found (exit 2): the message says what to fix."""


@dataclass(frozen=True)
class Step:
    """One thing the pre-flight checked, for `contract-kit doctor` to print."""

    ok: bool
    text: str


@dataclass
class PreflightReport:
    steps: list[Step] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def probe_operation(contract: Contract, operations: frozenset[str]) -> Operation | None:
    """The read the pre-flight sends: a selected GET if there is one, else the document's first GET.

    An unselected read of a made-up SID is harmless and is never judged (like the set-up chain)."""
    reads = [op for op in contract.operations.values() if op.method == "GET"]
    return next((op for op in reads if op.operation_id in operations), reads[0] if reads else None)


def made_up_path(op: Operation) -> str:
    """`op`'s path with SIDs no account has (the prefix, then zeros): a harmless read."""
    path = op.path
    for name, _ in op.path_parameters:
        path = path.replace("{" + name + "}", (op.sid_prefix(name) or "XX") + "0" * 32)
    return path


def preflight(client: Client, target: Target, op: Operation, signed: Exchange | None = None) -> PreflightReport:
    """Check the target and the credentials with two reads of `op` (`signed`, the one with credentials,
    when already sent); a set-up mistake raises `SetupError`."""
    report = PreflightReport()
    path = made_up_path(op)
    shown = f"GET {target.base_url}{path}"
    signed = signed or client.send(op.operation_id, "GET", path)
    report.steps.append(Step(True, f"{target.base_url} answers ({shown}: HTTP {signed.status})"))
    credentials = target.credentials
    variables = f"{credentials.username_env} + {credentials.secret_env}" if credentials else "the credentials"
    if signed.status in (401, 403):
        raise SetupError(
            f"{target.base_url} refused the credentials from {variables} ({shown} answered HTTP {signed.status}"
            f"{_code(signed.response_body)}): check that they belong to the account you mean, then run again"
        )
    if credentials:
        report.steps.append(Step(True, f"the credentials from {variables} are accepted (HTTP {signed.status})"))
    anonymous = client.send(op.operation_id, "GET", path, auth=None)
    if anonymous.status == 401:
        report.steps.append(Step(True, "a read without credentials is refused (HTTP 401), as the vendor states"))
    else:
        _not_an_api_root(client, target, op, signed.status, signed.response_body, anonymous.status)
        report.warnings.append(
            f"a read without credentials got HTTP {anonymous.status}, not 401 ({shown}): either the server does not "
            "check credentials on a missing resource (the run judges that: auth_required), or --base-url is not "
            "the API root"
        )
        report.steps.append(Step(False, report.warnings[-1]))
    if target.other_account and not target.embedded:
        other = client.send(op.operation_id, "GET", path, auth=target.other_account)
        if other.status in (401, 403):
            raise SetupError(
                f"{target.base_url} refused the second account's credentials from {ENV_OTHER_ACCOUNT_SID} + "
                f"{ENV_OTHER_AUTH_TOKEN} ({shown} answered HTTP {other.status}{_code(other.response_body)}): "
                "fix them, or unset both to skip the account-isolation check"
            )
        report.steps.append(Step(True, f"the second account's credentials from {ENV_OTHER_ACCOUNT_SID} + "
                                       f"{ENV_OTHER_AUTH_TOKEN} are accepted (HTTP {other.status})"))
    return report


def _not_an_api_root(client: Client, target: Target, op: Operation, status: int, body: bytes,
                     anonymous_status: int) -> None:
    """Raise `SetupError` when the answers say the URL is not the API root: a doubled `/v1`, or no API at all."""
    parts = urlsplit(target.base_url)
    first = "/" + next((p for p in op.path.split("/") if p), "")
    if first != "/" and parts.path.rstrip("/").endswith(first):
        root = urlunsplit(parts._replace(path=parts.path.rstrip("/")[: -len(first)]))
        path = made_up_path(op)
        try:
            at_root = client.send(op.operation_id, "GET", root + path, auth=None)
        except UsageError:
            at_root = None
        if at_root is not None and at_root.status == 401:
            raise SetupError(
                f"--base-url {target.base_url} ends in {first}, which the document's paths already start with "
                f"(requests went to {target.base_url}{path}, answered HTTP {status}): use --base-url {root}"
            )
    if status == 404 and anonymous_status == 404 and not _is_json(body):
        raise SetupError(
            f"{target.base_url} does not look like a Flex-like API root: GET {target.base_url}{made_up_path(op)} "
            f"answered HTTP 404 with a body that is not JSON, with or without credentials (a Flex API answers a "
            f"JSON error body, and 401 without credentials); point --base-url at the API root, e.g. "
            f"https://flex-api.twilio.com"
        )


def _is_json(body: bytes) -> bool:
    try:
        json.loads(body)
    except ValueError:
        return False
    return True


def _code(body: bytes) -> str:
    """`, code 20003: message` from a vendor error body, or nothing."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return ""
    if isinstance(parsed, dict) and "code" in parsed:
        message = str(parsed.get("message", ""))[:120]
        return f", code {parsed['code']}" + (f": {message}" if message else "")
    return ""
