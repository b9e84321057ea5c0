"""`contract-kit run`: the contract suite against the embedded mock or a real endpoint."""

from __future__ import annotations

import sys

import click


@click.command("run")
@click.option("--base-url", default=None, metavar="URL",
              help="Endpoint to test (e.g. a staging URL). Default: start the embedded mock and test it.")
@click.option("--operation", "-o", "--operation-id", "operation_ids", multiple=True, metavar="ID",
              help="Only this operationId (repeatable), e.g. CreateInteraction (--operation-id is the same option).")
@click.option("--max-examples", type=click.IntRange(min=1), default=10, show_default=True,
              help="Schemathesis examples per operation and phase.")
@click.option("--seed", type=int, default=None, help="Seed, for a reproducible run (printed in the summary).")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Parallelism. Against the embedded mock or a loopback URL, N > 1 shares the run between up to N "
                   "processes (forked: Schemathesis' phases by operation, its stateful phase whole in one, the "
                   "targeted requests by group; the same findings as --workers 1), capped where more cannot help; "
                   "the summary says how many ran. Off loopback (bounded writes), with --record, or where fork is "
                   "unavailable: one process (off loopback with N Schemathesis worker threads).")
@click.option("--report-dir", type=click.Path(file_okay=False), default=None,
              help="Also write junit.xml and report.json here.")
@click.option("--max-writes", type=click.IntRange(min=0), default=None,
              help="Valid writes allowed against a non-loopback URL (default 5).")
@click.option("--allow-writes", is_flag=True, help="Lift the write bound against a non-loopback URL.")
@click.option("--strict", is_flag=True,
              help="Also demand 400 for what only contract-kit's stricter readings forbid (rules of basis `ours`: "
                   "a field sent twice, an unknown or undecodable field, ...). By default a server may accept "
                   "such a request (a note) or reject it.")
@click.option("--record", "record_dir", type=click.Path(file_okay=False), default=None, metavar="DIR",
              help="Write every exchange the run sends as vcrpy cassettes in DIR, one per operation, scrubbed "
                   "of credentials (`contract-kit cassettes check DIR`, `cassettes replay DIR`).")
@click.option("--scrub-pii", is_flag=True,
              help="With --record: replace customers' phone numbers, WhatsApp addresses, emails and names by "
                   "deterministic fakes of the same format.")
@click.option("--settle-timeout", type=click.FloatRange(min=0), default=10.0, show_default=True,
              help="Seconds to wait for a new channel to leave `setup` (channel_settles).")
@click.option("--request-timeout", type=click.FloatRange(min=0, min_open=True), default=30.0, show_default=True,
              metavar="SECONDS",
              help="Seconds each request may take (connecting, the answer, and its body again), ours and "
                   "Schemathesis'. A request that times out is a finding naming it; the first request timing out "
                   "ends the run (exit 2). Bodies are read up to 1 MiB (more is a finding), redirects are never "
                   "followed, and a server that stops answering mid-run ends it with one finding.")
@click.option("--verbose", "-v", is_flag=True,
              help="List every operation, rule and check, every resource created and every clean-up step.")
@click.option("--quiet", "-q", is_flag=True,
              help="Only the failures, errors and the verdict line (no summary, no progress).")
