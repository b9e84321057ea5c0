"""The pytest plugin as users meet it: through pytester, in a user's own test files."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis.engine  # noqa: F401
import twilio.rest  # noqa: F401
import vcr  # noqa: F401

import contract_kit.cassettes
import contract_kit.run.engine
import contract_kit.twilio_client  # noqa: F401
from contract_kit.mock import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, MockServer

# Imported above so that every in-process pytester run shares one copy of them: pytester forgets
# the modules a run imported first, and a second copy of vcrpy's YAML dumper cannot save cassettes,
# nor a second copy of Schemathesis' hook modules reach the hooks a later `run` registers.

CREATE = """
PAYLOAD = {
    "channel": {"type": "sms", "initiated_by": "api", "properties": {}},
    "routing": {"properties": {"workspace_sid": "WS" + "1" * 32}},
}
"""


def _with_payload(body: str) -> str:
    return CREATE + textwrap.dedent(body)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_API_KEY", "TWILIO_API_SECRET"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def outer_mock() -> Iterator[MockServer]:
    """A mock started by this module, for --flex-base-url."""
    with MockServer() as server:
        yield server


def test_options_and_markers_are_registered(pytester: pytest.Pytester) -> None:
    helped = pytester.runpytest("--help")
    text = helped.stdout.str()
    assert "contract-kit: Twilio Flex Interactions contract" in text
    for option in ("--flex-base-url=URL", "--flex-record-mode", "--flex-cassette-dir=DIR", "--flex-strict"):
        assert option in text
    markers = pytester.runpytest("--markers").stdout.str()
    assert "@pytest.mark.contract(operation)" in markers and "@pytest.mark.flex_cassette(name=None" in markers


def test_options_parse(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_options(request):
            get = request.config.getoption
            assert get("flex_record_mode") == "new_episodes"
            assert get("flex_cassette_dir") == "recorded"
            assert get("flex_base_url") == "https://flex.example.test"
        """
    )
    result = pytester.runpytest(
        "--flex-record-mode=new_episodes", "--flex-cassette-dir=recorded", "--flex-base-url=https://flex.example.test"
    )
    result.assert_outcomes(passed=1)
    wrong = pytester.runpytest("--flex-record-mode=sometimes")
    assert wrong.ret == pytest.ExitCode.USAGE_ERROR
    assert "invalid choice: 'sometimes'" in wrong.stderr.str()


