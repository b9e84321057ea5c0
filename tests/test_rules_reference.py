"""`contract-kit rules --format markdown`: the publishable rule reference lists every rule, from the document."""

from __future__ import annotations

import copy
import re

from click.testing import CliRunner

from contract_kit import default_contract
from contract_kit.cli import main
from contract_kit.contract import Contract
from contract_kit.rules_reference import render_markdown

CONTRACT = default_contract()


def _markdown(*args: str) -> str:
    result = CliRunner().invoke(main, ["rules", "--format", "markdown", *args])
    assert result.exit_code == 0, result.output
    return result.output


def _sections(page: str) -> dict[str, str]:
    """Each rule's section under `## Rules`, by the id in its heading."""
    body = page.split("\n## Rules\n", 1)[1]
    parts = re.split(r"^### `([^`]+)`$", body, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_every_rule_of_the_document_has_a_section_with_its_words() -> None:
    sections = _sections(_markdown())
    assert list(sections) == list(CONTRACT.rules)
    for rule in CONTRACT.rules.values():
        text = " ".join(sections[rule.id].split())
        assert " ".join(rule.message.split()) in text
        assert f"basis: {rule.basis}" in text
        assert " ".join(rule.source.split()).replace("<", "&lt;") in text
        for operation in rule.operations:
            assert f"`{operation}`" in text


def test_the_summary_counts_the_rules_by_basis() -> None:
    page = _markdown()
    vendor = sum(1 for r in CONTRACT.rules.values() if r.basis == "vendor")
    ours = len(CONTRACT.rules) - vendor
    assert f"{len(CONTRACT.rules)} rules: {vendor} stated by the vendor, {ours} our reading or advice." in page


def test_every_link_of_the_page_leads_to_an_anchor_on_it() -> None:
    page = _markdown()
    anchors = set(re.findall(r'<a id="([^"]+)"></a>', page))
    links = set(re.findall(r"\]\(#([^)]+)\)", page))
    assert len(anchors) == len(CONTRACT.rules)
    assert links == anchors


def test_the_index_has_one_row_per_rule_with_its_severity() -> None:
    rows = [line for line in _markdown().splitlines() if line.startswith("| [`")]
    assert len(rows) == len(CONTRACT.rules)
    for row, rule in zip(rows, CONTRACT.rules.values(), strict=True):
        assert row.startswith(f"| [`{rule.id}`]")
        assert row.count(" | ") == 3, row  # a `|` inside a cell would add a column
        assert ("(error with `--strict`)" in row) == rule.stricter


def test_operation_filter_lists_only_that_operations_rules() -> None:
    page = _markdown("-o", "UpdateInteraction")
    assert list(_sections(page)) == [r.id for r in CONTRACT.rules_for("UpdateInteraction")]
    assert "* **UpdateInteraction** `POST /v1/Interactions/{Sid}`" in page


def test_a_rule_added_to_the_document_appears_with_no_code_change() -> None:
    document = copy.deepcopy(dict(CONTRACT.document))
    document["components"]["x-rules"]["web.context_sid"] = {
        "message": "type=web requires InteractionContextSid | always",
        "condition": "Channel.type = web",
        "source": "a <test> sentence",
    }
    document["components"]["schemas"]["CreateInteractionRequest"]["allOf"].append(
        {"x-rule": "web.context_sid", "if": {"required": ["Channel"]}, "then": {"required": ["InteractionContextSid"]}}
    )
    page = render_markdown(Contract(document, "/somewhere/copy.yaml"))
    assert "Generated from `copy.yaml`" in page
    section = _sections(page)["web.context_sid"]
    assert "**type=web requires InteractionContextSid | always**" in section
    assert "a &lt;test> sentence" in section
    assert "`CreateInteraction` (`POST /v1/Interactions`)" in section


def test_a_commonmark_renderer_reads_the_index_as_one_table_and_each_rule_as_a_heading() -> None:
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").enable("table").parse(_markdown())
    rows = [t for t in tokens if t.type == "tr_open"]
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open" and t.tag == "h3"]
    assert len(rows) == 1 + len(CONTRACT.rules)  # the header row, then one per rule
    assert headings == [f"`{rule_id}`" for rule_id in CONTRACT.rules]