@click.option("--fault", "faults", multiple=True, hidden=True, help="A mock fault (embedded mock only; for demos).")
def run_command(
    base_url: str | None,
    operation_ids: tuple[str, ...],
    max_examples: int,
    seed: int | None,
    workers: int,
    report_dir: str | None,
    max_writes: int | None,
    allow_writes: bool,
    faults: tuple[str, ...],
    strict: bool,
    record_dir: str | None,
    scrub_pii: bool,
    settle_timeout: float,
    request_timeout: float,
    verbose: bool,
    quiet: bool,
) -> None:
    """Run the contract suite (Schemathesis + rule-targeted cases) and report what does not conform.

    A server fails on what the vendor states (and on protocol facts); a request that only our
    stricter readings forbid (a field sent twice, bytes that are not UTF-8, ...) may be accepted,
    which the report notes, or rejected with 400: both conform (--strict demands the 400).
    --operation bounds what is sent: beyond the selected operations only the set-up they
    cannot do without (a fetch needs one create), named in the summary and never judged.

    Credentials come from the environment only: TWILIO_ACCOUNT_SID + TWILIO_AUTH_TOKEN, or
    TWILIO_API_KEY + TWILIO_API_SECRET with TWILIO_ACCOUNT_SID; a second account's
    CONTRACT_KIT_OTHER_ACCOUNT_SID + CONTRACT_KIT_OTHER_AUTH_TOKEN, when set, checks that one
    account cannot see another's resources. A pre-flight (two reads of a SID no account has, as
    `contract-kit doctor`) stops a wrong token or a --base-url ending in /v1 before anything else.

    Exit status: 0 conforms; 1 contract failures (a server that stops answering mid-run is one
    `server_alive` failure); 2 usage or set-up errors (options, credentials refused, not an API
    root, unreachable at the first request, an output directory that cannot be written).

    \b
    Examples:
      contract-kit run                                     # the embedded mock
      contract-kit run --base-url https://flex-staging.example.com --report-dir reports
      contract-kit run -o CreateInteraction -o FetchInteraction --seed 1 -v
    """
    from ..contract import ContractError
    from ..output_dirs import OutputDirError, ensure_writable_dir
    from ..run import RunOptions, UsageError, run_suite
    from ..run.report import NORMAL, QUIET, VERBOSE, render_text, write_reports
    from ..run.target import DEFAULT_MAX_WRITES

    options = RunOptions(
        base_url=base_url, operation_ids=operation_ids, max_examples=max_examples, seed=seed, workers=workers,
        report_dir=report_dir, max_writes=DEFAULT_MAX_WRITES if max_writes is None else max_writes,
        allow_writes=allow_writes, faults=faults, strict=strict, settle_timeout=settle_timeout,
        record_dir=record_dir, scrub_pii=scrub_pii,
        request_timeout=request_timeout,
    )

    def progress(message: str) -> None:
        if not quiet:
            click.echo(message, err=True)

    if verbose and quiet:
        click.echo("error: --verbose and --quiet ask for opposite things; give one of them", err=True)
        sys.exit(2)
    try:
        for option, directory in (("--report-dir", report_dir), ("--record", record_dir)):
            if directory:
                ensure_writable_dir(directory, option)
    except OutputDirError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)

    try:
        from ..mock import UnknownFaultError

        result = run_suite(options, progress=progress)
    except (UsageError, ContractError, UnknownFaultError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    secrets = _secrets(options)
    written = []
    if report_dir:
        try:
            written = write_reports(result, report_dir, secrets=secrets)
        except OSError as exc:
            click.echo(render_text(result, secrets=secrets, verbosity=QUIET))
            click.echo(f"error: --report-dir {report_dir}: the reports could not be written: {exc}", err=True)
            sys.exit(2)
    verbosity = VERBOSE if verbose else QUIET if quiet else NORMAL
    click.echo(render_text(result, secrets=secrets, verbosity=verbosity, reports=written))
    for report in written:
        click.echo(f"wrote {report}", err=True)
    sys.exit(result.exit_code)


def _secrets(options: object) -> tuple[str, ...]:
    import os

    from ..mock import DEFAULT_AUTH_TOKEN, OTHER_AUTH_TOKEN

    names = ("TWILIO_AUTH_TOKEN", "TWILIO_API_SECRET", "CONTRACT_KIT_OTHER_AUTH_TOKEN")
    return tuple(v for v in (*(os.environ.get(n, "") for n in names), DEFAULT_AUTH_TOKEN, OTHER_AUTH_TOKEN) if v)
