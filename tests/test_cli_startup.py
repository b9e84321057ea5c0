"""What the CLI loads to start, and what the lazy package still answers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from contract_kit.cli import main


def _imports(*argv: str) -> set[str]:
    code = f"import sys; sys.argv = ['contract-kit', *{list(argv)!r}]; from contract_kit.cli import main; main()"
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return {line.split("|")[-1].strip() for line in proc.stderr.splitlines() if "|" in line}


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["validate", "--help"]])
def test_help_and_version_load_neither_the_validator_nor_its_engines(argv: list[str]) -> None:
    imported = _imports(*argv)
    assert "contract_kit.cli" in imported
    assert not imported & {"jsonschema_rs", "yaml", "contract_kit.validate", "contract_kit.wire", "xml.etree"}


@pytest.mark.parametrize(
    "first",
    ["", "import contract_kit.batch", "import contract_kit.validate", "from contract_kit.validate import Report"],
)
def test_the_package_answers_every_name_whatever_was_imported_first(first: str) -> None:
    """`contract_kit.validate` is the function (as the eager package made it), even once the
    submodule of that name has been imported on its own."""
    code = f"""
{first}
import contract_kit
from contract_kit import validate, Contract, default_contract, validator_for, __version__
import contract_kit.validate as imported
assert validate is contract_kit.validate is imported, validate
assert validate.__module__ == "contract_kit.validate" and callable(validate)
assert validate({{"Channel": {{}}}}).valid is False
assert isinstance(default_contract(), Contract) and validator_for().operation.operation_id == "CreateInteraction"
assert set(contract_kit.__all__) <= set(dir(contract_kit))
try:
    contract_kit.no_such_name
except AttributeError:
    pass
else:
    raise AssertionError("no AttributeError")
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_escape_sequences_from_a_payload_are_stripped_from_text_as_click_does(tmp_path: Path) -> None:
    """The report is written without `click.echo` when nothing in it is for click to strip; when a
    payload brings an escape sequence, click still strips it (text) or JSON escapes it."""
    path = tmp_path / "odd.json"
    path.write_text(json.dumps({"Channel": {"type": "sms", "initiated_by": "api"}, "\x1b[31mRed": 1}))
    runner = CliRunner()
    text = runner.invoke(main, ["validate", str(path)])
    assert text.exit_code == 1
    assert "\x1b" not in text.output and "/Red: warning request.unknown_field" in text.output
    data = runner.invoke(main, ["validate", "--format", "json", str(path)])
    assert "\\u001b[31mRed" in data.output and json.loads(data.output)["results"][0]["valid"] is False


def test_text_is_styled_only_for_a_terminal_or_when_forced() -> None:
    invalid = str(Path(__file__).resolve().parent.parent / "examples" / "payloads" / "invalid" / "routing.agent.json")
    plain = CliRunner().invoke(main, ["validate", invalid])
    assert "\x1b[" not in plain.output and ": error routing.agent: " in plain.output
    forced = CliRunner().invoke(main, ["validate", invalid], color=True)
    assert "\x1b[31m" in forced.output
    assert forced.output.replace("\x1b[31m\x1b[1m", "").replace("\x1b[0m", "") == plain.output
