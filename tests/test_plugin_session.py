"""The end of a session through pytester: contract coverage and unused cassettes, with and without xdist."""

from __future__ import annotations

import json
import shutil
import textwrap

import pytest
import schemathesis.engine  # noqa: F401
import twilio.rest  # noqa: F401
import vcr  # noqa: F401

import contract_kit.cassettes
import contract_kit.run.engine
import contract_kit.strategies
import contract_kit.twilio_client
from contract_kit.contract import default_contract

# Imported above so that every in-process pytester run shares one copy of them (see test_plugin.py).

CELLS = len(contract_kit.strategies.cells())
RULES = len(default_contract().rules)

FLOW = textwrap.dedent(
    """
    import pytest
    from twilio.base.exceptions import TwilioRestException

    ROUTING = {"properties": {"workspace_sid": "WS" + "1" * 32}}

    def channel(type, initiated_by):
        return {"type": type, "initiated_by": initiated_by, "properties": {}}

    @pytest.mark.flex_cassette
    def test_create(flex_client):
        flex_client.flex_api.v1.interaction.create(channel=channel("sms", "api"), routing=ROUTING)

    @pytest.mark.flex_cassette(allow_invalid_requests=True)
    def test_careless(flex_client):
        with pytest.raises(TwilioRestException):
            flex_client.flex_api.v1.interaction.create(channel=channel("sms", "customer"), routing=ROUTING)

    def test_validate(flex_validate):
        assert flex_validate({"channel": channel("web", "api"), "routing": ROUTING}).valid
        assert not flex_validate({"channel": channel("whatsapp", "agent"), "routing": ROUTING}).valid
    """
)
SUMMARY = f"contract-kit coverage: cells 2/{CELLS}, rules broken 3/{RULES} (4 requests judged)"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_API_KEY", "TWILIO_API_SECRET"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def recorded(pytester: pytest.Pytester) -> pytest.Pytester:
    """FLOW's cassettes recorded once (cassettes/test_flow/test_create.yaml, test_careless.yaml)."""
    pytester.makepyfile(test_flow=FLOW)
    pytester.runpytest("--flex-record-mode=once").assert_outcomes(passed=3)
    return pytester


# -- coverage ---------------------------------------------------------------------------------------
def test_coverage_of_recorded_traffic_and_flex_validate(recorded: pytest.Pytester) -> None:
    replayed = recorded.runpytest("--flex-coverage-report=reports/coverage.json")
    replayed.assert_outcomes(passed=3)
    replayed.stdout.fnmatch_lines([SUMMARY, "contract-kit coverage report: reports/coverage.json"])
    report = json.loads((recorded.path / "reports" / "coverage.json").read_text(encoding="utf-8"))
    assert report["requests"] == 4 and report["operations"] == {"CreateInteraction": 4}
    cells = report["cells"]
    assert (cells["total"], cells["sent_valid"], cells["dimensions"]) == (CELLS, 2, ["type", "initiated_by"])
    assert cells["covered"] == [
        {"type": "sms", "initiated_by": "api", "requests": 1},
        {"type": "web", "initiated_by": "api", "requests": 1},
    ]
    assert len(cells["missing"]) == CELLS - 2 and {"type": "sms", "initiated_by": "customer"} in cells["missing"]
    rules = report["rules"]
    assert (rules["total"], rules["broken"]) == (RULES, 3)
    assert [r["rule"] for r in rules["covered"]] == [
        "agent.participants",
        "customer.media_channel_sid",
        "routing.agent",
    ]
    assert len(rules["missing"]) == RULES - 3

    verbose = recorded.runpytest("-v")
    verbose.stdout.fnmatch_lines([SUMMARY, "  cells not sent valid: chat/agent, *", "  rules not broken: *"])


