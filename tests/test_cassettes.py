"""Cassettes: the shipped regression suite replays with the vendor's client and no server, it is
clean against the contract, the checker reports what is wrong, and recording never keeps secrets."""

from __future__ import annotations

import base64
import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from contract_kit.cassettes import (
    FILTERED,
    Scrubber,
    check_cassette,
    check_cassettes,
    flex_vcr,
    load_cassette,
)
from contract_kit.cli import main
from contract_kit.contract import default_contract
from contract_kit.mock import DEFAULT_ACCOUNT_SID, Accounts, MockServer, Store
from contract_kit.routes import match_operation
from contract_kit.twilio_client import twilio_client

ROOT = Path(__file__).resolve().parent.parent
CASSETTES = ROOT / "cassettes"


def _load_record_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("contract_kit_cassettes_record", CASSETTES / "record.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


record = _load_record_script()


def _copy(name: str, tmp_path: Path, edit: Any) -> Path:
    """A copy of a shipped cassette with its interactions edited by `edit(list_of_interactions)`."""
    data = yaml.safe_load((CASSETTES / f"{name}.yaml").read_text(encoding="utf-8"))
    edit(data["interactions"])
    target = tmp_path / f"{name}.yaml"
    target.write_text(yaml.safe_dump(data), encoding="utf-8")
    return target


def _check(*args: str) -> Any:
    return CliRunner().invoke(main, ["cassettes", "check", *args])


# -- the shipped suite ----------------------------------------------------------------------------
def test_the_suite_has_a_cassette_per_cell_and_the_invalid_requests() -> None:
    shipped = sorted(p.stem for p in CASSETTES.glob("*.yaml"))
    assert shipped == sorted(record.NAMES) and len(shipped) == 7 * 3 + 1


@pytest.mark.parametrize("name", record.NAMES)
def test_shipped_cassette_replays_through_the_twilio_client(name: str) -> None:
    # no server runs: the client keeps Flex's own base URL, and record mode none refuses the network
    vcr = flex_vcr(CASSETTES, record_mode="none")
    with vcr.use_cassette(name) as cassette:
        result = record.run(twilio_client(None, DEFAULT_ACCOUNT_SID, "any-token-replays"), name)
    assert cassette.all_played and cassette.play_count == len(cassette)
    if name == record.INVALID:
        assert [(what, status) for what, status, _ in result] == [
            ("customer.media_channel_sid", 400),
            ("email.from", 400),
            ("routing.required", 400),
            ("channel_update.inactive_routing", 400),
            ("participant_create.type", 400),
            ("not found", 404),
        ]
    else:
        assert result["interaction"].startswith("KD") and result["invite"].startswith("KG")


def test_a_request_the_cassette_does_not_hold_fails_clearly() -> None:
    from vcr.errors import CannotOverwriteExistingCassetteException

    client = twilio_client(None, DEFAULT_ACCOUNT_SID, "any-token-replays")
    with (
        flex_vcr(CASSETTES, record_mode="none").use_cassette("sms-api"),
        pytest.raises(CannotOverwriteExistingCassetteException),
    ):
        client.flex_api.v1.interaction("KD" + "9" * 32).fetch()


def test_shipped_cassettes_check_clean() -> None:
    result = _check(str(CASSETTES))
    assert result.exit_code == 0, result.output
    assert "22 cassette(s), 217 interaction(s) checked: 0 problem(s)" in result.output
    reports = check_cassettes([CASSETTES])
    operations = {i.operation for r in reports for i in r.interactions}
    assert operations == {
        "CreateInteraction",
        "FetchInteraction",
        "UpdateInteraction",
        "ListInteractionChannel",
        "UpdateInteractionChannel",
        "CreateInteractionChannelParticipant",
        "UpdateInteractionChannelParticipant",
        "CreateInteractionChannelInvite",
        "ListInteractionChannelInvite",
    }
    # the invalid requests are recorded as they travelled, and the contract names their rules
    invalid = next(r for r in reports if r.source.endswith("invalid-requests.yaml"))
    rejected = {v.rule for i in invalid.interactions if i.status == 400 for v in i.violations}
    assert rejected >= {"customer.media_channel_sid", "email.from", "routing.required", "participant_create.type"}


def test_rerecording_gives_the_same_bytes(tmp_path: Path) -> None:
    written = record.record(tmp_path, ["email-agent", record.INVALID])
    for path in written:
        assert path.read_bytes() == (CASSETTES / path.name).read_bytes(), path.name


# -- the checker ----------------------------------------------------------------------------------
def _drop_media_channel_sid(interactions: list[dict[str, Any]]) -> None:
    request = interactions[0]["request"]
    assert request["method"] == "POST" and "media_channel_sid" in request["body"]
    request["body"] = re.sub(
        r"%2C\+%22properties%22%3A\+%7B%22media_channel_sid%22%3A\+%22CH[0-9a-f]{32}%22%7D", "", request["body"]
    )
    assert "media_channel_sid" not in request["body"]


def test_a_contract_breaking_request_answered_200_is_reported(tmp_path: Path) -> None:
    broken = _copy("sms-customer", tmp_path, _drop_media_channel_sid)
    report = check_cassette(broken)
    first = report.interactions[0]
    assert not report.ok and first.operation == "CreateInteraction" and first.status == 200
    assert [(p.kind, p.rule) for p in first.problems] == [("accepted-invalid", "customer.media_channel_sid")]
    assert all(i.ok for i in report.interactions[1:])
    result = _check(str(broken), "--format", "json")
    assert result.exit_code == 1
    found = json.loads(result.output)
    assert found["summary"]["problems"] == 1
    problem = found["cassettes"][0]["interactions"][0]["problems"][0]
    assert problem["rule"] == "customer.media_channel_sid" and problem["kind"] == "accepted-invalid"
    text = _check(str(broken))
    assert text.exit_code == 1 and "#0 POST /v1/Interactions (CreateInteraction) -> 200" in text.output
    assert "[customer.media_channel_sid] /Channel/properties/media_channel_sid" in text.output


def test_an_undeclared_status_and_a_bad_body_are_reported(tmp_path: Path) -> None:
    def edit(interactions: list[dict[str, Any]]) -> None:
        interactions[0]["response"]["status"]["code"] = 202
        body = json.loads(interactions[1]["response"]["body"]["string"])
        body["sid"] = "KD-not-a-sid"
        interactions[1]["response"]["body"]["string"] = json.dumps(body)

    report = check_cassette(_copy("chat-api", tmp_path, edit))
    first, second = report.interactions[:2]
    assert [p.kind for p in first.problems] == ["response"]
    assert "HTTP 202 is not a declared answer of CreateInteraction" in first.problems[0].message
    assert {p.kind for p in second.problems} == {"response"}
    assert all("response body at /sid" in p.message for p in second.problems)


def test_a_valid_request_answered_400_and_an_unknown_operation_are_reported(tmp_path: Path) -> None:
    def edit(interactions: list[dict[str, Any]]) -> None:
        interactions[0]["response"]["status"] = {"code": 400, "message": "Bad Request"}
        interactions[0]["response"]["body"]["string"] = json.dumps(
            {"code": 20001, "message": "no", "more_info": "https://www.twilio.com/docs/errors/20001", "status": 400}
        )
        interactions[1]["request"]["uri"] = "https://flex-api.twilio.com/v1/Nope"

    report = check_cassette(_copy("web-api", tmp_path, edit))
    assert [p.kind for p in report.interactions[0].problems] == ["rejected-valid"]
    assert [p.kind for p in report.interactions[1].problems] == ["unknown-operation"]


VENDOR_400 = {
    "code": 20001,
    "message": "Invalid parameter",
    "more_info": "https://www.twilio.com/docs/errors/20001",
    "status": 400,
}
UPDATE = 2  # the index of UpdateInteraction (WebhookTtid) in a cell's cassette
CLOSE = 8  # and of UpdateInteractionChannel (Status=closed)


def _answer_400(interaction: dict[str, Any]) -> None:
    interaction["response"]["status"] = {"code": 400, "message": "Bad Request"}
    interaction["response"]["body"]["string"] = json.dumps(VENDOR_400)


def _webhook_ttid_twice(status: int) -> Any:
    def edit(interactions: list[dict[str, Any]]) -> None:
        request = interactions[UPDATE]["request"]
        assert request["method"] == "POST" and request["body"].startswith("WebhookTtid=")
        request["body"] = "WebhookTtid=a&WebhookTtid=b"
        if status == 400:
            _answer_400(interactions[UPDATE])

    return edit


@pytest.mark.parametrize("status", [200, 400])
def test_a_field_sent_twice_may_be_accepted_or_rejected(tmp_path: Path, status: int) -> None:
    # the vendor says nothing of a field sent twice: our reading (basis ours) warns, and a server
    # that takes the last value (200) or refuses the request (400, its error body) both conform
    report = check_cassette(_copy("sms-api", tmp_path, _webhook_ttid_twice(status)))
    update = report.interactions[UPDATE]
    assert update.operation == "UpdateInteraction" and update.status == status
    assert report.ok, report.describe()
    assert [(v.rule, v.severity, v.basis) for v in update.violations] == [
        ("request.duplicate_field", "warning", "ours")
    ]
    # --strict-requests alone: the request breaks nothing the vendor states, so it is no problem
    assert check_cassette(tmp_path / "sms-api.yaml", strict_requests=True).ok
    # with --strict our readings are errors, and under --strict-requests the request itself is the problem
    strict = check_cassette(tmp_path / "sms-api.yaml", strict_requests=True, strict=True)
    assert [(p.kind, p.rule) for p in strict.interactions[UPDATE].problems] == [
        ("invalid-request", "request.duplicate_field")
    ]
    assert all(i.ok for i in strict.interactions if i.index != UPDATE)
    # --strict alone: a server may reject (or accept) what only our readings forbid
    assert [p.kind for p in check_cassette(tmp_path / "sms-api.yaml", strict=True).interactions[UPDATE].problems] == (
        [] if status == 400 else ["accepted-invalid"]
    )


def test_a_body_sent_as_another_content_type_and_rejected_conforms(tmp_path: Path) -> None:
    def edit(interactions: list[dict[str, Any]]) -> None:
        interactions[UPDATE]["request"]["headers"]["Content-Type"] = ["text/plain"]
        _answer_400(interactions[UPDATE])

    report = check_cassette(_copy("sms-api", tmp_path, edit))
    update = report.interactions[UPDATE]
    assert report.ok, report.describe()
    assert [v.rule for v in update.violations] == ["request.content_type"]
    assert "text/plain" in update.violations[0].message


def test_a_rule_breaking_update_answered_200_is_accepted_invalid(tmp_path: Path) -> None:
    def edit(interactions: list[dict[str, Any]]) -> None:
        request = interactions[CLOSE]["request"]
        assert request["body"] == "Status=closed"
        request["body"] = "Status=bogus"

    report = check_cassette(_copy("sms-api", tmp_path, edit))
    close = report.interactions[CLOSE]
    assert close.operation == "UpdateInteractionChannel" and close.status == 200
    assert [(p.kind, p.rule) for p in close.problems] == [("accepted-invalid", "channel_update.status")]
    assert all(i.ok for i in report.interactions if i.index != CLOSE)


def test_a_stricter_reading_does_not_excuse_a_valid_request_rejected(tmp_path: Path) -> None:
    # a 400 to a request breaking nothing at all is still the contract being looser than the server
    report = check_cassette(_copy("sms-api", tmp_path, lambda interactions: _answer_400(interactions[UPDATE])))
    assert [p.kind for p in report.interactions[UPDATE].problems] == ["rejected-valid"]


def test_strict_requests_reports_even_rightly_rejected_requests() -> None:
    lenient = check_cassette(CASSETTES / "invalid-requests.yaml")
    strict = check_cassette(CASSETTES / "invalid-requests.yaml", strict_requests=True)
    assert lenient.ok and not strict.ok
    assert {p.rule for _, p in strict.all_problems()} >= {"customer.media_channel_sid", "email.from"}
    assert {p.kind for _, p in strict.all_problems()} == {"invalid-request"}


def test_a_leaked_token_is_reported_without_being_printed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    token = "0123456789abcdef0123456789abcdef"
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", token)
    basic = base64.b64encode(f"{DEFAULT_ACCOUNT_SID}:{token}".encode()).decode()

    def edit(interactions: list[dict[str, Any]]) -> None:
        interactions[0]["request"]["headers"]["Authorization"] = [f"Basic {basic}"]
        interactions[2]["request"]["body"] = f"WebhookTtid={token}"

    leaky = _copy("gbm-api", tmp_path, edit)
    report = check_cassette(leaky)
    secrets = [(i.index if i else None, p.message) for i, p in report.all_problems() if p.kind == "secret"]
    assert (0, "header Authorization in the request") in secrets
    assert (2, "the value of $TWILIO_AUTH_TOKEN in the request body") in secrets
    result = _check(str(leaky))
    assert result.exit_code == 1 and token not in result.output and basic not in result.output


def test_a_secret_outside_the_interactions_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "meta.yaml"
    path.write_text((CASSETTES / "sms-api.yaml").read_text() + "metadata:\n  note: s3cr3t-value\n")
    report = check_cassette(path, secrets=["s3cr3t-value"])
    assert [(p.kind, p.message) for p in report.problems] == [("secret", "a known secret in the cassette file")]


def test_unreadable_cassettes_exit_2_and_the_others_are_still_checked(tmp_path: Path) -> None:
    (tmp_path / "junk.yaml").write_text("interactions: [1, 2\n")
    (tmp_path / "not-a-cassette.yml").write_text("just: text\n")
    broken = _copy("sms-customer", tmp_path, _drop_media_channel_sid)
    result = _check(str(tmp_path))
    assert result.exit_code == 2
    assert "junk.yaml: unreadable" in result.output and "not-a-cassette.yml: unreadable" in result.output
    assert f"{broken}#0" in result.output
    empty = tmp_path / "empty"
    empty.mkdir()
    assert _check(str(empty)).exit_code == 2


def _alias_bomb() -> str:
    """Nine nested levels of nine aliases: a few hundred bytes that would expand to 9**9 values."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    return "\n".join([*lines, "interactions: *a9", "version: 1", ""])


def test_an_alias_bomb_cassette_is_refused_as_unreadable(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(_alias_bomb(), encoding="utf-8")
    report = check_cassette(bomb)
    assert not report.readable and not report.ok
    assert report.error is not None and "alias" in report.error
    result = _check(str(bomb))
    assert result.exit_code == 2 and "bomb.yaml: unreadable" in result.output and "alias" in result.output


def test_vcrpy_python_tags_of_old_cassettes_still_load(tmp_path: Path) -> None:
    # older vcrpy wrote file-like request bodies as a BytesIO tag, which only vcrpy's loader builds
    text = (CASSETTES / "sms-api.yaml").read_text(encoding="utf-8")
    body = "WebhookTtid=flex_interactionwebhook_00000000000000000001"
    encoded = base64.b64encode(body.encode()).decode()
    tagged = f"!!python/object/new:_io.BytesIO {{state: !!python/tuple [!!binary {encoded}, 0, null]}}"
    assert f"body: {body}" in text
    old = tmp_path / "old.yaml"
    old.write_text(text.replace(f"body: {body}", f"body: {tagged}"), encoding="utf-8")
    _, pairs = load_cassette(old)
    assert pairs[UPDATE][0].body.getvalue() == body.encode()
    report = check_cassette(old)
    assert report.ok and report.interactions[UPDATE].operation == "UpdateInteraction"


# -- recording ------------------------------------------------------------------------------------
@pytest.mark.parametrize("credential", ["auth-token", "api-key"])
def test_recording_keeps_no_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, credential: str) -> None:
    account, token = "AC" + "5" * 32, "7f3c9a1e5b2d4f6a8c0e1b3d5f7a9c2e"
    key, key_secret = "SK" + "6" * 32, "Zq8-real-looking-api-secret-4Kp"
    accounts = Accounts()
    accounts.add_account(account, token)
    accounts.add_api_key(key, key_secret, account)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", token)
    monkeypatch.setenv("TWILIO_API_SECRET", key_secret)
    username, secret = (account, token) if credential == "auth-token" else (key, key_secret)
    with MockServer(accounts=accounts, store=Store(seed=1)) as server:
        client = twilio_client(server.url, username, secret, account)
        with flex_vcr(tmp_path, record_mode="once").use_cassette("leaky"):
            created = record.run_cell(client, "sms", "api")
            # a careless caller puts the secret in a body: the request and the echo are scrubbed
            client.flex_api.v1.interaction(created["interaction"]).update(webhook_ttid=secret)
    text = (tmp_path / "leaky.yaml").read_text(encoding="utf-8")
    assert secret not in text and base64.b64encode(f"{username}:{secret}".encode()).decode() not in text
    assert "authorization" not in text.lower() and text.count(FILTERED) == 2  # the update and its echo
    assert check_cassette(tmp_path / "leaky.yaml").ok
    # and it replays: the scrubbed body matches the scrubbed recording
    replay = twilio_client(None, username, secret, account)
    with flex_vcr(tmp_path, record_mode="none").use_cassette("leaky") as cassette:
        again = record.run_cell(replay, "sms", "api")
        replay.flex_api.v1.interaction(again["interaction"]).update(webhook_ttid=secret)
    assert again == created and cassette.all_played


def test_scrubber_removes_basic_credentials_userinfo_and_known_values() -> None:
    basic = base64.b64encode(b"ACx:tok").decode()
    scrubber = Scrubber(["known-secret"], from_env=False)
    text = f"Authorization: Basic {basic} at https://user:pw@example.com/ with known-secret"
    scrubbed = scrubber.scrub_text(text)
    assert basic not in scrubbed and "user:pw@" not in scrubbed and "known-secret" not in scrubbed
    assert scrubber.find(scrubbed, "x") == []
    # not secrets: a Basic realm, prose, and values too short to scrub
    assert (
        scrubber.scrub_text('Basic realm="Twilio API"; Basic authentication')
        == 'Basic realm="Twilio API"; Basic authentication'
    )
    assert Scrubber(["abc"], from_env=False).scrub_text("abc") == "abc"


def test_load_cassette_gives_vcrpy_requests_and_responses() -> None:
    text, pairs = load_cassette(CASSETTES / "sms-agent.yaml")
    request, response = pairs[0]
    assert text.startswith("interactions:") and request.method == "POST" and response["status"]["code"] == 200


def test_routes_derive_from_the_document_paths() -> None:
    contract = default_contract()
    for op in contract.operations.values():
        concrete = re.sub(r"\{[^}]+\}", "XX" + "0" * 32, op.path)
        assert match_operation(op.method, f"https://flex-api.twilio.com{concrete}?PageSize=5") is op
    assert match_operation("DELETE", "/v1/Interactions") is None
    assert match_operation("GET", "/v1/Interactions/KD1/Channels/UO1/Nope") is None
