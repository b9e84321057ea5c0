"""The README's Python snippets run as written, and say what they print.

A top-level expression followed by `# <literal>` (on its line, or alone on the next line) must
evaluate to that literal; snippets with placeholders (`{...}`, `=...`) are skipped.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def _blocks() -> list[str]:
    return [b for b in BLOCK.findall(README.read_text(encoding="utf-8")) if "{...}" not in b and "=..." not in b]


def _expected(comment: str) -> tuple[bool, Any]:
    text = comment.lstrip("#").strip()
    for candidate in (text, re.split(r" \(|: ", text, maxsplit=1)[0]):
        try:
            return True, ast.literal_eval(candidate)
        except (ValueError, SyntaxError):
            continue
    return False, None


def _checks(source: str) -> list[tuple[int, Any]]:
    """(line number, expected value) of each top-level expression the snippet annotates."""
    lines = source.splitlines()
    found = []
    for node in ast.parse(source).body:
        if not isinstance(node, ast.Expr):
            continue
        end = node.end_lineno or node.lineno
        tail = lines[end - 1][node.end_col_offset or 0 :].strip()
        following = lines[end].strip() if end < len(lines) else ""
        comment = tail if tail.startswith("#") else following if following.startswith("#") else ""
        ok, value = _expected(comment) if comment else (False, None)
        if ok:
            found.append((node.lineno, value))
    return found


@pytest.mark.parametrize("source", _blocks(), ids=lambda s: s.splitlines()[0][:40])
def test_snippet_runs_and_prints_what_it_says(source: str) -> None:
    tree = ast.parse(source)
    namespace: dict[str, Any] = {}
    checks = dict(_checks(source))
    for node in tree.body:
        if isinstance(node, ast.Expr) and node.lineno in checks:
            value = eval(compile(ast.Expression(node.value), "README.md", "eval"), namespace)
            assert value == checks[node.lineno], ast.unparse(node)
        else:
            exec(compile(ast.Module([node], []), "README.md", "exec"), namespace)


def test_the_readme_has_annotated_snippets() -> None:
    assert sum(len(_checks(b)) for b in _blocks()) >= 4
