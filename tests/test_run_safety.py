"""Against a non-loopback target: bounded valid writes, everything created is closed afterwards, and
Schemathesis' phases send the write operations negative cases only (the safety net)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from mock_support import ResponseRecorder, Seen

from contract_kit.contract import default_contract
from contract_kit.mock import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, MockServer, create_app
from contract_kit.run import RunOptions, RunResult, Target, run_suite
from contract_kit.run.target import Credentials, is_loopback
from contract_kit.run.targeted import setup_writes
from contract_kit.validate import validate_request


def _credentials() -> Credentials:
    return Credentials(DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, DEFAULT_ACCOUNT_SID,
                       "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN")


def _live_run(max_writes: int, seed: int) -> tuple[RunResult, list[Seen], int]:
    """The mock treated as if it were a live account (loopback=False), every request recorded."""
    recorder = ResponseRecorder(create_app())
    with MockServer(recorder) as server:  # type: ignore[arg-type]
        target = Target(server.url, _credentials(), loopback=False, secrets=(DEFAULT_AUTH_TOKEN,))
        result = run_suite(RunOptions(base_url=server.url, seed=seed, max_writes=max_writes), target=target)
        created = server.app.state.mock.store.count(DEFAULT_ACCOUNT_SID)
    return result, recorder.seen, created


def _accepted_writes(seen: list[Seen]) -> list[tuple[int, Seen]]:
    """(position, request) of every request to a write operation whose body the full contract accepts."""
    out = []
    for position, request in enumerate(seen):
        op = _operation(request)
        if op is None or op.method == "GET":
            continue
        if validate_request(op, body=request.request_body, content_type=op.media_type).valid:
            out.append((position, request))
    return out


def _operation(request: Seen) -> Any:
    contract = default_contract()
    for op in contract.operations.values():
        parts, template = request.path.strip("/").split("/"), op.path.strip("/").split("/")
        if op.method == request.method and len(parts) == len(template) and all(
            t.startswith("{") or t == p for t, p in zip(template, parts, strict=True)
        ):
            return op
    return None


def test_loopback_detection() -> None:
    assert is_loopback("http://127.0.0.1:8080") and is_loopback("http://localhost:1")
    assert not is_loopback("https://flex-api.twilio.com") and not is_loopback("https://10.0.0.8")


def test_live_target_gets_bounded_writes_negative_schemathesis_writes_and_clean_up() -> None:
    result, seen, created = _live_run(max_writes=3, seed=4)
    assert len(result.created) <= 3 and created <= 3
    assert result.findings == [], [f.message for f in result.findings[:3]]
    assert any("write budget" in note for note in result.notes)
    assert result.cleanup[-1].endswith("0 failed")
    # every negative case was still sent
    assert result.rules["customer.media_channel_sid"] == "pass"

    # The clean-up closes each channel the run created, last: those are the only valid writes
    # allowed beyond the budget.
    closing = sum(1 for line in result.cleanup if line.startswith(("closed channel", "channel ", "FAILED")))
    for request in seen[len(seen) - closing:]:
        assert request.method == "POST" and "/Channels/" in request.path
        assert dict(parse_qsl(request.request_body.decode())) == {"Status": "closed"}
    accepted = [(i, s) for i, s in _accepted_writes(seen) if i < len(seen) - closing]
    assert len(accepted) <= 3, [(s.method, s.path, s.request_body[:80], s.user_agent) for _, s in accepted]
    assert not [s for _, s in accepted if "schemathesis" in s.user_agent.lower()]

    # Schemathesis did run the write operations, in negative mode: the contract rejects each body.
    generated_writes = [s for s in seen if s.method != "GET" and "schemathesis" in s.user_agent.lower()]
    by_operation = {op.operation_id for s in generated_writes if (op := _operation(s)) is not None}
    assert len(generated_writes) >= 50
    assert {"CreateInteraction", "CreateInteractionChannelParticipant"} <= by_operation, sorted(by_operation)
    assert any("safety net" in note and "dropped" in note for note in result.notes)


def test_write_examples_count_against_the_budget() -> None:
    # room for the targeted set-up's writes and two of Schemathesis' valid examples, no more
    result, seen, _ = _live_run(max_writes=7, seed=5)
    closing = sum(1 for line in result.cleanup if line.startswith(("closed channel", "channel ", "FAILED")))
    accepted = [s for i, s in _accepted_writes(seen) if i < len(seen) - closing]
    assert len(accepted) <= 7
    from_schemathesis = [s for s in accepted if "schemathesis" in s.user_agent.lower()]
    contract = default_contract()
    assert len(from_schemathesis) <= 7 - setup_writes(contract, frozenset(contract.operations))
    assert result.findings == [], [f.message for f in result.findings[:3]]


def test_live_target_with_workers_stays_in_one_process(monkeypatch: Any) -> None:
    """The write budget and the safety net cannot be shared across processes: no split off loopback."""
    from contract_kit.run import split

    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("a bounded run must not fork")

    monkeypatch.setattr(split.ChildPhases, "start", refuse)
    with MockServer() as server:
        target = Target(server.url, _credentials(), loopback=False, secrets=(DEFAULT_AUTH_TOKEN,))
        result = run_suite(RunOptions(base_url=server.url, seed=6, max_writes=6, workers=2,
                                      operation_ids=("CreateInteraction", "FetchInteraction")), target=target)
    assert result.errors == [] and result.exit_code == 0, [f.message for f in result.findings[:3]]
    assert not any("processes ran the run" in note for note in result.notes)
