"""The parsed-contract cache: a start-up saving that must never change what a contract says."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ROOT

from contract_kit import document_cache
from contract_kit.contract import Contract, ContractError
from contract_kit.yamlload import load_yaml

DOCUMENT = ROOT / "openapi" / "interactions.yaml"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv(document_cache.CACHE_ENV, str(directory))
    return directory


def _entries(directory: Path) -> list[Path]:
    return sorted(directory.glob("document-*.json")) if directory.is_dir() else []


def test_a_loaded_contract_is_kept_and_read_back_identical(cache: Path) -> None:
    parsed = load_yaml(DOCUMENT.read_text(encoding="utf-8"))
    first = Contract.load(DOCUMENT)
    assert len(_entries(cache)) == 1
    second = Contract.load(DOCUMENT)
    assert first.document == second.document == parsed
    assert document_cache.lookup(DOCUMENT.read_text(encoding="utf-8")) == parsed


def test_an_edited_document_is_never_answered_from_the_cache(cache: Path, tmp_path: Path) -> None:
    path = tmp_path / "contract.yaml"
    text = DOCUMENT.read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    before = path.stat()
    Contract.load(path)
    edited = text.replace("CreateInteraction", "CreateInteractioN", 1)
    assert len(edited) == len(text)
    path.write_text(edited, encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # same size, same mtime
    assert "CreateInteractioN" in Contract.load(path).operations
    assert len(_entries(cache)) == 2


@pytest.mark.parametrize(
    "junk",
    [
        b"",
        b"\x00\xff garbage",
        b"[1, 2, 3]",
        b'{"format": 1, "blake2b": "not this text", "document": {"paths": {}}}',
        b'{"format": 999, "document": {"paths": {}}}',
        b'{"format": 1, "document": []}',
        b"[" * 100_000,
    ],
)
def test_an_unsound_entry_is_ignored_and_rewritten(cache: Path, junk: bytes) -> None:
    Contract.load(DOCUMENT)
    (entry,) = _entries(cache)
    entry.write_bytes(junk)
    assert Contract.load(DOCUMENT).document == load_yaml(DOCUMENT.read_text(encoding="utf-8"))
    assert json.loads(entry.read_bytes())["document"] == Contract.load(DOCUMENT).document


def test_an_entry_made_for_another_text_is_not_taken(cache: Path) -> None:
    """An entry copied (or restored) under another text's name: its own record of the text differs."""
    first, second = "paths: {}\nversion: 1\n", "paths: {}\nversion: 2\n"
    document_cache.store(first, load_yaml(first))
    (entry,) = _entries(cache)
    entry.rename(cache / f"{document_cache._PREFIX}{document_cache._digest(second)}.json")
    assert document_cache.lookup(second) is None


def test_documents_json_cannot_represent_are_not_cached(cache: Path) -> None:
    for text in ("paths: {}\n200: ok\n", "paths: {}\nwhen: 2024-01-01\n", "paths: {}\nx: .nan\n"):
        document_cache.store(text, load_yaml(text))
        assert document_cache.lookup(text) is None
    assert _entries(cache) == []


def test_the_cache_can_be_turned_off_or_be_unwritable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(document_cache.CACHE_ENV, "")
    assert document_cache.cache_dir() is None
    assert Contract.load(DOCUMENT).operations
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv(document_cache.CACHE_ENV, str(blocker / "cache"))
    assert Contract.load(DOCUMENT).operations
    assert document_cache.lookup(DOCUMENT.read_text(encoding="utf-8")) is None


def test_old_entries_are_pruned(cache: Path) -> None:
    for i in range(document_cache._KEEP + 5):
        text = f"paths: {{}}\nversion: {i}\n"
        document_cache.store(text, load_yaml(text))
    assert len(_entries(cache)) == document_cache._KEEP
    assert document_cache.lookup(text) == {"paths": {}, "version": i}


def test_a_refused_document_is_still_refused(cache: Path, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("paths: [unclosed\n")
    for _ in range(2):
        with pytest.raises(ContractError, match="not valid JSON or YAML"):
            Contract.load(path)
    assert _entries(cache) == []


def test_validate_reads_the_cached_contract_without_importing_yaml(tmp_path: Path) -> None:
    env = {**os.environ, document_cache.CACHE_ENV: str(tmp_path / "cache")}
    payload = str(ROOT / "examples" / "payloads" / "valid" / "sms-agent.json")
    code = f"import sys; sys.argv=['contract-kit','validate',{payload!r}]; from contract_kit.cli import main; main()"
    runs = [
        subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, env=env)
        for _ in range(2)
    ]
    assert [r.returncode for r in runs] == [0, 0], runs[1].stderr[-2000:]
    imported = [{line.split("|")[-1].strip() for line in r.stderr.splitlines() if "|" in line} for r in runs]
    assert "yaml" in imported[0]  # parsed once,
    assert "yaml" not in imported[1]  # then read from the cache
