"""Bounded load on loopback: no 5xx, no lost interaction, memory held by the store's bound."""

from __future__ import annotations

import random
import threading
import tracemalloc
from collections.abc import Iterator

import httpx
import pytest
from mock_support import CELLS, valid_payload

from contract_kit.mock import MockServer, Store
from contract_kit.wire import encode_body

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
_BODIES = [encode_body(valid_payload(k, i), ["Channel", "Routing"]) for k, i in CELLS]
_INVALID = encode_body({"Channel": {"type": "sms", "initiated_by": "customer"}}, ["Channel"])


def _worker(server: MockServer, seed: int, count: int, created: list[str], statuses: list[int]) -> None:
    rng = random.Random(seed)
    mine: list[tuple[str, str]] = []
    with httpx.Client(base_url=server.url, auth=server.auth, timeout=30) as http:
        for _ in range(count):
            roll = rng.random()
            if roll < 0.4 or not mine:
                response = http.post("/v1/Interactions", content=rng.choice(_BODIES), headers=FORM)
                if response.status_code == 200:
                    body = response.json()
                    mine.append((body["sid"], body["channel"]["sid"]))
            elif roll < 0.65:
                response = http.get(f"/v1/Interactions/{rng.choice(mine)[0]}")
            elif roll < 0.75:
                response = http.post(f"/v1/Interactions/{rng.choice(mine)[0]}", data={"WebhookTtid": str(roll)})
            elif roll < 0.85:
                sid, channel = rng.choice(mine)
                response = http.post(
                    f"/v1/Interactions/{sid}/Channels/{channel}/Participants",
                    data={"Type": "agent", "MediaProperties": "{}"},
                )
            elif roll < 0.93:
                response = http.get(f"/v1/Interactions/{rng.choice(mine)[0]}/Channels?PageSize=5")
            else:
                response = http.post("/v1/Interactions", content=_INVALID, headers=FORM)
            statuses.append(response.status_code)
    created.extend(sid for sid, _ in mine)


def _load(server: MockServer, clients: int, requests: int, seed: int = 0) -> tuple[list[str], list[int]]:
    created: list[str] = []
    statuses: list[int] = []
    threads = [
        threading.Thread(target=_worker, args=(server, seed + n, requests, created, statuses)) for n in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return created, statuses


@pytest.fixture()
def server() -> Iterator[MockServer]:
    with MockServer() as running:
        yield running


def test_8_clients_x_500_mixed_requests(server: MockServer) -> None:
    created, statuses = _load(server, 8, 500)
    assert len(statuses) == 8 * 500
    assert not [s for s in statuses if s >= 500]
    assert set(statuses) <= {200, 400}
    with httpx.Client(base_url=server.url, auth=server.auth) as http:
        missing = [sid for sid in created if http.get(f"/v1/Interactions/{sid}").status_code != 200]
    assert created and not missing


def test_memory_is_flat_under_the_store_bound() -> None:
    store = Store(max_interactions=100)
    with MockServer(store=store) as server:
        _load(server, 4, 200, seed=100)  # warm up: fill the store to its bound
        tracemalloc.start()
        try:
            _load(server, 4, 100, seed=200)
            baseline, _ = tracemalloc.get_traced_memory()
            _load(server, 4, 250, seed=300)
            after, _ = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert store.count() <= 100 and store.evicted > 0
    assert after - baseline < 2 * 1024 * 1024, f"grew {after - baseline} bytes"


@pytest.mark.slow
def test_soak_8_clients_x_5000(server: MockServer) -> None:
    created, statuses = _load(server, 8, 5000)
    assert not [s for s in statuses if s >= 500]
    store: Store = server.app.state.mock.store
    # ~16,000 creates overflow the documented bound: the newest `max_interactions` stay, all fetchable
    assert store.count() == min(len(created), store.max_interactions)
    with httpx.Client(base_url=server.url, auth=server.auth) as http:
        kept = sum(http.get(f"/v1/Interactions/{sid}").status_code == 200 for sid in created)
    assert kept == store.count()
