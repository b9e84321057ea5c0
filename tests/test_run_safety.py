"""Against a non-loopback target: bounded valid writes, everything created is closed afterwards."""

from __future__ import annotations

from contract_kit.mock import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, MockServer
from contract_kit.run import RunOptions, Target, run_suite
from contract_kit.run.target import Credentials, is_loopback


def test_loopback_detection() -> None:
    assert is_loopback("http://127.0.0.1:8080") and is_loopback("http://localhost:1")
    assert not is_loopback("https://flex-api.twilio.com") and not is_loopback("https://10.0.0.8")


def test_live_target_gets_bounded_writes_and_clean_up() -> None:
    credentials = Credentials(DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, DEFAULT_ACCOUNT_SID,
                              "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN")
    with MockServer() as server:
        # the mock, treated as if it were a live account (loopback=False)
        target = Target(server.url, credentials, loopback=False, secrets=(DEFAULT_AUTH_TOKEN,))
        result = run_suite(RunOptions(base_url=server.url, seed=4, max_writes=3), target=target)
        store = server.app.state.mock.store
        created = store.count(DEFAULT_ACCOUNT_SID)
    accepted_writes = [f for f in result.created]
    assert len(accepted_writes) <= 3
    assert created <= 3
    assert result.findings == [], [f.message for f in result.findings[:3]]
    assert any("write budget" in note for note in result.notes)
    assert result.cleanup[-1].endswith("0 failed")
    # every negative case was still sent
    assert result.rules["customer.media_channel_sid"] == "pass"
