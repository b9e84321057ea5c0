"""`contract-kit validate`, `rules` and `--version`, driven as a user drives them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from click.testing import CliRunner
from helpers import EXAMPLES

from contract_kit import __version__, default_contract
from contract_kit.cli import main

VALID = str(EXAMPLES / "valid" / "sms-agent.json")
INVALID = str(EXAMPLES / "invalid" / "routing.agent.json")
WARNS = str(EXAMPLES / "invalid" / "participant.identity_chars.json")


def run(*args: str, stdin: str | bytes | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), input=stdin)
    return result.exit_code, result.output


def test_valid_files_exit_0_with_a_summary() -> None:
    code, out = run("validate", VALID, str(EXAMPLES / "valid"))
    assert code == 0
    assert (
        out.strip().splitlines()[-1]
        == "22 payloads checked against CreateInteraction: 22 valid, 0 invalid (0 errors, 0 warnings)"
    )


def test_invalid_file_exit_1_and_one_line_per_violation() -> None:
    code, out = run("validate", INVALID)
    assert code == 1
    lines = out.strip().splitlines()
    assert lines[0] == (
        f"{INVALID}#0:/Routing/properties/worker_sid: error routing.agent: "
        + default_contract().rules["routing.agent"].message
    )
    assert "1 invalid" in lines[-1]


def test_warnings_pass_unless_strict() -> None:
    assert run("validate", WARNS)[0] == 0
    code, out = run("validate", "--strict", WARNS)
    assert code == 1
    assert "warning participant.identity_chars" in out


def test_json_format_has_the_documented_shape() -> None:
    code, out = run("validate", "--format", "json", VALID, INVALID)
    assert code == 1
    data = json.loads(out)
    assert [r["source"] for r in data["results"]] == [f"{VALID}#0", f"{INVALID}#0"]
    assert [r["valid"] for r in data["results"]] == [True, False]
    for result in data["results"]:
        for violation in result["violations"]:
            assert set(violation) >= {"rule", "pointer", "message", "severity"}
            assert violation["severity"] in ("error", "warning")


def test_a_list_file_gives_one_source_per_payload() -> None:
    code, out = run("validate", "--format", "json", str(EXAMPLES / "crm-click-to-sms.yaml"))
    data = json.loads(out)
    assert code == 1
    assert [r["source"].rsplit("#", 1)[1] for r in data["results"]] == ["0", "1"]
    assert [r["valid"] for r in data["results"]] == [True, False]


def test_junit_has_one_testcase_per_payload() -> None:
    code, out = run("validate", "--format", "junit", VALID, INVALID)
    suite = ET.fromstring(out.split("\n", 1)[1])
    assert code == 1
    assert suite.get("tests") == "2" and suite.get("failures") == "1"
    cases = suite.findall("testcase")
    assert [c.find("failure") is not None for c in cases] == [False, True]
    failure = cases[1].find("failure")
    assert failure is not None and failure.get("type") == "routing.agent"


def test_stdin_and_wire_forms(tmp_path: Path) -> None:
    body = (EXAMPLES / "wire" / "sms-agent.form").read_text()
    assert run("validate", "-", stdin=Path(VALID).read_text())[0] == 0
    assert run("validate", "--wire", "-", stdin=body)[0] == 0
    assert run("validate", str(EXAMPLES / "wire" / "sms-agent.form"))[0] == 0
    broken = tmp_path / "broken.form"
    broken.write_text("Channel=%7Bnot-json&Routing=x")
    code, out = run("validate", str(broken))
    assert code == 1
    assert "not valid JSON" in out


def test_unreadable_files_exit_2_and_the_others_are_still_checked(tmp_path: Path) -> None:
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("Channel: [unclosed\n")
    empty = tmp_path / "empty.json"
    empty.write_text("")
    code, out = run("validate", str(tmp_path / "missing.json"), str(bad_yaml), str(empty), INVALID)
    assert code == 2
    assert f"{tmp_path / 'missing.json'}: cannot read" in out
    assert f"{bad_yaml}: not valid JSON or YAML (line 2" in out
    assert f"{empty}: the file is empty" in out
    assert f"{INVALID}#0:/Routing/properties/worker_sid" in out


@pytest.mark.parametrize("holds", ["[]", "[]\n# nothing", "--- []\n"], ids=["json", "yaml-comment", "yaml-doc"])
def test_checking_nothing_is_a_usage_error_not_a_pass(tmp_path: Path, holds: str) -> None:
    empty_list = tmp_path / ("empty.json" if holds == "[]" else "empty.yaml")
    empty_list.write_text(holds)
    empty_dir = tmp_path / "nothing-here"
    (empty_dir / "sub").mkdir(parents=True)
    (empty_dir / "notes.txt").write_text("not a payload file")
    for paths, expected in (
        ([str(empty_list)], f"{empty_list}: no payloads found: the file holds an empty list"),
        ([str(empty_dir)], f"{empty_dir}: no payloads found: the directory holds no payload files"),
    ):
        code, out = run("validate", *paths)
        assert code == 2, out
        assert expected in out
        assert "0 payloads checked" in out
    code, out = run("validate", str(empty_dir), VALID)
    assert code == 2, out
    assert "1 payload checked against CreateInteraction: 1 valid" in out


def test_a_payload_that_is_a_list_is_written_as_a_list_of_one(tmp_path: Path) -> None:
    path = tmp_path / "list.json"
    path.write_text('[["Channel", "Routing"]]')
    code, out = run("validate", str(path))
    assert code == 1
    assert f"{path}#0:(body): error request.form" in out
    assert f"{path}#1" not in out


@pytest.mark.parametrize("output_format", ["text", "json", "junit"])
def test_an_output_that_cannot_be_written_is_refused_before_any_work(output_format: str) -> None:
    code, out = run("validate", "--format", output_format, "--output", "/dev/null/report.out", INVALID)
    assert code == 2, out
    assert "Invalid value for '--output'" in out and "/dev/null/report.out" in out
    assert "routing.agent" not in out


def test_yaml_is_loaded_safely(tmp_path: Path) -> None:
    evil = tmp_path / "evil.yaml"
    evil.write_text("!!python/object/apply:os.system ['echo pwned']\n")
    code, out = run("validate", str(evil))
    assert code == 2
    assert "not valid JSON or YAML" in out


def test_unknown_operation_is_a_usage_error_listing_the_known_ones() -> None:
    code, out = run("validate", "--operation", "CreateThing", VALID)
    assert code == 2
    assert "unknown operation 'CreateThing'" in out and "UpdateInteractionChannel" in out


def test_other_operation(tmp_path: Path) -> None:
    code, out = run("validate", "-o", "UpdateInteractionChannel", str(EXAMPLES / "UpdateInteractionChannel"))
    assert code == 1
    assert out.count(" error ") == 4


def test_rules_lists_every_rule_as_json() -> None:
    code, out = run("rules", "--format", "json")
    assert code == 0
    rules = json.loads(out)["rules"]
    assert {r["id"] for r in rules} == set(default_contract().rules)
    operations = set(default_contract().operations)
    for rule in rules:
        assert {"id", "operation", "severity", "condition", "source"} <= set(rule)
        assert rule["operation"] in operations
        assert rule["severity"] in ("error", "warning")
    code, out = run("rules", "--operation", "UpdateInteractionChannel")
    assert code == 0 and "channel_update.inactive_routing" in out and "email.from" not in out


def test_version() -> None:
    assert run("--version") == (0, f"contract-kit, version {__version__}\n")


def test_console_script_starts_without_heavy_imports() -> None:
    """validate runs on every commit: Schemathesis & co. must stay off its import path."""
    proc = subprocess.run(
        [
            sys.executable,
            "-X",
            "importtime",
            "-c",
            f"import sys; from contract_kit.cli import main; sys.argv=['contract-kit','validate',{VALID!r}]; main()",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    imported = {line.split("|")[-1].strip().split(".")[0] for line in proc.stderr.splitlines() if "|" in line}
    assert "contract_kit" in imported
    assert not imported & {
        "schemathesis",
        "hypothesis",
        "starlette",
        "uvicorn",
        "vcr",
        "httpx",
        "requests",
        "jsonschema",
    }


@pytest.mark.parametrize("args", [["validate"], ["validate", "--format", "xml", VALID]])
def test_usage_errors_exit_2(args: list[str]) -> None:
    assert run(*args)[0] == 2
