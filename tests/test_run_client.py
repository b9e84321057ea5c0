"""A target that stops answering mid-run: a finding about that request, not "cannot reach"."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from contract_kit import default_contract
from contract_kit.run.checks import CheckEnv
from contract_kit.run.client import Client
from contract_kit.run.target import Target, UsageError

ANSWER = b"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"


@pytest.fixture
def answers_once() -> Iterator[str]:
    """A loopback server that answers its first connection, then drops every later one unanswered."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(10)

    def serve() -> None:
        served = 0
        while served < 2:  # the answered request, then the dropped one
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                if served == 0:
                    conn.sendall(ANSWER)
            served += 1

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    listener.close()
    thread.join(5)


def test_a_dropped_connection_after_an_answer_is_a_no_server_error_finding(answers_once: str) -> None:
    client = Client(Target(base_url=answers_once, credentials=None, loopback=True))
    first = client.send("FetchInteraction", "GET", "/v1/Interactions/KD" + "0" * 32)
    assert first.status == 404 and not first.transport_error
    dropped = client.send("CreateInteraction", "POST", "/v1/Interactions", content=b"%zz=%%")
    client.close()
    assert dropped.status == 0 and dropped.transport_error
    assert dropped.request_body == b"%zz=%%"  # kept, so the report's curl reproduces it
    env = CheckEnv(default_contract())
    found = env.evaluate(dropped)
    assert [f.check for f in found] == ["no_server_error"]
    assert found[0].message.startswith("no usable answer: connection closed")


def test_a_target_that_never_answers_is_a_usage_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = Client(Target(base_url=f"http://127.0.0.1:{port}", credentials=None, loopback=True))
    with pytest.raises(UsageError, match="cannot reach"):
        client.send("FetchInteraction", "GET", "/v1/Interactions/KD" + "0" * 32)
    client.close()


def test_short_secrets_are_redacted_without_garbling_the_curl() -> None:
    from contract_kit.run.report import redact

    line = "curl -u AC1:x -H 'Content-Type: application/x-www-form-urlencoded' --data-binary token=x"
    assert redact(line, ["x"]) == (
        "curl -u AC1:[REDACTED] -H 'Content-Type: application/x-www-form-urlencoded' --data-binary token=[REDACTED]"
    )
    token = "0123456789abcdef0123456789abcdef"
    assert token not in redact(f"Basic{token}x", [token])
