"""`contract-kit mock`: serve the stateful mock of the Interactions API (Starlette + uvicorn)."""

from __future__ import annotations

import click


@click.command("mock")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind (loopback by default).")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="Port to bind.")
@click.option(
    "--account",
    "accounts",
    multiple=True,
    metavar="SID:TOKEN",
    help="An account (AC + 32 hex) and its auth token; repeatable. Default: two fixed fake accounts.",
)
@click.option(
    "--api-key",
    "api_keys",
    multiple=True,
    metavar="SK...:SECRET:AC...",
    help="An API key, its secret and the account it belongs to; repeatable.",
)
@click.option(
    "--fault",
    "faults",
    multiple=True,
    metavar="NAME[:ARG]",
    help="Switch on a server bug from the catalogue (see --list-faults); repeatable.",
)
@click.option("--list-faults", is_flag=True, help="Print the fault catalogue and exit.")
@click.option(
    "--lenient",
    is_flag=True,
    help="Enforce only what the vendor states: accept what only contract-kit's stricter readings forbid, "
    "where the vendor is silent (duplicated fields: last value wins; unknown or undecodable fields: "
    "ignored; a wrong Content-Type; a queue_sid off its pattern outside agent-initiated interactions, "
    "...). By default these are rejected with 400/20001.",
)
@click.option(
    "--settle-delay",
    default=None,
    type=click.FloatRange(0),
    help="Seconds a new channel stays in `setup` before a read moves it on (default 0; 0.5 with --lenient, "
    "which settles channels asynchronously as a real service does).",
)
def mock_command(
    host: str,
    port: int,
    accounts: tuple[str, ...],
    api_keys: tuple[str, ...],
    faults: tuple[str, ...],
    list_faults: bool,
    lenient: bool,
    settle_delay: float | None,
) -> None:
    """Serve a stateful mock of the Flex Interactions API that validates every request.

    Every request is judged by the contract (the verdict of `contract-kit validate --strict`, warnings aside):
    400/20001 for what any rule rejects. --lenient enforces only what the vendor states and is
    lenient where the vendor is silent, as a real server may be (a field sent twice: the last value
    wins; an unknown field: ignored; ...).

    Point the vendor client at it with `client.flex_api.base_url = "http://HOST:PORT"` and unset
    TWILIO_REGION and TWILIO_EDGE (they rewrite the host).
    """
    from ..mock import faults as catalogue

    if list_faults:
        click.echo(catalogue.describe())
        return
    from ..mock import Accounts, create_app, serve
    from ..mock.auth import CredentialError, parse_account, parse_api_key

    try:
        registry = Accounts.defaults() if not accounts else Accounts()
        for spec in accounts:
            registry.add_account(*parse_account(spec))
        for spec in api_keys:
            registry.add_api_key(*parse_api_key(spec))
        app = create_app(accounts=registry, faults=faults, settle_delay=settle_delay, lenient=lenient)
    except (CredentialError, catalogue.UnknownFaultError) as exc:
        raise click.BadParameter(str(exc)) from exc
    primary = registry.primary()
    click.echo(f"contract-kit mock on http://{host}:{port}  (Flex Interactions, /v1/Interactions)")
    click.echo(f"  account SID: {primary.account_sid}")
    click.echo(f"  auth token:  {primary.secret}")
    if not accounts:
        from ..mock import auth

        click.echo(f"  API key:     {auth.DEFAULT_API_KEY_SID} / {auth.DEFAULT_API_KEY_SECRET}")
        click.echo(f"  2nd account: {auth.OTHER_ACCOUNT_SID} / {auth.OTHER_AUTH_TOKEN}")
    if faults:
        click.echo(f"  faults ON:   {', '.join(faults)}")
    if lenient:
        click.echo("  lenient:     accepts what only our stricter readings forbid (the vendor is silent)")
    else:
        click.echo("  strict:      every rule enforced, ours too (--lenient accepts what only ours forbid)")
    click.echo("  (unset TWILIO_REGION and TWILIO_EDGE when pointing the twilio client here)")
    serve(app, host, port)
