"""The rule catalogue as a Markdown page a team can publish beside its API docs.

Everything on the page comes from the compiled contract (the document's `components.x-rules`,
its operations and its `info`), so the page cannot say something the validator does not do:
regenerate it with `contract-kit rules --format markdown` whenever the document changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import PurePath

from .contract import Contract, Operation, Rule

BASIS_NOTES = {
    "vendor": "stated on the vendor's resource page or in its OpenAPI document; a request breaking it is "
    "an error, and `contract-kit run` fails a server that accepts it",
    "ours": "our reading where the vendor is silent; reported as a warning (an error with `--strict`), "
    "and never the reason a server fails",
}


def render_markdown(contract: Contract, rules: Iterable[Rule] | None = None) -> str:
    """The page: a summary, an index table, the rules of each operation, then every rule in full."""
    chosen = list(contract.rules.values() if rules is None else rules)
    operations = [op for op in contract.operations.values() if any(op.operation_id in r.operations for r in chosen)]
    info = contract.document.get("info", {})
    vendor = sum(1 for r in chosen if r.basis == "vendor")
    lines = [
        f"# What Flex really requires: {_inline(str(info.get('title', 'the contract')))}",
        "",
        f"Generated from `{PurePath(contract.source).name}` (document version {_inline(str(info.get('version', '?')))})"
        " by `contract-kit rules --format markdown`; do not edit by hand.",
        "",
        f"{len(chosen)} rules: {vendor} stated by the vendor, {len(chosen) - vendor} our reading or advice.",
        "",
        *(f"* **{basis}**: {note}." for basis, note in BASIS_NOTES.items()),
        "",
        "## Index",
        "",
        "| Rule | Severity | Basis | Applies when |",
        "|---|---|---|---|",
        *(f"| [`{r.id}`](#{_anchor(r.id)}) | {_severity(r)} | {r.basis} | {_cell(r.condition)} |" for r in chosen),
        "",
        "## By operation",
        "",
    ]
    for op in operations:
        ids = ", ".join(f"[`{r.id}`](#{_anchor(r.id)})" for r in chosen if op.operation_id in r.operations)
        lines += [f"* **{op.operation_id}** `{op.method} {op.path}`: {ids}"]
    lines += ["", "## Rules", ""]
    for rule in chosen:
        lines += _rule_section(rule, operations)
    return "\n".join(lines).rstrip("\n") + "\n"


def _rule_section(rule: Rule, operations: list[Operation]) -> list[str]:
    used = [op for op in operations if op.operation_id in rule.operations]
    where = ", ".join(f"`{op.operation_id}` (`{op.method} {op.path}`)" for op in used)
    return [
        f'<a id="{_anchor(rule.id)}"></a>',
        f"### `{rule.id}`",
        "",
        f"**{_inline(rule.message)}**",
        "",
        f"* Severity: {_severity(rule)}; basis: {rule.basis}",
        f"* Applies when: {_inline(rule.condition) or '(always)'}",
        f"* Operations: {where or '(none)'}",
        f"* Vendor's words: {_inline(rule.source) or '(none)'}",
        f"* How it was read: {_inline(rule.decision) or '(as stated)'}",
        "",
    ]


def _severity(rule: Rule) -> str:
    shown = rule.severity_for(False)
    return f"{shown} (error with `--strict`)" if rule.stricter else shown


def _anchor(rule_id: str) -> str:
    """A stable fragment for a rule: the id with its dots made dashes (`channel.type` → `rule-channel-type`)."""
    return "rule-" + "".join(c if c.isalnum() else "-" for c in rule_id.lower())


def _inline(text: str) -> str:
    """One line of Markdown: the document's folded text joined, nothing that starts an HTML tag."""
    return " ".join(text.split()).replace("<", "&lt;")


def _cell(text: str) -> str:
    """Inline text safe inside a table cell."""
    return _inline(text).replace("|", "\\|") or "(always)"
