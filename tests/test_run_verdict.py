"""`run` judges every request with the one verdict (`validate.validate_request`): a server fails on
what the vendor states; what only our stricter readings forbid (basis `ours`) may be accepted (a
note) or rejected with 400, and both conform."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import replace
from typing import Any

import pytest
from mock_support import ResponseRecorder

from contract_kit.contract import default_contract
from contract_kit.mock import create_app
from contract_kit.run import RunOptions, RunResult, run_suite
from contract_kit.run.checks import STRICTER_NOTE, CheckEnv, contract_verdict, verdict
from contract_kit.run.client import Client
from contract_kit.run.preflight import made_up_path
from contract_kit.run.report import Exchange
from contract_kit.run.safety import Ledger, WriteBudget
from contract_kit.run.sender import setup_plan
from contract_kit.run.split import PhaseOutcome
from contract_kit.run.target import embedded_target
from contract_kit.run.targeted import STRICTER_ACCEPTED, Targeted, setup_writes

FORM = "application/x-www-form-urlencoded"
KD = "KD" + "a" * 32
UO = "UO" + "b" * 32
VENDOR_400 = json.dumps({"code": 20001, "message": "Invalid parameter", "status": 400,
                         "more_info": "https://www.twilio.com/docs/errors/20001"}).encode()

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
App = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]]


def _exchange(operation: str, body: bytes, status: int, *, path: str = f"/v1/Interactions/{KD}",
              response: bytes = b"{}", content_type: str = FORM) -> Exchange:
    return Exchange(
        operation=operation, method="POST", url="http://mock.invalid" + path,
        request_headers={"Content-Type": content_type}, request_body=body, status=status,
        response_headers={"Content-Type": "application/json"}, response_body=response, resources_exist=True,
        origin="targeted",
    )


# -- contract_verdict on hand-built exchanges -----------------------------------------------------
def test_verdict_is_validate_request_on_the_request_as_it_travelled() -> None:
    env = CheckEnv(default_contract())
    report = verdict(env, _exchange("UpdateInteraction", b"WebhookTtid=a&WebhookTtid=b", 200))
    assert report is not None and report.valid and not report.errors
    assert [(v.rule, v.pointer) for v in report.stricter] == [("request.duplicate_field", "/WebhookTtid")]
    # the Content-Type header travels into the verdict too (our reading: request.content_type)
    sent_as_text = verdict(env, _exchange("UpdateInteraction", b"WebhookTtid=a", 200, content_type="text/plain"))
    assert sent_as_text is not None and {v.rule for v in sent_as_text.stricter} == {"request.content_type"}
    # a list is judged by its query string; an operation without body or query has no verdict
    listed = replace(_exchange("ListInteractionChannel", b"", 200, path=f"/v1/Interactions/{KD}/Channels"),
                     method="GET", url=f"http://mock.invalid/v1/Interactions/{KD}/Channels?PageSize=0")
    listed_report = verdict(env, listed)
    assert listed_report is not None and {v.rule for v in listed_report.errors} == {"list.page_size"}
    fetched = replace(_exchange("FetchInteraction", b"", 200), method="GET")
    assert verdict(env, fetched) is None


def test_stricter_only_request_accepted_is_no_finding_but_a_note() -> None:
    env = CheckEnv(default_contract())
    assert contract_verdict(env, _exchange("UpdateInteraction", b"WebhookTtid=a&WebhookTtid=b", 200)) == []
    assert env.stricter_accepted == {"request.duplicate_field"}
    assert env.note_texts() == [
        f"{STRICTER_NOTE}: request.duplicate_field at /WebhookTtid (UpdateInteraction); "
        "a server may accept it or reject it with 400, both conform"
    ]


def test_stricter_only_request_rejected_with_a_vendor_error_is_no_finding() -> None:
    env = CheckEnv(default_contract())
    exchange = _exchange("UpdateInteraction", b"WebhookTtid=a&WebhookTtid=b", 400, response=VENDOR_400)
    assert env.evaluate(exchange) == []  # every check: contract_verdict, error_body, ...
    assert env.notes == {} and env.stricter_accepted == set()
    assert env.rules_seen_rejected == {"request.duplicate_field"}


def test_stricter_only_request_answered_otherwise_is_a_finding() -> None:
    env = CheckEnv(default_contract())
    found = contract_verdict(env, _exchange("UpdateInteraction", b"\xff\xfe=\xff", 403, response=VENDOR_400))
    assert [f.check for f in found] == ["contract_verdict"]
    assert "expected 2xx (accepted) or 400" in found[0].message
    assert found[0].rule in {"request.encoding", "request.unknown_field"}
    # a 5xx is no_server_error's to report, not the verdict's
    assert contract_verdict(env, _exchange("UpdateInteraction", b"\xff\xfe=\xff", 500)) == []


def test_vendor_rule_broken_and_accepted_is_a_finding() -> None:
    env = CheckEnv(default_contract())
    path = f"/v1/Interactions/{KD}/Channels/{UO}"
    found = contract_verdict(env, _exchange("UpdateInteractionChannel", b"Status=bogus", 200, path=path))
    assert [(f.check, f.rule) for f in found] == [("contract_verdict", "channel_update.status")]
    assert "expected 400" in found[0].message
    # with our stricter readings broken as well, the vendor's rule still decides
    both = contract_verdict(env, _exchange("UpdateInteractionChannel", b"Status=bogus&Nope=1", 200, path=path))
    assert [(f.check, f.rule) for f in both] == [("contract_verdict", "channel_update.status")]
    assert env.notes == {}  # nothing of ours was "accepted": the request was invalid


def test_valid_request_still_demands_2xx() -> None:
    env = CheckEnv(default_contract())
    assert contract_verdict(env, _exchange("UpdateInteraction", b"WebhookTtid=a", 200)) == []
    found = contract_verdict(env, _exchange("UpdateInteraction", b"WebhookTtid=a", 400, response=VENDOR_400))
    assert [f.check for f in found] == ["contract_verdict"] and "expected 2xx" in found[0].message


def test_one_note_per_rule_whatever_the_order_or_thread() -> None:
    bodies = [f"WebhookTtid=a&WebhookTtid=b&X{i}=1&X{i}=2".encode() for i in range(40)]
    texts = []
    for order in (bodies, bodies[::-1]):
        env = CheckEnv(default_contract())
        threads = [threading.Thread(target=contract_verdict, args=(env, _exchange("UpdateInteraction", b, 200)))
                   for b in order]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        notes = env.note_texts()
        assert len([n for n in notes if "request.duplicate_field" in n]) == 1
        assert len([n for n in notes if "request.unknown_field" in n]) == 1
        texts.append(notes)
    assert texts[0] == texts[1]  # the same notes whichever request came first


def test_notes_and_accepted_rules_survive_the_workers_split() -> None:
    """What a forked child's checks noted reaches the parent's report (`split.PhaseOutcome`)."""
    contract = default_contract()
    child = CheckEnv(contract)
    contract_verdict(child, _exchange("UpdateInteraction", b"WebhookTtid=a&WebhookTtid=b", 200))
    child.note("schemathesis (POST /x): something")
    outcome = PhaseOutcome.of(child, Ledger(), [])
    parent = CheckEnv(contract)
    parent.note("schemathesis (POST /x): something")
    outcome.merge_into(parent, Ledger())
    assert parent.note_texts() == child.note_texts()
    assert parent.stricter_accepted == {"request.duplicate_field"}


# -- whole runs -----------------------------------------------------------------------------------
def _run(lenient: bool, **options: Any) -> tuple[RunResult, ResponseRecorder]:
    recorder = ResponseRecorder(create_app(lenient=lenient))
    target = replace(embedded_target(()), app=recorder)
    return run_suite(RunOptions(seed=1, **options), target=target), recorder


def _sent(recorder: ResponseRecorder, body: bytes) -> list[int]:
    """The statuses UpdateInteraction answered to `body`."""
    return [seen.status for seen in recorder.seen if seen.method == "POST" and seen.request_body == body
            and re.fullmatch(r"/v1/Interactions/KD[0-9a-f]{32}", seen.path)]


def test_lenient_mock_passes_update_interaction_and_notes_what_it_accepts() -> None:
    """The targeted junk for UpdateInteraction (WebhookTtid sent twice, bytes that are not UTF-8)
    breaks only our stricter readings: the lenient mock accepts it, and that conforms."""
    result, recorder = _run(lenient=True, operation_ids=("UpdateInteraction",))
    assert result.exit_code == 0 and result.findings == [], [f.message for f in result.findings[:3]]
    assert _sent(recorder, b"WebhookTtid=a&WebhookTtid=b") == [200]
    assert _sent(recorder, b"\xff\xfe=\xff") == [200]
    stricter = [n for n in result.notes if n.startswith(STRICTER_NOTE)]
    assert any("request.duplicate_field at /WebhookTtid (UpdateInteraction)" in n for n in stricter), result.notes
    assert any("request.encoding" in n for n in stricter), result.notes
    assert len(stricter) == len({n.split(": ")[1].split(" at ")[0] for n in stricter})  # one per rule
    assert result.rules["request.duplicate_field"] == STRICTER_ACCEPTED
    assert result.rules["request.encoding"] == STRICTER_ACCEPTED


def test_strict_mock_passes_update_interaction_too() -> None:
    """The same requests rejected with the vendor's 400: conforming as well, and no note."""
    result, recorder = _run(lenient=False, operation_ids=("UpdateInteraction",))
    assert result.exit_code == 0 and result.findings == [], [f.message for f in result.findings[:3]]
    assert _sent(recorder, b"WebhookTtid=a&WebhookTtid=b") == [400]
    assert _sent(recorder, b"\xff\xfe=\xff") == [400]
    assert not [n for n in result.notes if n.startswith(STRICTER_NOTE)], result.notes
    assert result.rules["request.duplicate_field"] == "pass"
    assert result.rules["request.encoding"] == "pass"


