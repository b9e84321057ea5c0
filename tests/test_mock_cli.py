"""`contract-kit mock` as users run it: a process on a loopback port that prints its credentials."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx

from contract_kit.mock import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_mock_command_serves_and_prints_the_default_account() -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("TWILIO_REGION", "TWILIO_EDGE")}
    process = subprocess.Popen(
        [sys.executable, "-m", "contract_kit.cli", "mock", "--port", str(port), "--fault", "stuck-in-setup"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        banner = [process.stdout.readline() for _ in range(3)]
        assert f"http://127.0.0.1:{port}" in banner[0]
        assert DEFAULT_ACCOUNT_SID in banner[1] and DEFAULT_AUTH_TOKEN in banner[2]
        deadline = time.monotonic() + 15
        while True:
            try:
                response = httpx.get(
                    f"http://127.0.0.1:{port}/v1/Interactions/KD{'a' * 32}",
                    auth=(DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN),
                )
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and process.poll() is None, "the mock did not start"
                time.sleep(0.05)
        assert response.status_code == 404 and response.json()["code"] == 20404
    finally:
        process.terminate()
        process.wait(10)


def test_mock_does_not_weigh_on_cli_start_up() -> None:
    probe = "import sys, contract_kit.cli, contract_kit.commands.mock; print('starlette' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
