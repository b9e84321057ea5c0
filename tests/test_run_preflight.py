"""The pre-flight of `run` and `contract-kit doctor`: set-up mistakes are exit 2 with the fix, not server bugs."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from contract_kit.cli import main
from contract_kit.mock import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, MockServer

CLEAN_ENV = {"TWILIO_ACCOUNT_SID": "", "TWILIO_AUTH_TOKEN": "", "TWILIO_API_KEY": "", "TWILIO_API_SECRET": "",
             "CONTRACT_KIT_OTHER_ACCOUNT_SID": "", "CONTRACT_KIT_OTHER_AUTH_TOKEN": ""}
OWNER = {"TWILIO_ACCOUNT_SID": DEFAULT_ACCOUNT_SID, "TWILIO_AUTH_TOKEN": DEFAULT_AUTH_TOKEN}


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    with MockServer() as running:
        yield running


def _cli(args: list[str], env: dict[str, str]) -> object:
    return CliRunner().invoke(main, args, env={**CLEAN_ENV, **env})


def test_a_wrong_auth_token_is_a_setup_error_not_62_failures(server: MockServer) -> None:
    result = _cli(["run", "--base-url", server.url, "--seed", "1"],
                  {"TWILIO_ACCOUNT_SID": DEFAULT_ACCOUNT_SID, "TWILIO_AUTH_TOKEN": "not-the-token"})
    assert result.exit_code == 2, result.output  # type: ignore[attr-defined]
    assert "refused the credentials from TWILIO_ACCOUNT_SID + TWILIO_AUTH_TOKEN" in result.stderr  # type: ignore[attr-defined]
    assert "schemathesis:" not in result.stderr and "expected 400" not in result.output  # type: ignore[attr-defined]
    assert not result.stdout  # type: ignore[attr-defined]
    assert "not-the-token" not in result.output  # type: ignore[attr-defined]


def test_a_base_url_ending_in_v1_is_named_with_the_url_to_use(server: MockServer) -> None:
    result = _cli(["run", "--base-url", server.url + "/v1", "--seed", "1"], OWNER)
    assert result.exit_code == 2, result.output  # type: ignore[attr-defined]
    assert "ends in /v1" in result.stderr and f"use --base-url {server.url}" in result.stderr  # type: ignore[attr-defined]
    assert "schemathesis:" not in result.stderr  # type: ignore[attr-defined]


def test_wrong_second_account_credentials_are_named(server: MockServer) -> None:
    result = _cli(["doctor", "--base-url", server.url], {
        **OWNER, "CONTRACT_KIT_OTHER_ACCOUNT_SID": "AC" + "a" * 32, "CONTRACT_KIT_OTHER_AUTH_TOKEN": "wrong"})
    assert result.exit_code == 2  # type: ignore[attr-defined]
    assert "CONTRACT_KIT_OTHER_ACCOUNT_SID + CONTRACT_KIT_OTHER_AUTH_TOKEN" in result.stderr  # type: ignore[attr-defined]


def test_doctor_passes_a_good_setup_and_says_what_it_checked(server: MockServer) -> None:
    result = _cli(["doctor", "--base-url", server.url], OWNER)
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    out = result.stdout  # type: ignore[attr-defined]
    assert "credentials from TWILIO_ACCOUNT_SID + TWILIO_AUTH_TOKEN are accepted" in out
    assert "without credentials is refused (HTTP 401)" in out
    assert out.splitlines()[-1] == f"READY: `contract-kit run --base-url {server.url}` can start"


def test_doctor_with_a_wrong_token_is_exit_2(server: MockServer) -> None:
    result = _cli(["doctor", "--base-url", server.url], {"TWILIO_ACCOUNT_SID": DEFAULT_ACCOUNT_SID,
                                                         "TWILIO_AUTH_TOKEN": "wrong"})
    assert result.exit_code == 2  # type: ignore[attr-defined]
    assert "refused the credentials" in result.stderr and "READY" not in result.stdout  # type: ignore[attr-defined]


class _NotAnApi(http.server.SimpleHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_error(404, "File not found")  # an HTML page, as a static web server answers

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_a_url_that_is_no_api_root_is_named() -> None:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _NotAnApi)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}"
        result = _cli(["run", "--base-url", url, "--seed", "1"], {})
        assert result.exit_code == 2, result.output  # type: ignore[attr-defined]
        assert "does not look like a Flex-like API root" in result.stderr  # type: ignore[attr-defined]
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_server_ignoring_credentials_is_judged_by_the_run_not_refused_by_the_preflight() -> None:
    with MockServer(faults=["no-auth-check"]) as lax:
        result = _cli(["run", "--base-url", lax.url, "--seed", "1", "-o", "FetchInteraction"], OWNER)
    assert result.exit_code == 1, result.output  # type: ignore[attr-defined]
    assert "auth_required" in result.stdout  # type: ignore[attr-defined]
    assert "warning: a read without credentials got HTTP" in result.stderr  # type: ignore[attr-defined]