@pytest.mark.parametrize("lenient", [True, False], ids=["lenient", "strict"])
def test_faithful_mock_conforms_lenient_or_strict(lenient: bool) -> None:
    result, _ = _run(lenient=lenient)
    assert result.exit_code == 0 and result.findings == [], [f"{f.check} {f.rule} {f.message}"
                                                             for f in result.findings[:5]]
    assert len(result.operations) == 14
    accepted = {r for r, v in result.rules.items() if v == STRICTER_ACCEPTED}
    assert all(default_contract().rules[r].stricter for r in accepted)
    assert bool(accepted) is lenient


# -- the set-up chain, from the document ------------------------------------------------------------
def test_full_setup_creates_every_resource_the_paths_name() -> None:
    """The SIDs the set-up keeps come from the creates' links and resource prefixes; with them every
    operation's path can be filled, and a full set-up sends exactly `setup_writes` valid writes (an
    interaction, two participants for the participant list's second page, a transfer)."""
    contract = default_contract()
    target = embedded_target(())
    client = Client(target)
    budget = WriteBudget(10)
    try:
        targeted = Targeted(client, CheckEnv(contract), budget, 1, frozenset(contract.operations))
        plan = setup_plan(contract, frozenset(contract.operations))
        assert plan[0].operation_id == "CreateInteraction"
        targeted.scenarios.setup()
    finally:
        client.close()
    assert budget.used == setup_writes(contract, frozenset(contract.operations)) == 4
    prefixes = {p for op in contract.operations.values() for _, p in op.path_sid_prefixes}
    prefixes |= {op.resource_prefix for op in plan if op.resource_prefix}
    assert set(targeted.resources.by_prefix) == prefixes
    for prefix, sid in targeted.resources.by_prefix.items():
        assert sid.startswith(prefix) and len(sid) == 34
    assert all(targeted.sender.ready(op) for op in contract.operations)
    assert targeted.env.findings == []