def test_contract_and_validate_fixtures(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        seen = []

        @pytest.mark.contract("CreateInteraction")
        def test_validate(flex_validate, flex_contract):
            seen.append(flex_contract)
            report = flex_validate({"channel": {"type": "sms", "initiated_by": "customer"}})
            assert not report.valid
            assert "customer.media_channel_sid" in report.rule_ids
            assert flex_validate("Status=closed", "UpdateInteractionChannel").valid

        def test_contract_is_per_session(flex_contract):
            assert seen == [flex_contract]
            assert flex_contract.operation("CreateInteraction").method == "POST"
        """
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=2)


def test_mock_and_client_fixtures(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWILIO_REGION", "au1")  # would send the client to Sydney: ignored
    monkeypatch.setenv("TWILIO_EDGE", "sydney")
    pytester.makepyfile(
        _with_payload(
            """
        def test_create_on_the_mock(flex_client, flex_mock):
            assert flex_mock.url.startswith("http://127.0.0.1:")
            assert flex_client.flex_api.base_url == flex_mock.url
            created = flex_client.flex_api.v1.interaction.create(**PAYLOAD)
            assert created.sid.startswith("KD") and created.url.startswith(flex_mock.url)

        def test_the_mock_is_shared_by_the_session(flex_client, flex_mock):
            assert flex_mock.app.state.mock.store.count() == 1
        """
        )
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=2)


def test_client_at_a_base_url_with_env_credentials(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, outer_mock: MockServer
) -> None:
    pytester.makepyfile(
        _with_payload(
            """
        def test_create_there(flex_client, request):
            assert flex_client.flex_api.base_url == request.config.getoption("flex_base_url")
            assert flex_client.flex_api.v1.interaction.create(**PAYLOAD).sid.startswith("KD")
        """
        )
    )
    missing = pytester.runpytest(f"--flex-base-url={outer_mock.url}")
    missing.assert_outcomes(errors=1)
    missing.stdout.fnmatch_lines(["*flex_client with --flex-base-url: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN*"])
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", DEFAULT_ACCOUNT_SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", DEFAULT_AUTH_TOKEN)
    pytester.runpytest(f"--flex-base-url={outer_mock.url}").assert_outcomes(passed=1)
    assert outer_mock.app.state.mock.store.count(DEFAULT_ACCOUNT_SID) >= 1


CASSETTE_TEST = _with_payload(
    """
import pytest

@pytest.mark.flex_cassette
def test_life(flex_client, flex_cassette):
    created = flex_client.flex_api.v1.interaction.create(**PAYLOAD)
    fetched = flex_client.flex_api.v1.interaction(created.sid).fetch()
    assert fetched.sid == created.sid
    assert len(flex_cassette.data) == 2

def test_unmarked(flex_cassette):
    assert flex_cassette is None
"""
)


def test_marker_records_then_replays_without_a_server(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_flow=CASSETTE_TEST)
    missing = pytester.runpytest()
    missing.assert_outcomes(passed=1, errors=1)
    missing.stdout.fnmatch_lines(
        ["*no cassette *test_life.yaml (record mode 'none' only replays)*--flex-record-mode=once*"]
    )

    pytester.runpytest("--flex-record-mode=once").assert_outcomes(passed=2)
    cassette = pytester.path / "cassettes" / "test_flow" / "test_life.yaml"
    text = cassette.read_text(encoding="utf-8")
    assert text.count("method: POST") == 1 and text.count("method: GET") == 1
    assert "authorization" not in text.lower() and DEFAULT_AUTH_TOKEN not in text

    # replay: nothing listens on the discard port, the default record mode is none
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", DEFAULT_ACCOUNT_SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "not-the-recorded-token")
    pytester.runpytest("--flex-base-url=http://127.0.0.1:9").assert_outcomes(passed=2)
    assert cassette.read_text(encoding="utf-8") == text


def test_cassette_dir_option_and_marker_name(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_named=_with_payload(
            """
        import pytest

        @pytest.mark.flex_cassette("shared/create", record_mode="once")
        def test_named(flex_client):
            flex_client.flex_api.v1.interaction.create(**PAYLOAD)
        """
        )
    )
    pytester.runpytest("--flex-cassette-dir=recorded").assert_outcomes(passed=1)
    assert (pytester.path / "recorded" / "shared" / "create.yaml").is_file()


BREAKING_TEST = """
import pytest
from twilio.base.exceptions import TwilioRestException

@pytest.mark.flex_cassette(record_mode="once"{extra})
def test_careless(flex_client):
    channel = {{"type": "sms", "initiated_by": "customer", "properties": {{}}}}
    routing = {{"properties": {{"workspace_sid": "WS" + "1" * 32}}}}
    with pytest.raises(TwilioRestException):  # the code under test swallows the 400
        flex_client.flex_api.v1.interaction.create(channel=channel, routing=routing)
"""


def test_a_contract_breaking_request_fails_the_test_with_the_rule(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_breaking=BREAKING_TEST.format(extra=""))
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*recorded traffic breaks the Flex Interactions contract:*",
            "*#0 POST /v1/Interactions (CreateInteraction) -> 400: invalid-request: *"
            "[[]customer.media_channel_sid[]] /Channel/properties/media_channel_sid*",
        ]
    )
    # replaying the recorded cassette fails the same way
    pytester.runpytest().assert_outcomes(failed=1)


def test_allow_invalid_requests_accepts_rightly_rejected_ones(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_breaking=BREAKING_TEST.format(extra=", allow_invalid_requests=True"))
    pytester.runpytest().assert_outcomes(passed=1)


def test_our_stricter_readings_fail_a_recording_only_with_flex_strict(pytester: pytest.Pytester) -> None:
    """A queue_sid off its pattern outside agent-initiated cells breaks only a reading of ours
    (basis `ours`): a lenient server accepts it, and the test passes unless --flex-strict."""
    pytester.makeconftest(
        """
        import pytest
        from contract_kit.mock import MockServer

        @pytest.fixture(scope="session")
        def flex_mock():
            with MockServer(lenient=True) as server:
                yield server
        """
    )
    pytester.makepyfile(
        test_queue=_with_payload(
            """
            import pytest

            @pytest.mark.flex_cassette(record_mode="once")
            def test_queue_sid(flex_client):
                PAYLOAD["routing"]["properties"]["queue_sid"] = "my-queue"
                created = flex_client.flex_api.v1.interaction.create(**PAYLOAD)
                assert created.sid.startswith("KD")
            """
        )
    )
    pytester.runpytest().assert_outcomes(passed=1)
    strict = pytester.runpytest("--flex-strict")
    strict.assert_outcomes(failed=1)
    strict.stdout.fnmatch_lines(["*invalid-request: *[[]routing.queue_sid[]] /Routing/properties/queue_sid*"])


def test_an_invalid_request_accepted_by_a_faulty_server_fails_even_when_allowed(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import pytest
        from contract_kit.mock import MockServer

        @pytest.fixture(scope="session")
        def flex_mock():
            with MockServer(faults=["accept-rule:customer.media_channel_sid"]) as server:
                yield server
        """
    )
    pytester.makepyfile(
        test_faulty="""
        import pytest

        @pytest.mark.flex_cassette(record_mode="once", allow_invalid_requests=True)
        def test_accepted(flex_client):
            channel = {"type": "sms", "initiated_by": "customer", "properties": {}}
            routing = {"properties": {"workspace_sid": "WS" + "1" * 32}}
            flex_client.flex_api.v1.interaction.create(channel=channel, routing=routing)
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*-> 200: accepted-invalid: answered 200 to a request that breaks the contract*"])


def test_vcr_marker_of_pytest_recording_is_refused_beside_flex_cassette(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        def pytest_configure(config):
            config.addinivalue_line("markers", "vcr: pytest-recording's marker")
        """
    )
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.vcr
        @pytest.mark.flex_cassette(record_mode="once")
        def test_both():
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*cannot be marked both flex_cassette and vcr (pytest-recording)*"])


def test_xdist_workers_each_get_their_own_mock(pytester: pytest.Pytester) -> None:
    for name in ("test_one", "test_two"):
        pytester.makepyfile(
            **{
                name: _with_payload(
                    """
                import os
                import pytest

                @pytest.mark.flex_cassette(record_mode="once")
                def test_create(flex_client, flex_mock):
                    assert flex_client.flex_api.v1.interaction.create(**PAYLOAD).sid.startswith("KD")
                    print("worker", os.environ.get("PYTEST_XDIST_WORKER"), flex_mock.url)
                """
                )
            }
        )
    result = pytester.runpytest_subprocess("-n", "2", "-p", "xdist")
    result.assert_outcomes(passed=2)
    assert sorted(p.name for p in Path(pytester.path, "cassettes").rglob("*.yaml")) == ["test_create.yaml"] * 2
