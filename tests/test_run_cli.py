"""`contract-kit run` as users call it: exit codes, messages, reports, redaction, the network path."""

from __future__ import annotations

import json
import socket
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from contract_kit.cli import main
from contract_kit.mock import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, MockServer
from contract_kit.run import Exchange, RunOptions, run_suite
from contract_kit.run.report import as_curl

CLEAN_ENV = {"TWILIO_ACCOUNT_SID": "", "TWILIO_AUTH_TOKEN": "", "TWILIO_API_KEY": "", "TWILIO_API_SECRET": ""}


def _invoke(args: list[str], env: dict[str, str] | None = None) -> object:
    return CliRunner().invoke(main, ["run", *args], env={**CLEAN_ENV, **(env or {})})


def test_non_loopback_url_without_credentials_is_a_usage_error() -> None:
    result = _invoke(["--base-url", "https://flex-api.example.com"])
    assert result.exit_code == 2  # type: ignore[attr-defined]
    assert "TWILIO_ACCOUNT_SID" in result.output  # type: ignore[attr-defined]
    assert "Traceback" not in result.output  # type: ignore[attr-defined]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_url_is_a_connection_error() -> None:
    port = _free_port()
    result = _invoke(["--base-url", f"http://127.0.0.1:{port}"])
    assert result.exit_code == 2  # type: ignore[attr-defined]
    assert "cannot reach" in result.output  # type: ignore[attr-defined]
    assert "Traceback" not in result.output  # type: ignore[attr-defined]


def test_unknown_operation_is_a_usage_error() -> None:
    result = _invoke(["--operation-id", "DeleteEverything"])
    assert result.exit_code == 2  # type: ignore[attr-defined]
    assert "CreateInteraction" in result.output  # type: ignore[attr-defined]


@pytest.mark.parametrize("option", ["--report-dir", "--record"])
def test_an_output_dir_that_cannot_be_written_is_refused_before_anything_is_sent(option: str) -> None:
    # Nothing listens on the port: had anything been sent first, the error would be "cannot reach".
    port = _free_port()
    result = _invoke(["--base-url", f"http://127.0.0.1:{port}", "-o", "CreateInteraction", option, "/dev/null/x"])
    assert result.exit_code == 2, result.output  # type: ignore[attr-defined]
    assert f"{option} /dev/null/x: cannot write there (Not a directory)" in result.output  # type: ignore[attr-defined]
    assert "cannot reach" not in result.output and "Traceback" not in result.output  # type: ignore[attr-defined]


def test_report_dir_gets_junit_and_json(tmp_path: Path) -> None:
    result = _invoke(["--seed", "3", "--fault", "relative-next-page", "--operation-id", "ListInteractionChannel",
                      "--operation-id", "CreateInteraction", "--operation-id", "FetchInteraction",
                      "--report-dir", str(tmp_path)])
    assert result.exit_code == 1, result.output  # type: ignore[attr-defined]
    assert "absolute_urls" in result.output  # type: ignore[attr-defined]
    assert "curl -X GET" in result.output  # type: ignore[attr-defined]
    suite = ET.parse(tmp_path / "junit.xml").getroot()
    assert int(suite.get("failures", "0")) >= 1
    names = {case.get("name") for case in suite.iter("testcase")}
    assert {"ListInteractionChannel", "customer.media_channel_sid"} <= names
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["exit_code"] == 1
    assert any(f["check"] == "absolute_urls" for f in report["failures"])
    text = (tmp_path / "report.json").read_text() + (tmp_path / "junit.xml").read_text() + result.output  # type: ignore[attr-defined]
    assert DEFAULT_AUTH_TOKEN not in text


def test_curl_never_holds_credentials() -> None:
    exchange = Exchange(
        operation="CreateInteraction", method="POST", url="https://flex.example.com/v1/Interactions",
        request_headers={"Authorization": "Basic QUM6c2VjcmV0", "Content-Type": "application/x-www-form-urlencoded"},
        request_body=b"Channel=%7B%7D&Token=s3cr3t", status=400, response_headers={}, response_body=b"{}",
    )
    curl = as_curl(exchange, secrets=["s3cr3t"])
    assert "QUM6c2VjcmV0" not in curl and "s3cr3t" not in curl
    assert '-u "$TWILIO_ACCOUNT_SID:$TWILIO_AUTH_TOKEN"' in curl
    assert "--data-binary 'Channel=%7B%7D&Token=[REDACTED]'" in curl


