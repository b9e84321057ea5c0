"""The one YAML reader: safe, bounded, and every file contract-kit reads goes through it."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from contract_kit.contract import Contract, ContractError
from contract_kit.yamlload import MAX_BYTES, MAX_EXPANDED_NODES, YamlError, load_yaml

LEVELS = "abcdefghi"


def alias_bomb(levels: int = 9) -> str:
    """Nine nested levels of `&x [*w, *w, ...]`: about 1 KB that expands to 9**9 values."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for previous, name in itertools.pairwise(LEVELS[:levels]):
        lines.append(f"{name}: &{name} [" + ",".join(f"*{previous}" for _ in range(9)) + "]")
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_with_its_file_named() -> None:
    with pytest.raises(YamlError, match=r"payloads/bomb\.yaml: refused: .*alias"):
        load_yaml(alias_bomb(), "payloads/bomb.yaml")


def test_a_few_aliases_are_fine() -> None:
    data = load_yaml("base: &b {x: 1}\none: *b\ntwo: *b\n")
    assert data == {"base": {"x": 1}, "one": {"x": 1}, "two": {"x": 1}}
    small = alias_bomb(levels=3)  # 9**3 values: well under the bound
    assert len(load_yaml(small)["c"]) == 9
    assert 9**9 > MAX_EXPANDED_NODES > 9**4


def test_unsafe_tags_are_refused() -> None:
    with pytest.raises(YamlError, match="not valid JSON or YAML"):
        load_yaml("!!python/object/apply:os.system ['true']")


def test_syntax_errors_say_where() -> None:
    with pytest.raises(YamlError, match=r"x\.yaml: not valid JSON or YAML \(line 2, column 1\)"):
        load_yaml("a: [1,\n", "x.yaml")


SCALARS = st.none() | st.booleans() | st.integers() | st.text()


@given(st.recursive(SCALARS, lambda c: st.lists(c) | st.dictionaries(st.text(), c)))
def test_round_trips_what_pyyaml_writes(value: object) -> None:
    assert load_yaml(yaml.safe_dump(value)) == value


def test_the_contract_loader_refuses_a_bomb(tmp_path: Path) -> None:
    path = tmp_path / "contract.yaml"
    path.write_text(alias_bomb())
    with pytest.raises(ContractError, match="alias"):
        Contract.load(path)


@pytest.mark.parametrize(
    "command",
    [
        ["validate", "{path}"],
        ["cassettes", "check", "{path}"],
        ["drift", "{path}"],
        ["drift", "--contract", "{path}", "{vendor}"],
    ],
    ids=["validate", "cassettes-check", "drift-vendor", "drift-contract"],
)
def test_every_command_answers_a_bomb_at_once_with_exit_2(tmp_path: Path, command: list[str]) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(alias_bomb())
    vendor = Path(__file__).resolve().parent.parent / "openapi" / "vendor" / "twilio_flex_v1_interactions.yaml"
    args = [part.replace("{path}", str(path)).replace("{vendor}", str(vendor)) for part in command]
    done = subprocess.run(
        [sys.executable, "-m", "contract_kit.cli", *args], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert str(path) in done.stdout + done.stderr
    assert "alias" in done.stdout + done.stderr


def test_an_oversized_document_is_refused_before_it_is_parsed() -> None:
    text = "a: " + "x" * (MAX_BYTES + 1)
    with pytest.raises(YamlError, match=r"^big\.yaml: refused: larger than 64 MiB"):
        load_yaml(text, "big.yaml")


def test_a_large_document_without_aliases_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only what aliases add counts: a cassette of many interactions is no bomb (the limit is
    lowered here so that a small document stands for a large one)."""
    monkeypatch.setattr("contract_kit.yamlload.MAX_EXPANDED_NODES", 1_000)
    value = [{"request": {"uri": f"/v1/Interactions/{i}", "headers": {"a": ["b"]}}} for i in range(2_000)]
    assert load_yaml(json.dumps(value)) == value
    with pytest.raises(YamlError, match="alias"):
        load_yaml(alias_bomb(levels=4))  # 9**4 values from a few lines
