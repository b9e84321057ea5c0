"""`contract-kit drift VENDOR_DOC`: does the contract still honour the vendor's published document?"""

from __future__ import annotations

import json
import sys

import click

from . import format_option


@click.command("drift")
@click.argument("vendor_doc", type=click.Path(dir_okay=False, path_type=str))
@format_option
@click.option(
    "--operation-id",
    "operation_ids",
    multiple=True,
    metavar="ID",
    help="Report only this operation (repeatable); by default all the contract's operations.",
)
@click.option(
    "--contract",
    "contract_path",
    type=click.Path(dir_okay=False, path_type=str),
    default=None,
    help="The contract document to compare (default: the packaged one, or $CONTRACT_KIT_DOCUMENT).",
)
def drift_command(
    vendor_doc: str, output_format: str, operation_ids: tuple[str, ...], contract_path: str | None
) -> None:
    """Compare the vendor's OpenAPI document VENDOR_DOC (JSON or YAML) with the contract.

    Exit 0: the contract honours every vendor fact on its operations. Exit 1: something changed
    (each finding says whether the contract is now looser, stricter or different, and where, in both
    documents). Exit 2: VENDOR_DOC or the contract cannot be read, or an unknown --operation-id.
    """
    from ..contract import Contract, ContractError, default_contract
    from ..drift import DriftInputError, check_drift, render_text

    try:
        contract = Contract.load(contract_path) if contract_path else default_contract()
        report = check_drift(vendor_doc, contract, operation_ids or None)
    except (DriftInputError, ContractError) as exc:
        click.echo(f"contract-kit drift: {exc}", err=True)
        sys.exit(2)
    if output_format == "json":
        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        click.echo(render_text(report))
    sys.exit(report.exit_code)
