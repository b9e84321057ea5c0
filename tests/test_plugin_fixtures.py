"""The plugin's overridable fixtures and the `contract(operation)` marker, through pytester."""

from __future__ import annotations

import textwrap

import pytest
import schemathesis.engine  # noqa: F401
import twilio.rest  # noqa: F401
import vcr  # noqa: F401

import contract_kit.cassettes
import contract_kit.run.engine
import contract_kit.strategies
import contract_kit.twilio_client  # noqa: F401
from contract_kit.mock import DEFAULT_AUTH_TOKEN

# Imported above so that every in-process pytester run shares one copy of them (see test_plugin.py).

CREATE = """
PAYLOAD = {
    "channel": {"type": "sms", "initiated_by": "api", "properties": {}},
    "routing": {"properties": {"workspace_sid": "WS" + "1" * 32}},
}
"""


def _with_payload(body: str) -> str:
    return CREATE + textwrap.dedent(body)


LIFE = _with_payload(
    """
import pytest

@pytest.mark.flex_cassette
def test_life(flex_client):
    created = flex_client.flex_api.v1.interaction.create(**PAYLOAD)
    assert flex_client.flex_api.v1.interaction(created.sid).fetch().sid == created.sid

@pytest.mark.flex_cassette("shared/named")
def test_named(flex_client):
    flex_client.flex_api.v1.interaction.create(**PAYLOAD)
"""
)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_API_KEY", "TWILIO_API_SECRET"):
        monkeypatch.delenv(name, raising=False)


def test_fixtures_and_options_are_documented(pytester: pytest.Pytester) -> None:
    fixtures = pytester.runpytest("--fixtures").stdout.str()
    for name in ("flex_vcr_config", "flex_cassette_dir", "flex_cassette_name", "flex_cassette", "flex_validate"):
        assert f"{name} -- " in fixtures or f"{name} [" in fixtures, name
    helped = pytester.runpytest("--help").stdout.str()
    assert "--flex-unused-cassettes={off,warn,fail}" in helped and "--flex-coverage-report=PATH" in helped


def test_a_conftest_overrides_the_cassette_dir_and_name(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture(scope="module")
        def flex_cassette_dir(request):
            return request.path.parent / "recorded" / request.path.stem

        @pytest.fixture
        def flex_cassette_name(request):
            return request.node.name + "-v2"
        """
    )
    pytester.makepyfile(test_flow=LIFE)
    pytester.runpytest("--flex-record-mode=once").assert_outcomes(passed=2)
    recorded = sorted(str(p.relative_to(pytester.path)) for p in pytester.path.rglob("*.yaml"))
    assert recorded == ["recorded/test_flow/shared/named.yaml", "recorded/test_flow/test_life-v2.yaml"]
    pytester.runpytest().assert_outcomes(passed=2)  # and they replay from there


def test_flex_vcr_config_is_merged_into_flex_vcrs_options(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import pytest

        def tag(response):
            response["headers"]["X-Recorded-By"] = ["conftest"]
            return response

        @pytest.fixture(scope="session")
        def flex_vcr_config():
            return {"record_mode": "once", "before_record_response": tag, "allow_playback_repeats": True}
        """
    )
    pytester.makepyfile(test_flow=LIFE)
    pytester.runpytest().assert_outcomes(passed=2)  # record_mode from the config: no --flex-record-mode
    cassette = pytester.path / "cassettes" / "test_flow" / "test_life.yaml"
    text = cassette.read_text(encoding="utf-8")
    assert "X-Recorded-By" in text and "conftest" in text
    assert "authorization" not in text.lower() and DEFAULT_AUTH_TOKEN not in text  # the scrubber still runs last
    # allow_playback_repeats reaches the cassette: a second fetch replays the one recorded
    pytester.makepyfile(
        test_flow=LIFE.replace(
            ".fetch().sid", ".fetch().sid and flex_client.flex_api.v1.interaction(created.sid).fetch().sid"
        )
    )
    pytester.runpytest("--flex-record-mode=none").assert_outcomes(passed=2)
    assert cassette.read_text(encoding="utf-8") == text
    # the command line still wins over the config: `none` with a cassette missing fails
    cassette.unlink()
    pytester.runpytest("--flex-record-mode=none").assert_outcomes(passed=1, errors=1)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ('{"serializer": "json"}', "*flex_vcr_config: 'serializer' is set by contract-kit: cassettes are YAML*"),
        ('{"cassette_library_dir": "x"}', "*override the flex_cassette_dir fixture instead*"),
        ('{"no_such_option": 1}', "*flex_vcr_config: *no_such_option*"),
        ('["record_mode", "once"]', "*flex_vcr_config must return a dict of vcrpy options, not list*"),
    ],
)
def test_flex_vcr_config_options_contract_kit_sets_or_vcrpy_lacks_are_refused(
    pytester: pytest.Pytester, config: str, message: str
) -> None:
    pytester.makeconftest(
        f"""
        import pytest

        @pytest.fixture
        def flex_vcr_config():
            return {config}
        """
    )
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.flex_cassette(record_mode="once")
        def test_it():
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([message])