def test_over_real_network_against_uvicorn_on_loopback() -> None:
    env = {"TWILIO_ACCOUNT_SID": DEFAULT_ACCOUNT_SID, "TWILIO_AUTH_TOKEN": DEFAULT_AUTH_TOKEN}
    with MockServer() as server:
        result = run_suite(RunOptions(base_url=server.url, seed=2, env=env))
    assert result.exit_code == 0, [f"{f.check} {f.message}" for f in result.findings[:5]]
    assert len(result.operations) == 14
    assert result.cleanup and result.cleanup[-1].endswith("0 failed")


@pytest.mark.parametrize("fault", ["lost-state", "non-vendor-error"])
def test_over_real_network_catches_faults(fault: str) -> None:
    env = {"TWILIO_ACCOUNT_SID": DEFAULT_ACCOUNT_SID, "TWILIO_AUTH_TOKEN": DEFAULT_AUTH_TOKEN}
    with MockServer(faults=[fault]) as server:
        result = run_suite(RunOptions(base_url=server.url, seed=2, env=env,
                                      operation_ids=("CreateInteraction", "FetchInteraction")))
    assert result.exit_code == 1


def test_a_passing_run_is_short_and_verbose_lists_everything() -> None:
    ops = ["-o", "CreateInteraction", "-o", "FetchInteraction", "-o", "ListInteractionChannel"]
    normal = _invoke(["--seed", "5", *ops])
    assert normal.exit_code == 0, normal.output  # type: ignore[attr-defined]
    lines = normal.stdout.splitlines()  # type: ignore[attr-defined]
    assert len(lines) < 15, normal.stdout  # type: ignore[attr-defined]
    assert lines[-1].startswith("CONFORMS")
    assert not any("closed channel" in line or "more (see" in line for line in lines), normal.stdout  # type: ignore[attr-defined]
    verbose = _invoke(["--seed", "5", "-v", *ops])
    assert verbose.exit_code == 0  # type: ignore[attr-defined]
    for operation in ("CreateInteraction", "FetchInteraction", "ListInteractionChannel"):
        assert operation in verbose.output  # type: ignore[attr-defined]
    assert "pass  channel.initiated_by" in verbose.stdout  # type: ignore[attr-defined]
    assert "pass  absolute_urls" in verbose.stdout  # type: ignore[attr-defined]
    assert "  Interaction KD" in verbose.stdout  # type: ignore[attr-defined]
    assert len(verbose.stdout.splitlines()) > len(lines)  # type: ignore[attr-defined]


def test_quiet_prints_only_the_verdict_and_failures() -> None:
    passing = CliRunner().invoke(main, ["run", "-q", "--seed", "5", "-o", "FetchInteraction"], env=CLEAN_ENV)
    assert passing.exit_code == 0  # type: ignore[attr-defined]
    assert passing.stdout.strip().splitlines() == [passing.stdout.strip()]  # one line
    assert passing.stdout.startswith("CONFORMS") and not passing.stderr.strip()
    failing = CliRunner().invoke(main, ["run", "-q", "--seed", "3", "--fault", "relative-next-page",
                                        "-o", "ListInteractionChannel", "-o", "CreateInteraction"], env=CLEAN_ENV)
    assert failing.exit_code == 1  # type: ignore[attr-defined]
    assert "absolute_urls" in failing.stdout and "curl -X GET" in failing.stdout
    assert failing.stdout.strip().splitlines()[-1].startswith("DOES NOT CONFORM")


def test_verbose_and_quiet_together_is_a_usage_error() -> None:
    result = _invoke(["-v", "-q"])
    assert result.exit_code == 2  # type: ignore[attr-defined]
    assert "--verbose and --quiet" in result.output  # type: ignore[attr-defined]