def test_coverage_is_quiet_without_flex_traffic_unless_a_report_is_asked_for(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_plain():\n    pass\n")
    quiet = pytester.runpytest()
    assert "contract-kit coverage" not in quiet.stdout.str() and "- contract-kit -" not in quiet.stdout.str()
    asked = pytester.runpytest("--flex-coverage-report=coverage.json")
    asked.stdout.fnmatch_lines([f"contract-kit coverage: cells 0/{CELLS}, rules broken 0/{RULES} (0 requests judged)"])
    assert json.loads((pytester.path / "coverage.json").read_text(encoding="utf-8"))["rules"]["total"] == RULES
    unwritable = pytester.runpytest("--flex-coverage-report=.")  # a directory
    assert unwritable.ret == pytest.ExitCode.TESTS_FAILED
    unwritable.stdout.fnmatch_lines(["contract-kit: cannot write the coverage report .: IsADirectoryError: *"])


def test_coverage_counts_the_interactions_a_replay_went_through(pytester: pytest.Pytester) -> None:
    test = """
        import pytest

        ROUTING = {"properties": {"workspace_sid": "WS" + "1" * 32}}

        @pytest.mark.flex_cassette
        def test_create(flex_client):
            for kind in TYPES:
                channel = {"type": kind, "initiated_by": "api", "properties": {}}
                flex_client.flex_api.v1.interaction.create(channel=channel, routing=ROUTING)
        """
    pytester.makepyfile(test_flow=textwrap.dedent(test).replace("TYPES", '("sms", "chat")'))
    pytester.runpytest("--flex-record-mode=once").stdout.fnmatch_lines(["*cells 2/*(2 requests judged)"])
    pytester.makepyfile(test_flow=textwrap.dedent(test).replace("TYPES", '("chat",)'))
    pytester.runpytest().stdout.fnmatch_lines(["*cells 1/*(1 request judged)"])


# -- unused cassettes -------------------------------------------------------------------------------
def _stale(pytester: pytest.Pytester) -> None:
    """A cassette left by a renamed test, and one by a deleted module."""
    cassettes = pytester.path / "cassettes"
    shutil.copy(cassettes / "test_flow" / "test_create.yaml", cassettes / "test_flow" / "test_renamed.yaml")
    (cassettes / "test_gone").mkdir()
    shutil.copy(cassettes / "test_flow" / "test_create.yaml", cassettes / "test_gone" / "test_old.yml")


def test_unused_cassettes_are_listed_with_warn_and_fail_the_session_with_fail(recorded: pytest.Pytester) -> None:
    clean = recorded.runpytest("--flex-unused-cassettes=fail")
    assert clean.ret == pytest.ExitCode.OK
    clean.stdout.fnmatch_lines(["contract-kit: every cassette under cassettes was used"])

    _stale(recorded)
    assert "cassettes/test_gone" not in recorded.runpytest().stdout.str()  # off by default
    listed = [
        "contract-kit: 2 cassettes under cassettes no test used*:",
        "  cassettes/test_flow/test_renamed.yaml",
        "  cassettes/test_gone/test_old.yml",
    ]
    warned = recorded.runpytest("--flex-unused-cassettes=warn")
    assert warned.ret == pytest.ExitCode.OK
    warned.stdout.fnmatch_lines(listed)
    failed = recorded.runpytest("--flex-unused-cassettes=fail")
    failed.assert_outcomes(passed=3)
    assert failed.ret == pytest.ExitCode.TESTS_FAILED
    failed.stdout.fnmatch_lines(["*(--flex-unused-cassettes=fail: the session fails; *", *listed[1:]])


def test_unused_cassettes_are_not_conclusive_when_flex_cassette_tests_did_not_run(recorded: pytest.Pytester) -> None:
    _stale(recorded)
    deselected = recorded.runpytest("--flex-unused-cassettes=fail", "-k", "not careless")
    assert deselected.ret == pytest.ExitCode.OK
    deselected.stdout.fnmatch_lines(
        [
            "contract-kit: 3 cassettes under cassettes no test used (not conclusive: 1 flex_cassette test was "
            "skipped, deselected or not reached, * the session does not fail for it):",
            "  cassettes/test_flow/test_careless.yaml",
        ]
    )
    recorded.makeconftest(
        """
        import pytest

        def pytest_collection_modifyitems(items):
            for item in items:
                if item.name == "test_careless":
                    item.add_marker(pytest.mark.skip(reason="not today"))
        """
    )
    skipped = recorded.runpytest("--flex-unused-cassettes=fail")
    assert skipped.ret == pytest.ExitCode.OK
    skipped.stdout.fnmatch_lines(["*(not conclusive: 1 flex_cassette test was skipped, *"])


def test_unused_cassettes_include_the_cassette_dir_option(pytester: pytest.Pytester) -> None:
    (pytester.path / "recorded" / "old").mkdir(parents=True)
    (pytester.path / "recorded" / "old" / "left.yaml").write_text("interactions: []\n", encoding="utf-8")
    pytester.makepyfile("def test_plain():\n    pass\n")
    result = pytester.runpytest("--flex-cassette-dir=recorded", "--flex-unused-cassettes=fail")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["contract-kit: 1 cassette under recorded no test used*", "  recorded/old/left.yaml"])
    alone = pytester.runpytest("--flex-unused-cassettes=warn")
    alone.stdout.fnmatch_lines(["contract-kit: no cassette directory to look for unused cassettes in *"])


# -- xdist ------------------------------------------------------------------------------------------
def test_coverage_and_unused_cassettes_are_aggregated_across_xdist_workers(recorded: pytest.Pytester) -> None:
    """Each worker runs some of the tests; the controller sees them all: no cassette a worker used is
    listed, and the coverage is the same as without xdist."""
    _stale(recorded)
    recorded.makeconftest(
        """
        import os
        import pytest

        @pytest.fixture(autouse=True)
        def _worker(request):
            with open("workers.txt", "a") as out:
                out.write(os.environ.get("PYTEST_XDIST_WORKER", "-") + "\\n")
        """
    )
    result = recorded.runpytest("-n", "2", "--flex-unused-cassettes=fail", "--flex-coverage-report=coverage.json")
    result.assert_outcomes(passed=3)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            SUMMARY,
            "contract-kit: 2 cassettes under cassettes no test used (--flex-unused-cassettes=fail*",
            "  cassettes/test_flow/test_renamed.yaml",
            "  cassettes/test_gone/test_old.yml",
        ]
    )
    assert set((recorded.path / "workers.txt").read_text().split()) == {"gw0", "gw1"}
    report = json.loads((recorded.path / "coverage.json").read_text(encoding="utf-8"))
    assert (report["requests"], report["cells"]["sent_valid"], report["rules"]["broken"]) == (4, 2, 3)
