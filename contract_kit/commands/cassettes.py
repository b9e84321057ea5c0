"""`contract-kit cassettes check PATH...`: is recorded Flex traffic still what the contract says?
`contract-kit cassettes replay PATH... --base-url URL`: does a server still answer as recorded?"""

from __future__ import annotations

import json
import sys

import click

from . import format_option


@click.group("cassettes")
def cassettes_command() -> None:
    """Recorded Flex traffic (vcrpy cassettes) against the contract."""


@cassettes_command.command("check")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@format_option
@click.option(
    "--strict-requests",
    is_flag=True,
    help="Every recorded request must satisfy the contract, even one the server rightly rejected "
    "(a recording of a client that must only send valid requests).",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Read requests as `validate --strict` does: contract-kit's stricter readings (rules of basis "
    "`ours`: a field sent twice, an unknown field, ...) are errors too.",
)
@click.option(
    "--secret",
    "secrets",
    multiple=True,
    metavar="VALUE",
    help="A value that must not appear in any cassette (repeatable); "
    "$TWILIO_AUTH_TOKEN and $TWILIO_API_SECRET are always looked for.",
)
def check_command(
    paths: tuple[str, ...], output_format: str, strict_requests: bool, strict: bool, secrets: tuple[str, ...]
) -> None:
    """Check every interaction of the cassettes in PATHS (files, or directories of *.yaml/*.yml).

    Each recorded request is matched to its operation by method and path and validated as it
    travelled (body or query string, and Content-Type); a request the contract rejects must not
    have been answered 2xx, one it accepts must not have been answered 400 (unless it breaks one of
    our stricter readings, such as a field sent twice: a server may accept or reject that); each
    response must have a declared status and a body its schema accepts; no credential may appear
    anywhere. Exit 0: all clean. Exit 1: a problem. Exit 2: a
    cassette cannot be read (the others are still checked and reported), or no cassette was found.
    """
    from ..cassettes import cassette_files, check_cassettes

    files = cassette_files(paths)
    if not files:
        click.echo(f"contract-kit cassettes check: no cassette (*.yaml, *.yml) in {' '.join(paths)}", err=True)
        sys.exit(2)
    reports = check_cassettes(files, secrets=secrets, strict_requests=strict_requests, strict=strict)
    unreadable = sum(not r.readable for r in reports)
    with_problems = sum(r.readable and not r.ok for r in reports)
    interactions = sum(len(r.interactions) for r in reports)
    problems = sum(1 for r in reports for _ in r.all_problems())
    if output_format == "json":
        summary = {
            "cassettes": len(reports),
            "interactions": interactions,
            "problems": problems,
            "unreadable": unreadable,
        }
        click.echo(json.dumps({"cassettes": [r.to_dict() for r in reports], "summary": summary}, indent=2))
    else:
        for report in reports:
            for line in report.describe():
                click.echo(line, err=not report.readable)
        click.echo(
            f"{len(reports)} cassette(s), {interactions} interaction(s) checked: "
            f"{problems} problem(s) in {with_problems} cassette(s), {unreadable} unreadable"
        )
    sys.exit(2 if unreadable else 1 if with_problems else 0)


@cassettes_command.command("replay")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option("--base-url", required=True, metavar="URL",
              help="The server to re-send the recorded requests to (a new build, or staging after a deploy).")
@format_option
@click.option("--max-writes", type=click.IntRange(min=0), default=None,
              help="Write requests re-sent at most to a non-loopback URL (default 5, as `run`).")
@click.option("--allow-writes", is_flag=True, help="Lift the write bound against a non-loopback URL.")
@click.option("--request-timeout", type=click.FloatRange(min=0, min_open=True), default=30.0, show_default=True,
              metavar="SECONDS", help="Seconds each request may take (connecting, the answer, its body).")
def replay_command(
    paths: tuple[str, ...], base_url: str, output_format: str, max_writes: int | None, allow_writes: bool,
    request_timeout: float,
) -> None:
    """Re-send the requests of the cassettes in PATHS to --base-url, in the recorded order, and report
    per interaction what changed against the recording: status, error code, response conformance,
    the request's verdict, and the response body's values.

    Not changes: what a server assigns afresh. The SIDs the new server returns stand for the
    recorded ones (later requests are sent with them); the values of url, links, *_url and date_*
    members, and ISO-8601 date-times, are not compared.

    Credentials come from the environment only, as for `run`: TWILIO_ACCOUNT_SID + TWILIO_AUTH_TOKEN,
    or TWILIO_API_KEY + TWILIO_API_SECRET with TWILIO_ACCOUNT_SID; the recorded Authorization is never
    re-sent. Off loopback at most --max-writes write requests are re-sent (--allow-writes lifts it);
    the rest are reported "not sent (write budget)". Exit 0: nothing changed. Exit 1: something
    changed. Exit 2: an unreadable cassette, no cassette, missing credentials, an unreachable server.
    """
    from ..cassettes.replay import replay_cassettes
    from ..run.target import DEFAULT_MAX_WRITES, UsageError

    def progress(message: str) -> None:
        if output_format == "text":
            click.echo(message, err=True)

    try:
        report = replay_cassettes(
            paths, base_url, max_writes=DEFAULT_MAX_WRITES if max_writes is None else max_writes,
            allow_writes=allow_writes, timeout=request_timeout, progress=progress,
        )
    except UsageError as exc:
        click.echo(f"contract-kit cassettes replay: {exc}", err=True)
        sys.exit(2)
    if output_format == "json":
        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        click.echo("\n".join(report.describe()))
    sys.exit(report.exit_code)