@pytest.mark.parametrize(
    ("selected", "expected"),
    [
        ({"FetchInteraction"}, ["CreateInteraction"]),
        ({"CreateInteraction"}, []),
        ({"ListInteractionChannelParticipant"}, ["CreateInteraction"]),
        ({"UpdateInteractionChannelParticipant"}, ["CreateInteraction", "CreateInteractionChannelParticipant"]),
        ({"FetchInteractionTransfer", "ListInteractionChannelInvite"},
         ["CreateInteraction", "CreateInteractionTransfer"]),
    ],
)
def test_setup_plan_is_what_the_selected_operations_need(selected: set[str], expected: list[str]) -> None:
    assert [op.operation_id for op in setup_plan(default_contract(), frozenset(selected))] == expected


SCOPE = ("CreateInteraction", "FetchInteraction", "UpdateInteraction", "ListInteractionChannel",
         "FetchInteractionChannel", "UpdateInteractionChannel")


def test_operation_ids_bound_everything_a_lenient_server_is_sent() -> None:
    """The measured case: six operations selected, a conforming lenient server. No request reaches
    another operation (set-up needs none here), the run exits 0, and the summary is about the six."""
    result, recorder = _run(lenient=True, operation_ids=SCOPE)
    assert result.exit_code == 0 and result.findings == [], [f"{f.check} {f.rule} {f.message}"
                                                             for f in result.findings[:5]]
    contract = default_contract()
    reached = {op.operation_id for seen in recorder.seen
               if (op := _operation_of(contract, seen.method, seen.path)) is not None}
    assert reached <= set(SCOPE) and {"CreateInteraction", "FetchInteraction"} <= reached
    assert set(result.operations) <= set(SCOPE)
    assert not [n for n in result.notes if n.startswith("set-up:")]
    judged_rules = {rule for rule, verdict in result.rules.items() if not verdict.startswith("n/a")}
    assert judged_rules and all(set(contract.rules[r].operations) & set(SCOPE) for r in result.rules)


