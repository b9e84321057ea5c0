"""`contract-kit doctor`: the pre-flight of `run` on its own, to check a set-up before a CI run."""

from __future__ import annotations

import sys

import click


@click.command("doctor")
@click.option("--base-url", default=None, metavar="URL",
              help="The endpoint `run` would test (e.g. a staging URL). Default: the embedded mock.")
@click.option("--request-timeout", type=click.FloatRange(min=0, min_open=True), default=30.0, show_default=True,
              metavar="SECONDS", help="Seconds each of the few reads may take.")
def doctor_command(base_url: str | None, request_timeout: float) -> None:
    """Check that URL is a Flex-like API root and that the credentials work, as `run` does first.

    Sends two or three reads of a resource no account has (never a write): with the credentials
    (TWILIO_ACCOUNT_SID + TWILIO_AUTH_TOKEN, or TWILIO_API_KEY + TWILIO_API_SECRET with the account
    SID), without them, and with the second account's (CONTRACT_KIT_OTHER_ACCOUNT_SID +
    CONTRACT_KIT_OTHER_AUTH_TOKEN) when set. Exit 0: `run` can start; 2: a set-up mistake, with the fix.

    \b
    Examples:
      contract-kit doctor --base-url https://flex-staging.example.com
      contract-kit doctor --base-url http://127.0.0.1:8080
    """
    from ..contract import default_contract
    from ..run.client import Client
    from ..run.preflight import preflight, probe_operation
    from ..run.suite import resolve_target
    from ..run.target import RunOptions, UsageError

    contract = default_contract()
    try:
        options = RunOptions(base_url=base_url, request_timeout=request_timeout)
        target = resolve_target(options)
        where = "the embedded mock" if target.embedded else target.base_url
        click.echo(f"contract-kit doctor: {where}")
        op = probe_operation(contract, frozenset(contract.operations))
        assert op is not None, "the contract declares no read"
        client = Client(target, timeout=request_timeout)
        try:
            report = preflight(client, target, op)
        finally:
            client.close()
    except UsageError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    for step in report.steps:
        click.echo(f"  {'ok  ' if step.ok else 'warn'}  {step.text}")
    if target.other_account is None:
        click.echo("  skip  no second account (CONTRACT_KIT_OTHER_ACCOUNT_SID + CONTRACT_KIT_OTHER_AUTH_TOKEN unset): "
                   "`run` will not check account isolation")
    click.echo(f"READY: `contract-kit run{' --base-url ' + target.base_url if not target.embedded else ''}` can start")
