"""`contract-kit cassettes replay`: recorded traffic re-sent to a server, and what changed reported.

Driven through the CLI, as a user would, against the embedded mock served on loopback: a fresh mock
answers the shipped cassettes as recorded (its SIDs differ and are mapped), a mock with a fault is
caught where the fault shows, and a replay that cannot start (credentials, server, cassette) exits 2.
"""

from __future__ import annotations

import base64
import json
import socket
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from contract_kit.cassettes import ReplayReport, flex_vcr, load_cassette, replay_cassettes
from contract_kit.cli import main
from contract_kit.mock import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, MockServer
from contract_kit.twilio_client import twilio_client

CASSETTES = Path(__file__).resolve().parent.parent / "cassettes"
CREDENTIAL_ENV = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_API_KEY", "TWILIO_API_SECRET")
WEBHOOK_TTID = "flex_interactionwebhook_00000000000000000042"


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """The mock's default account, in the environment (the only place replay takes credentials from)."""
    for name in CREDENTIAL_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", DEFAULT_ACCOUNT_SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", DEFAULT_AUTH_TOKEN)


@pytest.fixture(scope="module")
def update_then_fetch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cassette a user records: create, update, fetch; close the channel, list the channels."""
    folder = tmp_path_factory.mktemp("recorded")
    payload = json.loads((CASSETTES.parent / "examples/payloads/valid/sms-api.json").read_text(encoding="utf-8"))
    with MockServer() as server:
        vcr = flex_vcr(folder, record_mode="all", secrets=[server.credential.secret])
        with vcr.use_cassette("update-then-fetch"):
            interactions = twilio_client(server.url, *server.auth).flex_api.v1.interaction
            created = interactions.create(channel=payload["Channel"], routing=payload["Routing"])
            interactions(created.sid).update(webhook_ttid=WEBHOOK_TTID)
            assert interactions(created.sid).fetch().webhook_ttid == WEBHOOK_TTID
            channel = interactions(created.sid).channels(created.channel["sid"])
            channel.update(status="closed")
            assert [c.status for c in interactions(created.sid).channels.list()] == ["closed"]
    return folder / "update-then-fetch.yaml"


def _replay(*args: str) -> Result:
    return CliRunner().invoke(main, ["cassettes", "replay", *args])


def _lines(result: Result, needle: str) -> list[str]:
    return [line for line in result.stdout.splitlines() if needle in line]


# -- nothing changed --------------------------------------------------------------------------------
@pytest.mark.usefixtures("credentials")
def test_the_shipped_cassettes_replay_unchanged_against_a_fresh_mock() -> None:
    with MockServer() as server:
        result = _replay(str(CASSETTES), "--base-url", server.url, "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    summary = report["summary"]
    assert summary["cassettes"] == 22 and summary["changed"] == 0 and summary["not_sent"] == 0
    assert summary["sent"] == summary["interactions"] == sum(len(load_cassette(p)[1]) for p in CASSETTES.glob("*.yaml"))
    sms = next(c for c in report["cassettes"] if c["source"].endswith("sms-api.yaml"))
    fetch = sms["interactions"][1]
    # the fetch went to the SID the new server's create returned, not the recorded one
    assert fetch["operation"] == "FetchInteraction" and fetch["status"] == 200
    assert fetch["path"].startswith("/v1/Interactions/KD") and fetch["path"] not in fetch["uri"]


@pytest.mark.usefixtures("credentials")
def test_a_user_recorded_cassette_replays_unchanged_in_text(update_then_fetch: Path) -> None:
    with MockServer() as server:
        result = _replay(str(update_then_fetch), "--base-url", server.url)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1].startswith("1 cassette(s), 5 interaction(s) replayed against")
    assert "0 changed, 0 not sent" in result.stdout


# -- something changed ------------------------------------------------------------------------------
@pytest.mark.usefixtures("credentials")
def test_a_fetch_that_no_longer_shows_the_update_is_named(update_then_fetch: Path) -> None:
    with MockServer(faults=["ignored-updates"]) as server:
        result = _replay(str(update_then_fetch), "--base-url", server.url)
    assert result.exit_code == 1, result.output
    fetch = _lines(result, "#2 GET")
    assert len(fetch) == 1 and "(FetchInteraction) 200 -> 200: body: /webhook_ttid" in fetch[0]
    assert f'recorded "{WEBHOOK_TTID}", now null' in fetch[0]
    listed = _lines(result, "(ListInteractionChannel)")
    assert listed and '/channels/0/status: recorded "closed", now "active"' in listed[0]
    # the updates themselves answer with the new values: not changed
    assert not _lines(result, "(UpdateInteraction)") and not _lines(result, "(UpdateInteractionChannel)")
    assert "2 changed" in result.stdout


@pytest.mark.usefixtures("credentials")
def test_a_changed_error_code_is_named() -> None:
    with MockServer(faults=["wrong-error-code"]) as server:
        result = _replay(str(CASSETTES), "--base-url", server.url)
    assert result.exit_code == 1, result.output
    changed = _lines(result, "->")
    assert changed and all("invalid-requests.yaml#6 GET /v1/Interactions/KD" in line for line in changed)
    assert any("(FetchInteraction) 404 -> 404: error-code: recorded 20404, now 20001" in line for line in changed)
    assert any("conformance: new problem" in line for line in changed)
    assert "1 changed" in result.stdout


@pytest.mark.usefixtures("credentials")
def test_json_names_each_change_with_its_kind() -> None:
    with MockServer(faults=["accept-rule"]) as server:
        result = _replay(str(CASSETTES / "invalid-requests.yaml"), "--base-url", server.url, "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    [changed] = [i for c in report["cassettes"] for i in c["interactions"] if i["changed"]]
    assert (changed["index"], changed["recorded_status"], changed["status"]) == (1, 400, 200)
    kinds = [c["kind"] for c in changed["changes"]]
    assert kinds[:3] == ["status", "error-code", "verdict"]
    assert "now accepted-invalid" in changed["changes"][2]["message"]
    assert "customer.media_channel_sid" in changed["changes"][2]["message"]


# -- credentials and writes -------------------------------------------------------------------------
def test_the_recorded_authorization_is_never_resent(credentials: None, tmp_path: Path) -> None:
    data = yaml.safe_load((CASSETTES / "sms-api.yaml").read_text(encoding="utf-8"))
    wrong = "Basic " + base64.b64encode(f"{DEFAULT_ACCOUNT_SID}:a-wrong-token".encode()).decode()
    for interaction in data["interactions"]:
        interaction["request"]["headers"]["Authorization"] = [wrong]
    (tmp_path / "sms-api.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    with MockServer() as server:
        result = _replay(str(tmp_path), "--base-url", server.url)
    assert result.exit_code == 0, result.output  # a re-sent wrong token would have got 401s


def test_off_loopback_writes_are_bounded(credentials: None, monkeypatch: pytest.MonkeyPatch) -> None:
    # the mock stands in for a remote server: the target is judged off loopback
    monkeypatch.setattr("contract_kit.run.target.is_loopback", lambda url: False)
    with MockServer() as server:
        result = _replay(str(CASSETTES / "sms-api.yaml"), "--base-url", server.url, "--max-writes", "2",
                         "--format", "json")
        unbounded = _replay(str(CASSETTES / "sms-api.yaml"), "--base-url", server.url, "--allow-writes")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    interactions = report["cassettes"][0]["interactions"]
    # create, fetch, update (2 writes), list channels; the participant create is the third write
    assert [i["sent"] for i in interactions] == [True] * 4 + [False] * 6
    assert interactions[4]["not_sent"] == "write budget"
    assert {i["not_sent"] for i in interactions[5:]} == {"follows #4, a write not sent"}
    assert report["summary"]["writes_sent"] == 2 and report["summary"]["write_limit"] == 2
    assert unbounded.exit_code == 0 and "0 not sent (6 write(s) sent, no write limit)" in unbounded.stdout


def test_missing_credentials_exit_2_before_anything_is_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in CREDENTIAL_ENV:
        monkeypatch.delenv(name, raising=False)
    result = _replay(str(CASSETTES), "--base-url", "https://flex-staging.example.invalid")
    assert result.exit_code == 2
    assert "no credentials for https://flex-staging.example.invalid" in result.stderr
    assert "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN" in result.stderr and not result.stdout


@pytest.mark.usefixtures("credentials")
def test_an_unreachable_server_exits_2() -> None:
    with socket.socket() as sock:  # a loopback port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = _replay(str(CASSETTES / "sms-api.yaml"), "--base-url", f"http://127.0.0.1:{port}")
    assert result.exit_code == 2
    assert f"cannot reach http://127.0.0.1:{port}" in result.stderr


@pytest.mark.usefixtures("credentials")
@pytest.mark.parametrize("content", ["interactions: [", "just: text\n"])
def test_an_unreadable_cassette_exits_2(tmp_path: Path, content: str) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(content, encoding="utf-8")
    result = _replay(str(CASSETTES / "sms-api.yaml"), str(bad), "--base-url", "http://127.0.0.1:9")
    assert result.exit_code == 2
    assert f"{bad}: unreadable cassette" in result.stderr and not result.stdout


def test_replay_from_python(tmp_path: Path) -> None:
    env = {"TWILIO_ACCOUNT_SID": DEFAULT_ACCOUNT_SID, "TWILIO_AUTH_TOKEN": DEFAULT_AUTH_TOKEN}
    with MockServer(faults=["wrong-error-code"]) as server:
        report: Any = replay_cassettes([CASSETTES / "invalid-requests.yaml"], server.url, env=env)
    assert isinstance(report, ReplayReport) and report.exit_code == 1
    [changed] = report.changed
    assert changed.index == 6 and [c.kind for c in changed.changes] == ["error-code", "conformance", "body"]


@pytest.mark.usefixtures("credentials")
def test_a_server_echoing_the_credentials_is_a_change_that_never_prints_them(tmp_path: Path) -> None:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def echo(request: Request) -> JSONResponse:
        user, _, token = base64.b64decode(request.headers["authorization"].split()[1]).decode().partition(":")
        return JSONResponse({"account": user, "token": token})

    app = Starlette(routes=[Route("/{path:path}", echo, methods=["GET", "POST"])])
    with MockServer(app) as server:
        result = _replay(str(CASSETTES / "sms-api.yaml"), "--base-url", server.url)
    assert result.exit_code == 1
    leak = "(CreateInteraction) 200 -> 200: secret: now leaks the value of $TWILIO_AUTH_TOKEN in the response body"
    assert any(leak in line for line in _lines(result, "#0 POST"))
    assert DEFAULT_AUTH_TOKEN not in result.output


def test_a_shipped_cassette_shows_an_update_that_did_not_take() -> None:
    """The shipped scenarios fetch the interaction again at the end: a server that ignores updates
    answers that fetch without the WebhookTtid the recording shows."""
    shipped = Path(__file__).resolve().parent.parent / "cassettes" / "sms-api.yaml"
    with MockServer(faults=["ignored-updates"]) as server:
        result = _replay(str(shipped), "--base-url", server.url)
    assert result.exit_code == 1, result.output
    assert "(FetchInteraction)" in result.output and "/webhook_ttid" in result.output