def test_setup_for_an_unselected_parent_is_sent_named_and_not_checked() -> None:
    """Only UpdateInteractionChannelParticipant is selected: it needs an interaction and a
    participant; both creates are sent once, as set-up, named in the summary, and not judged."""
    result, recorder = _run(lenient=False, operation_ids=("UpdateInteractionChannelParticipant",))
    assert result.exit_code == 0, [f"{f.check} {f.message}" for f in result.findings[:5]]
    assert set(result.operations) == {"UpdateInteractionChannelParticipant"}
    contract = default_contract()
    preflight = made_up_path(contract.operation("FetchInteraction"))  # only writes selected: the first read
    assert [seen.path for seen in recorder.seen[:2]] == [preflight, preflight]  # with and without credentials
    reached = [op.operation_id for seen in recorder.seen[2:]
               if (op := _operation_of(contract, seen.method, seen.path)) is not None]
    assert set(reached) == {"CreateInteraction", "CreateInteractionChannelParticipant",
                            "UpdateInteractionChannelParticipant"}, reached
    assert reached.count("CreateInteraction") == 1 and reached.count("CreateInteractionChannelParticipant") == 1
    setup_notes = [n for n in result.notes if n.startswith("set-up:")]
    assert setup_notes == ["set-up: 2 request(s) to operations not selected, which the selected ones cannot do "
                           "without: CreateInteraction x1, CreateInteractionChannelParticipant x1 (not checked; "
                           "writes count against --max-writes off loopback)"]


def test_strict_run_demands_400_for_our_readings() -> None:
    """`run --strict`: what only our readings forbid must be rejected; the lenient server fails."""
    result, _ = _run(lenient=True, operation_ids=("UpdateInteraction",), strict=True)
    assert result.exit_code == 1
    assert {f.rule for f in result.findings} >= {"request.duplicate_field", "request.encoding"}
    strict_mock, _ = _run(lenient=False, operation_ids=("UpdateInteraction",), strict=True)
    assert strict_mock.exit_code == 0, [f"{f.check} {f.rule} {f.message}" for f in strict_mock.findings[:5]]


def _operation_of(contract: Any, method: str, path: str) -> Any:
    from contract_kit.routes import Routes

    return Routes(contract).match(method, path)


@pytest.mark.parametrize(("settle_timeout", "settles"), [(0.2, False), (5.0, True)])
def test_channel_settles_waits_a_bounded_configurable_time(settle_timeout: float, settles: bool) -> None:
    """A channel that leaves `setup` only after 1 s: waited for within --settle-timeout, reported after it."""
    recorder = ResponseRecorder(create_app(lenient=True, settle_delay=1.0))
    target = replace(embedded_target(()), app=recorder)
    options = RunOptions(seed=1, operation_ids=("FetchInteractionChannel",), settle_timeout=settle_timeout)
    result = run_suite(options, target=target)
    found = [f for f in result.findings if f.check == "channel_settles"]
    assert result.checks.get("channel_settles") == 1
    if settles:
        assert found == [] and result.exit_code == 0
    else:
        assert len(found) == 1 and f"still in `setup` {settle_timeout:g} s after creation" in found[0].message
        assert "--settle-timeout" in found[0].message


def test_a_default_run_against_the_lenient_mock_over_loopback_exits_0(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a user does: `contract-kit mock --lenient` in one terminal, `contract-kit run --base-url` in
    another (here the same server, `MockServer(lenient=True)`, on a loopback port)."""
    from contract_kit.mock import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, MockServer

    monkeypatch.setenv("TWILIO_ACCOUNT_SID", DEFAULT_ACCOUNT_SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", DEFAULT_AUTH_TOKEN)
    with MockServer(lenient=True) as server:
        result = run_suite(RunOptions(base_url=server.url, seed=1))
    assert result.exit_code == 0, [f"{f.check} {f.rule} {f.message}" for f in result.findings[:5]]
    assert len(result.operations) == 14
    assert any(n.startswith(STRICTER_NOTE) for n in result.notes)
