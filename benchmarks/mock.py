"""Create requests/s over loopback (keep-alive) for contract-kit's mock and for Stoplight Prism.

    python benchmarks/mock.py [--requests 4000] [--connections 4] [--prism PATH | --no-prism]

Both servers get the same form-encoded CreateInteraction bodies (one valid payload per channel
type x initiated_by cell), then the same set of invalid payloads, one per contract rule they
break; the report gives requests/s, latency and how many invalid payloads each server rejects.
Prism mocks the vendor's reference document (/work/shared/reference/..., or --reference); it is
found on PATH, at --prism, or installed with `npm install @stoplight/prism-cli` into a temporary
directory. Without npm it is skipped, with a message. Everything binds to 127.0.0.1; every loop
is bounded.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from contract_kit.mock.auth import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN  # noqa: E402
from contract_kit.validate import validate  # noqa: E402
from contract_kit.wire import encode_form  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "openapi" / "vendor" / "twilio_flex_v1_interactions.yaml"
EXAMPLES = ROOT / "examples" / "payloads"
HOST = "127.0.0.1"


# -- payloads: the shipped examples (one valid per cell, one invalid per rule) ---------------------
def valid_payloads() -> list[dict[str, Any]]:
    """The 21 valid CreateInteraction payloads, one per channel type x initiated_by cell."""
    return [json.loads(p.read_text()) for p in sorted((EXAMPLES / "valid").glob("*.json"))]


def invalid_payloads() -> dict[str, dict[str, Any]]:
    """One CreateInteraction payload per error rule (rule id -> payload), each breaking only that rule.

    Only rules that can be broken on the wire count (a form field is always a string, so e.g.
    `webhook_ttid`, which only asks for a string, cannot be), and only errors of the default
    verdict the default (strict) mock applies, our stricter readings (basis `ours`) included.
    """
    out: dict[str, dict[str, Any]] = {}
    for path in sorted((EXAMPLES / "invalid").glob("*.json")):
        payload = json.loads(path.read_text())
        if isinstance(payload, dict) and not validate(form_body(payload), strict=True).valid:
            out[path.stem] = payload
    return out


def form_body(payload: dict[str, Any]) -> bytes:
    return urlencode(encode_form(payload, ["Channel", "Routing"])).encode()


# -- a lean keep-alive HTTP/1.1 client (the load generator must not be the bottleneck) -----------
class Connection:
    def __init__(self, port: int, auth: str) -> None:
        self.sock = socket.create_connection((HOST, port), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.head = (
            f"POST /v1/Interactions HTTP/1.1\r\nHost: {HOST}:{port}\r\nAuthorization: Basic {auth}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\nAccept: application/json\r\n"
        ).encode()
        self.buffer = b""

    def post(self, body: bytes) -> tuple[int, bytes]:
        self.sock.sendall(self.head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
        while b"\r\n\r\n" not in self.buffer:
            self._read()
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(self.buffer) < length:
            self._read()
        payload, self.buffer = self.buffer[:length], self.buffer[length:]
        return status, payload

    def _read(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self.buffer += chunk

    def close(self) -> None:
        self.sock.close()


@dataclass
class Result:
    name: str
    requests: int = 0
    seconds: float = 0.0
    statuses: Counter[int] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    rejected: dict[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def measure(name: str, port: int, bodies: list[bytes], total: int, connections: int) -> Result:
    auth = base64.b64encode(f"{DEFAULT_ACCOUNT_SID}:{DEFAULT_AUTH_TOKEN}".encode()).decode()
    result = Result(name)
    lock = threading.Lock()
    warm = Connection(port, auth)
    for body in bodies:  # warm-up: one of each, not timed
        warm.post(body)
    warm.close()

    def work(share: int, offset: int) -> None:
        conn = Connection(port, auth)
        statuses: Counter[int] = Counter()
        latencies = []
        try:
            for n in range(share):
                started = time.perf_counter()
                status, _ = conn.post(bodies[(offset + n) % len(bodies)])
                latencies.append(time.perf_counter() - started)
                statuses[status] += 1
        finally:
            conn.close()
        with lock:
            result.statuses.update(statuses)
            result.latencies.extend(latencies)

    share = total // connections
    threads = [threading.Thread(target=work, args=(share, i * 7)) for i in range(connections)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(600)
    result.seconds = time.perf_counter() - started
    result.requests = share * connections
    return result


def rejections(port: int, invalid: dict[str, dict[str, Any]]) -> dict[str, int]:
    auth = base64.b64encode(f"{DEFAULT_ACCOUNT_SID}:{DEFAULT_AUTH_TOKEN}".encode()).decode()
    conn = Connection(port, auth)
    try:
        return {rule: conn.post(form_body(payload))[0] for rule, payload in invalid.items()}
    finally:
        conn.close()


# -- servers --------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def wait_listening(port: int, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            socket.create_connection((HOST, port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {HOST}:{port} after {seconds} s")


def start_ours(port: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "contract_kit.cli", "mock", "--host", HOST, "--port", str(port)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=HERE.parent)


def find_prism(explicit: str | None, workdir: Path) -> tuple[str | None, str]:
    if explicit:
        return explicit, f"--prism {explicit}"
    on_path = shutil.which("prism")
    if on_path:
        return on_path, "prism on PATH"
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        return None, "npm/node not found"
    installed = subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", "--prefix", str(workdir), "@stoplight/prism-cli"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    binary = workdir / "node_modules" / ".bin" / "prism"
    if installed.returncode != 0 or not binary.exists():
        return None, f"npm install @stoplight/prism-cli failed: {installed.stderr.strip()[-300:]}"
    return str(binary), f"npm install into {workdir}"


def start_prism(binary: str, reference: Path, port: int) -> subprocess.Popen[bytes]:
    command = [binary, "mock", "-h", HOST, "-p", str(port), "--errors", "false", str(reference)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


# -- report ---------------------------------------------------------------------------------------
def report(results: list[Result], invalid: dict[str, dict[str, Any]]) -> None:
    print(f"\n{'server':<16}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}  statuses")
    for r in results:
        lat = sorted(r.latencies) or [0.0]
        p50, p99 = statistics.median(lat) * 1000, lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000
        print(f"{r.name:<16}{r.rate:>10.0f}{p50:>10.2f}{p99:>10.2f}  {dict(r.statuses)}")
    if len(results) == 2 and results[1].rate:
        print(f"\nratio {results[0].name} / {results[1].name}: {results[0].rate / results[1].rate:.1f}x")
    print(f"\nstatus answered to each of {len(invalid)} invalid payloads (2xx = accepted):")
    print(f"  {'broken rule':<28}" + "".join(f"{r.name:>16}" for r in results))
    for rule in invalid:
        print(f"  {rule:<28}" + "".join(f"{r.rejected.get(rule, 0):>16}" for r in results))
    totals = "".join(f"{sum(1 for s in r.rejected.values() if s >= 300):>16}" for r in results)
    print(f"  {'rejected (non-2xx)':<28}{totals}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=4000, help="timed creates per server")
    parser.add_argument("--connections", type=int, default=4, help="keep-alive connections")
    parser.add_argument("--prism", help="path of a prism binary (else PATH, else npm install)")
    parser.add_argument("--no-prism", action="store_true", help="measure contract-kit's mock only")
    parser.add_argument("--reference", type=Path, default=REFERENCE, help="the vendor document Prism mocks")
    args = parser.parse_args(argv)
    bodies = [form_body(p) for p in valid_payloads()]
    invalid = invalid_payloads()
    assert all(validate(p).valid for p in valid_payloads()), "a 'valid' benchmark payload is invalid"
    assert not any(validate(p, strict=True).valid for p in invalid.values()), "an 'invalid' benchmark payload is valid"
    results: list[Result] = []


    def bench(name: str, start: Any) -> None:
        """Start a server on a free port, measure creates and rejections, stop it."""
        port = free_port()
        process = start(port)
        try:
            wait_listening(port, process)
            result = measure(name, port, bodies, args.requests, args.connections)
            result.rejected = rejections(port, invalid)
            results.append(result)
        finally:
            stop(process)

    bench("contract-kit", start_ours)

    if args.no_prism:
        print("Prism: skipped (--no-prism)")
    elif not args.reference.is_file():
        print(f"Prism: skipped, the reference document {args.reference} is missing")
    else:
        with tempfile.TemporaryDirectory(prefix="prism-") as workdir:
            binary, how = find_prism(args.prism, Path(workdir))
            if binary is None:
                print(f"Prism: skipped ({how}); install it with `npm install @stoplight/prism-cli`")
            else:
                print(f"Prism: {how}")
                bench("prism", lambda port: start_prism(binary, args.reference, port))
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {args.requests} creates over "
        f"{args.connections} keep-alive connections, {len(bodies)} distinct bodies"
    )
    report(results, invalid)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