MARKED = _with_payload(
    """
import pytest

@pytest.mark.contract(OPERATIONS)
@pytest.mark.flex_cassette(record_mode="once")
def test_create_then_fetch(flex_client):
    created = flex_client.flex_api.v1.interaction.create(**PAYLOAD)
    flex_client.flex_api.v1.interaction(created.sid).fetch()
"""
)


def test_contract_marker_fails_a_test_whose_traffic_reaches_another_operation(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_marked=MARKED.replace("OPERATIONS", '"CreateInteraction"'))
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*recorded traffic goes beyond the test's contract marker:*",
            "*test_create_then_fetch.yaml#1 GET /v1/Interactions/KD* -> 200: "
            "test marked contract('CreateInteraction') sent FetchInteraction*",
        ]
    )
    assert "#0 POST" not in result.stdout.str()


def test_contract_marker_naming_every_operation_sent_passes(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_marked=MARKED.replace("OPERATIONS", '"CreateInteraction", "FetchInteraction"'))
    pytester.runpytest().assert_outcomes(passed=1)


def test_contract_marker_with_an_unknown_operation_is_an_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.contract("CreateInteractions")
        def test_typo():
            pass

        @pytest.mark.contract()
        def test_nothing():
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        [
            "*@pytest.mark.contract('CreateInteractions'): no such operation; the contract has: *CreateInteraction,*",
            "*@pytest.mark.contract names no operation*",
        ]
    )


def test_flex_validate_defaults_to_the_marked_operation(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.contract("UpdateInteractionChannel")
        def test_marked(flex_validate):
            report = flex_validate("Status=closed")
            assert report.operation == "UpdateInteractionChannel" and report.valid
            assert flex_validate({"channel": {}}, "CreateInteraction").operation == "CreateInteraction"

        @pytest.mark.contract("CreateInteraction")
        class TestClass:
            def test_inherited(self, flex_validate):
                assert flex_validate({"channel": {}}).operation == "CreateInteraction"

        def test_unmarked(flex_validate):
            assert flex_validate({"channel": {}}).operation == "CreateInteraction"
        """
    )
    pytester.runpytest().assert_outcomes(passed=3)


def test_flex_scrub_pii_keeps_customer_data_out_of_the_cassette(pytester: pytest.Pytester) -> None:
    """`--flex-scrub-pii` (or `flex_vcr_config` returning `{"scrub_pii": True}`): the customer's
    number is a fake in the cassette, and the test replays against it."""
    pytester.makepyfile(
        test_pii="""
        import pytest

        PAYLOAD = {
            "channel": {"type": "sms", "initiated_by": "api", "properties": {},
                        "participants": [{"address": "+14155550123", "proxy_address": "+15555550100"}]},
            "routing": {"properties": {"workspace_sid": "WS" + "1" * 32}},
        }

        @pytest.mark.flex_cassette(record_mode="once")
        def test_create(flex_client):
            created = flex_client.flex_api.v1.interaction.create(**PAYLOAD)
            assert created.sid.startswith("KD")
        """
    )
    pytester.runpytest("--flex-scrub-pii").assert_outcomes(passed=1)
    text = "".join(p.read_text() for p in (pytester.path / "cassettes").rglob("*.yaml"))
    assert "4155550123" not in text and "+1555" in text
    pytester.runpytest("--flex-scrub-pii", "--flex-record-mode=none").assert_outcomes(passed=1)
